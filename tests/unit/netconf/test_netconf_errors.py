"""ncclient failures become Temporary/PermanentError carrying the device's rpc-error text."""

from __future__ import annotations

import pytest
from ncclient.operations.errors import TimeoutExpiredError
from ncclient.operations.rpc import RPCError
from ncclient.transport.errors import AuthenticationError, SessionCloseError, SSHError
from ncclient.xml_ import to_ele

from netorch.drivers.netconf.errors import translate
from netorch.model.errors import PermanentError, TemporaryError

NC = "urn:ietf:params:xml:ns:netconf:base:1.0"


def rpc_error(tag: str, message: str, path: str = "", bad_value: str = "") -> RPCError:
    info = (f'<error-info><bad-value xmlns="http://netconfcentral.org/ns/yuma-ncx">{bad_value}'
            "</bad-value></error-info>") if bad_value else ""
    xml = (f'<rpc-error xmlns="{NC}"><error-type>application</error-type>'
           f"<error-tag>{tag}</error-tag><error-severity>error</error-severity>"
           f"<error-path>{path}</error-path><error-message>{message}</error-message>"
           f"{info}</rpc-error>")
    return RPCError(to_ele(xml))


@pytest.mark.parametrize("tag", ["lock-denied", "in-use", "resource-denied"])
def test_busy_datastore_is_temporary(tag: str) -> None:
    err = translate("pe1", "lock", rpc_error(tag, "lock denied"))
    assert isinstance(err, TemporaryError) and err.delay
    assert str(err) == f"pe1: lock failed: {tag}: lock denied"


def test_rejected_configuration_is_permanent_with_path_and_value() -> None:
    err = translate("pe1", "edit", rpc_error(
        "invalid-value", "value not in range", "/nl3:vrfs/nl3:vrf/nl3:attachment/nl3:vlan-id",
        "5000"))
    assert isinstance(err, PermanentError)
    assert str(err) == ("pe1: edit failed: invalid-value: value not in range "
                        "(at /nl3:vrfs/nl3:vrf/nl3:attachment/nl3:vlan-id) [bad-value 5000]")


@pytest.mark.parametrize(("exc", "kind", "text"), [
    (AuthenticationError("AuthenticationException('secret')"), PermanentError,
     "authentication failed"),
    (SSHError("Could not open socket to 127.0.0.1:1"), TemporaryError, "unreachable"),
    (SessionCloseError("", ""), TemporaryError, "session closed"),
    (TimeoutExpiredError("no reply"), TemporaryError, "timed out"),
    (ConnectionRefusedError(111, "refused"), TemporaryError, "unreachable"),
    (ValueError("bad vlan"), PermanentError, "bad vlan"),
])
def test_transport_failures(exc: Exception, kind: type[Exception], text: str) -> None:
    err = translate("pe1", "connect", exc)
    assert isinstance(err, kind) and text in str(err) and str(err).startswith("pe1: connect")
    assert "secret" not in str(err)
