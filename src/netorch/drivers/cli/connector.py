"""The CLI connector as the network driver registry builds it
(:mod:`netorch.drivers.network.registry`)."""

from __future__ import annotations

from functools import partial

from netorch.drivers.cli.session import CliConnector
from netorch.drivers.cli.transport import SshTrust
from netorch.drivers.network.base import ConnectorOptions
from netorch.drivers.network.secrets import resolve_credentials


def make_connector(options: ConnectorOptions) -> CliConnector:
    """A :class:`CliConnector` reading credentials from ``options.secrets_file`` (environment
    first) and host keys from ``options.known_hosts``."""
    return CliConnector(resolver=partial(resolve_credentials, secrets_file=options.secrets_file),
                        trust=SshTrust(options.known_hosts, options.tofu),
                        timeout_s=options.timeout_s)
