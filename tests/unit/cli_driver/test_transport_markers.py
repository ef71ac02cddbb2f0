"""Rejection detection of the CLI transport (device error markers, shell exit status)."""

from __future__ import annotations

from netorch.drivers.cli.platforms.cisco_ios import PLATFORM as IOS
from netorch.drivers.cli.platforms.linux import PLATFORM as LINUX
from netorch.drivers.cli.transport import _rejected, failure


def test_markers_and_exit_status() -> None:
    assert _rejected("              ^\n% Invalid input detected at '^' marker", IOS)
    assert _rejected("No such command : rd 1:1", IOS)
    assert _rejected("Command rejected: Bad VLAN list", IOS)
    assert not _rejected("", IOS)
    assert _rejected("bash: x.conf: Is a directory\n__netorch_rc=1", LINUX)
    assert _rejected("__netorch_rc=127", LINUX)
    assert not _rejected("__netorch_rc=0", LINUX)
    assert not _rejected("echo __netorch_rc=$?", LINUX)     # the echoed command itself


def test_failure_wording() -> None:
    err = failure("sw1", "commit", "  device rejected 'x': boom\n")
    assert str(err) == "sw1: commit failed: device rejected 'x': boom"
