"""The CLI connector as the network driver registry builds it (``make_connector``)."""

from __future__ import annotations

from functools import partial

from netorch.drivers.cli.session import CliConnector
from netorch.drivers.cli.transport import SshTrust
from netorch.drivers.network.base import ConnectorOptions
from netorch.drivers.network.secrets import resolve_credentials


def make_connector(options: ConnectorOptions) -> CliConnector:
    """A connector reading credentials from ``options.secrets_file`` (environment first) and
    checking host keys against ``options.known_hosts``."""
    return CliConnector(resolver=partial(resolve_credentials, secrets_file=options.secrets_file),
                        trust=SshTrust(known_hosts=options.known_hosts, tofu=options.tofu),
                        timeout_s=options.timeout_s)
