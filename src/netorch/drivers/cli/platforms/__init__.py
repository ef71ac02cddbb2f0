"""One module per CLI platform; :func:`platform_for` picks one by
:attr:`~netorch.model.network.DeviceEndpoint.platform`."""

from __future__ import annotations

from netorch.drivers.cli.platform import CliPlatform
from netorch.drivers.cli.platforms import cisco_ios, linux
from netorch.model.errors import PermanentError

PLATFORMS: dict[str, CliPlatform] = {
    linux.PLATFORM.name: linux.PLATFORM,
    cisco_ios.PLATFORM.name: cisco_ios.PLATFORM,
}


def platform_for(name: str) -> CliPlatform:
    """The platform module for ``name`` (``linux``, ``cisco_ios``)."""
    try:
        return PLATFORMS[name]
    except KeyError:
        raise PermanentError(f"no CLI platform {name!r} (known: {', '.join(sorted(PLATFORMS))})"
                             ) from None
