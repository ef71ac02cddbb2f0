"""SOL013 §9.1 Version header checks, client secret hashing and role ordering."""

from __future__ import annotations

import pytest

from netorch.api.security.jwks import role_from_claims
from netorch.api.sol013.version import APIS, VersionError, api_of, check_version, is_exempt
from netorch.model.api_access import Role
from netorch.services.api_access import hash_secret, verify_secret

NSLCM = APIS["nslcm"]


@pytest.mark.parametrize("value", [NSLCM.version, f"{NSLCM.version}-impl:acme.com:nfvo:1",
                                   "1.0.0", "1.1.9"])
def test_supported_versions(value: str) -> None:
    check_version(NSLCM, value)


@pytest.mark.parametrize(("value", "status"), [
    (None, 400), ("", 400), ("1", 400), ("1.2", 400), ("v1.2.0", 400), ("1.2.0-beta", 400),
    ("1.2.x", 400), ("2.0.0", 406), ("0.9.0", 406), ("1.99.0", 406),
])
def test_missing_malformed_and_unsupported_versions(value: str | None, status: int) -> None:
    with pytest.raises(VersionError) as info:
        check_version(NSLCM, value)
    assert info.value.status == status


def test_api_of_and_exemptions() -> None:
    assert api_of("/nslcm/v1/ns_instances") is NSLCM
    assert api_of("/oauth2/token") is None
    assert api_of("/nslcmx/v1") is None
    assert is_exempt("/nslcm/api_versions") and is_exempt("/nslcm/v1/api_versions")
    assert not is_exempt("/nslcm/v1/ns_instances")
    assert NSLCM.information() == {"uriPrefix": "/nslcm/v1", "apiVersions": [
        {"version": NSLCM.version, "isDeprecated": False}]}


def test_secret_hash_is_salted_and_verifies_only_the_secret() -> None:
    a, b = hash_secret("s3cret"), hash_secret("s3cret")
    assert a != b and "s3cret" not in a
    assert verify_secret("s3cret", a) and verify_secret("s3cret", b)
    assert not verify_secret("s3cret!", a)
    assert not verify_secret("s3cret", "garbage")
    assert not verify_secret("s3cret", "pbkdf2$1$2$3$4$5")


def test_roles_are_ordered() -> None:
    assert Role.ADMIN.allows(Role.OPERATOR) and Role.ADMIN.allows(Role.READER)
    assert Role.OPERATOR.allows(Role.READER) and not Role.OPERATOR.allows(Role.ADMIN)
    assert not Role.READER.allows(Role.OPERATOR)


def test_role_from_external_claims() -> None:
    assert role_from_claims({"netorch_role": "operator"}, "netorch_role") is Role.OPERATOR
    assert role_from_claims({"realm_access": {"roles": ["reader", "admin", "x"]}},
                            "realm_access.roles") is Role.ADMIN
    assert role_from_claims({"netorch_role": "root"}, "netorch_role") is None
    assert role_from_claims({}, "netorch_role") is None
