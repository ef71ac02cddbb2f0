"""CLI device driver (netmiko over SSH) for devices without NETCONF: per-platform rendering
(``platforms/``), a pre-image instead of a candidate, verification by show commands."""

from __future__ import annotations

from netorch.drivers.cli.session import CliConnector, CliSession, CredentialResolver
from netorch.drivers.cli.transport import SshTrust

__all__ = ["CliConnector", "CliSession", "CredentialResolver", "SshTrust"]
