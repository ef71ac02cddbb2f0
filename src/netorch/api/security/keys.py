"""netorch's token-signing key: an Ed25519 key (RFC 8037 ``EdDSA``) generated on first use and
kept in ``$NETORCH_HOME/api/token-signing-key.pem`` with mode 0600."""

from __future__ import annotations

import base64
import hashlib
import logging
import os
from dataclasses import dataclass, field
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

log = logging.getLogger(__name__)

KEY_FILE = Path("api") / "token-signing-key.pem"


@dataclass(frozen=True)
class SigningKey:
    """The private key (never shown: ``repr`` hides it), its public half and key id."""

    private: Ed25519PrivateKey = field(repr=False)
    kid: str

    @property
    def public(self) -> Ed25519PublicKey:
        return self.private.public_key()


def _kid(public: Ed25519PublicKey) -> str:
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return base64.urlsafe_b64encode(hashlib.sha256(raw).digest()[:12]).decode().rstrip("=")


def load_or_create_key(home: Path) -> SigningKey:
    """Read the key under ``home``, creating it (mode 0600, exclusively) when absent."""
    path = home.expanduser() / KEY_FILE
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    if not path.exists():
        key = Ed25519PrivateKey.generate()
        pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass  # another process created it first: use theirs
        else:
            with os.fdopen(fd, "wb") as fh:
                fh.write(pem)
            log.info("created the API token-signing key %s", path)
    mode = path.stat().st_mode & 0o777
    if mode & 0o077:
        log.warning("the API token-signing key %s has mode %o; tightening it to 0600", path, mode)
        path.chmod(0o600)
    loaded = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(loaded, Ed25519PrivateKey):
        raise ValueError(f"{path} does not hold an Ed25519 private key")
    return SigningKey(private=loaded, kid=_kid(loaded.public_key()))
