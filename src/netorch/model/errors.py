"""Error taxonomy (kopf-style): temporary errors are retried with backoff, permanent ones fail
at once."""

from __future__ import annotations

from collections.abc import Sequence

from netorch.model.diagnostics import Diagnostic


class NetorchError(Exception):
    """Base of every error netorch raises on purpose."""


class TemporaryError(NetorchError):
    """Worth retrying: the same call may succeed later. ``delay`` is a hint in seconds."""

    def __init__(self, message: str, *, delay: float | None = None) -> None:
        super().__init__(message)
        self.delay = delay


class PermanentError(NetorchError):
    """Retrying the same call cannot help (bad request, quota exceeded, injected hard fault)."""


class NotFoundError(PermanentError):
    """The referenced resource / service / operation does not exist."""


class ConflictError(NetorchError):
    """The request conflicts with the current state (e.g. another operation is running)."""


class StalePlanError(ConflictError):
    """A saved plan was made against a state that has since changed (Terraform's stale plan)."""


class ValidationFailed(NetorchError):
    """A template or request was rejected; ``diagnostics`` says why."""

    def __init__(self, message: str, diagnostics: Sequence[Diagnostic] | None = None) -> None:
        super().__init__(message)
        self.diagnostics = list(diagnostics or [])
