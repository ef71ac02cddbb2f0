"""The journal the engine writes before and after every step (the store implements it).

Write-ahead rule: a step's intent (and, for a create, the resource key that the VIM will be told)
is durable *before* any driver call, and its outcome is durable before dependents start. This is
what lets an interrupted operation be resumed or rolled back, and what guarantees that nothing is
created in a VIM without being recorded first (SOL005 §6.4.x FAILED_TEMP / retry / rollback
semantics depend on it).
"""

from __future__ import annotations

from typing import Protocol

from netorch.model.operations import StepRecord
from netorch.model.resources import ResourceRecord


class Journal(Protocol):
    async def step_started(self, step: StepRecord, resource: ResourceRecord | None) -> None:
        """Durably record that ``step`` starts and, if given, the resource intent (one
        transaction)."""
        ...

    async def step_finished(
        self,
        step: StepRecord,
        resource: ResourceRecord | None = None,
        *,
        remove_key: str | None = None,
    ) -> None:
        """Durably record the step's outcome and the resource's new record (or its removal)."""
        ...

    async def steps_skipped(self, steps: list[StepRecord]) -> None:
        """Record steps that will not run because something they depend on failed."""
        ...

    async def resource_changed(
        self, resource: ResourceRecord | None = None, *, remove_key: str | None = None
    ) -> None:
        """Record a resource outside any step (crash recovery adopting or dropping a record)."""
        ...
