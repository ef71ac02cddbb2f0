"""What an operator requires of a package before it is onboarded (SPEC-NOTES §4.3, §7.6).

=================================  ===========================================================
``NETORCH_TRUST_ANCHORS``           PEM/DER certificate files or directories of them, separated
                                    by ``os.pathsep`` (``:`` on POSIX)
``NETORCH_REQUIRE_SIGNATURE``       ``1``/``true``/``yes``: refuse packages without a verified
                                    signature (``sol004.signature_missing``)
``NETORCH_PACKAGE_STRICT``          ``1``/``true``/``yes``: what SOL004 requires but tolerant
                                    NFVOs (Tacker) accept becomes an error instead of a warning
=================================  ===========================================================

Read when :meth:`PackagePolicy.from_env` is called, never at import time.  The archive and YAML
size limits are separate (:mod:`netorch.tosca.sol004.limits`): they apply before a package is
even located.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

TRUST_ANCHORS_ENV = "NETORCH_TRUST_ANCHORS"
REQUIRE_SIGNATURE_ENV = "NETORCH_REQUIRE_SIGNATURE"
STRICT_ENV = "NETORCH_PACKAGE_STRICT"
_TRUE = {"1", "true", "yes", "on"}


@dataclass(frozen=True, slots=True)
class PackagePolicy:
    trust_anchors: tuple[Path, ...] = ()
    """Certificate files / directories whose certificates are trusted roots for signers."""
    require_signature: bool = False
    """A package must carry a signature that verifies (security option 1 or 2)."""
    check_time: datetime | None = None
    """When certificates must be valid; None means now."""
    strict: bool = False
    """SOL004 to the letter: a missing metadata block or TOSCA.meta key, an unlisted file, an
    absent software image, a stale TOSCA.meta digest... are errors, not warnings."""

    @property
    def enforces_trust(self) -> bool:
        """Whether an untrusted or expired signer is an error (else a warning): when anchors are
        configured or a signature is required.  A signature nobody can check is no worse than
        none, which is accepted unless required."""
        return self.require_signature or bool(self.trust_anchors)

    def at(self) -> datetime:
        return self.check_time if self.check_time is not None else datetime.now(UTC)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> PackagePolicy:
        env = os.environ if environ is None else environ
        anchors = tuple(Path(p) for p in env.get(TRUST_ANCHORS_ENV, "").split(os.pathsep)
                        if p.strip())
        return cls(trust_anchors=anchors,
                   require_signature=env.get(REQUIRE_SIGNATURE_ENV, "").lower() in _TRUE,
                   strict=env.get(STRICT_ENV, "").lower() in _TRUE)
