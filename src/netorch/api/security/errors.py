"""Authentication and authorisation failures (RFC 6750 §3) and how they are answered."""

from __future__ import annotations

from netorch.api.sol013.problem import ProblemError

REALM = "netorch"


def unauthorized(detail: str, *, error: str | None = None) -> ProblemError:
    """401 with a Bearer challenge (RFC 6750 §3); ``error`` names what was wrong with a token
    that was sent (``invalid_token``); no ``error`` when none was sent (§3.1)."""
    challenge = f'Bearer realm="{REALM}"'
    if error is not None:
        challenge += f', error="{error}"'
    return ProblemError(401, detail, headers={"WWW-Authenticate": challenge})


def bad_authorization(detail: str) -> ProblemError:
    """400 for an ``Authorization`` header that is not a well-formed bearer credential."""
    return ProblemError(400, detail,
                        headers={"WWW-Authenticate": f'Bearer realm="{REALM}", '
                                                     'error="invalid_request"'})


def forbidden(detail: str) -> ProblemError:
    """403: a valid token whose role does not allow the request (RFC 6750 §3.1)."""
    return ProblemError(403, detail,
                        headers={"WWW-Authenticate": f'Bearer realm="{REALM}", '
                                                     'error="insufficient_scope"'})
