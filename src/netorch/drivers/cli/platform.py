"""What one CLI platform provides: intent → device objects → config lines, and show output →
device objects → intent.

A CLI device has no candidate datastore (RFC 6241 §8.3 has no CLI counterpart), so the driver
works on *objects*: the smallest pieces of device configuration netorch owns (a VLAN, an access
port, a config file). Each object has a state, a flat ``{attribute: value}`` mapping, or ``None``
when the object is absent. A platform module says

* which objects an intent wants, and in which state (:meth:`CliPlatform.desired`);
* which lines turn the running state of some objects into another state (:meth:`CliPlatform.lines`);
* how to read the running state back (:meth:`CliPlatform.show_commands`, :meth:`CliPlatform.parse`);
* and how running objects read as intent again (:meth:`CliPlatform.to_intent`).

Restoring a pre-image is then the same operation as applying an intent: compute the lines that
take the running objects to the saved states.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Protocol

from netorch.model.network import DeviceIntent

ObjectState = Mapping[str, str] | None
"""The state of one device object: its attributes, or ``None`` when it is absent."""

Snapshot = dict[str, ObjectState]
"""Object key → state, for the objects netorch owns in one transaction."""


class CliPlatform(Protocol):
    """Rendering and parsing for one CLI platform (one module under ``platforms/``)."""

    name: str
    """The :attr:`~netorch.model.network.DeviceEndpoint.platform` value it serves."""
    device_type: str
    """netmiko ``device_type``."""
    uses_enable: bool
    """Whether privileged (``enable``) mode is needed before configuring."""
    config_mode: bool
    """Whether lines are entered in a configuration mode (``configure terminal``)."""
    error_markers: tuple[str, ...]
    """Text the device prints when it rejects a line."""

    def desired(self, intended: DeviceIntent, previous: DeviceIntent | None) -> Snapshot:
        """The objects ``intended`` wants (created or replaced) and the objects of ``previous``
        it dropped (removed: state ``None`` or the platform's default). Raises
        :class:`~netorch.model.errors.PermanentError` for what the platform cannot express."""
        ...

    def lines(self, changes: Mapping[str, ObjectState]) -> list[str]:
        """Config lines that bring each object to its given state, in an order the device
        accepts."""
        ...

    def show_commands(self, keys: Sequence[str]) -> list[str]:
        """Commands whose output :meth:`parse` reads the running state of ``keys`` from."""
        ...

    def parse(self, keys: Sequence[str], outputs: Sequence[str]) -> Snapshot:
        """The running state of each key from the outputs of :meth:`show_commands`."""
        ...

    def to_intent(self, names_of: DeviceIntent, running: Snapshot) -> DeviceIntent:
        """The entries of ``names_of`` as they are running (absent entries left out)."""
        ...


def changed(target: Mapping[str, ObjectState], running: Mapping[str, ObjectState]) -> Snapshot:
    """The objects of ``target`` whose running state differs (normalising empty mappings)."""
    return {key: state for key, state in target.items()
            if _norm(state) != _norm(running.get(key))}


def _norm(state: ObjectState) -> dict[str, str] | None:
    return None if state is None else dict(state)
