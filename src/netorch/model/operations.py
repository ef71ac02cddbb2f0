"""Operation occurrences and their steps (ETSI GS NFV-SOL 005 v2.6.1 §6.5.2.3 NsLcmOpOcc,
state machine §6.4.x / SPEC-NOTES §2)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any


class OpState(StrEnum):
    """``NsLcmOperationStateType`` (SOL005 §6.5.4.x). No STARTING for NS; no CANCELLING."""

    PROCESSING = "PROCESSING"
    COMPLETED = "COMPLETED"
    FAILED_TEMP = "FAILED_TEMP"
    FAILED = "FAILED"
    ROLLING_BACK = "ROLLING_BACK"
    ROLLED_BACK = "ROLLED_BACK"

    @property
    def final(self) -> bool:
        return self in FINAL_STATES


FINAL_STATES: frozenset[OpState] = frozenset(
    {OpState.COMPLETED, OpState.FAILED, OpState.ROLLED_BACK})


class OpType(StrEnum):
    """``NsLcmOpType`` (SOL005 §6.5.4.x)."""

    INSTANTIATE = "INSTANTIATE"
    SCALE = "SCALE"
    UPDATE = "UPDATE"
    TERMINATE = "TERMINATE"
    HEAL = "HEAL"


class StepOp(StrEnum):
    CREATE = "CREATE"
    UPDATE = "UPDATE"
    DELETE = "DELETE"


class StepState(StrEnum):
    PENDING = "PENDING"
    STARTED = "STARTED"
    COMPLETED = "COMPLETED"
    FAILED = "FAILED"
    SKIPPED = "SKIPPED"


@dataclass(frozen=True, slots=True)
class StepRecord:
    op_id: str
    step_id: str
    node_id: str
    op: StepOp
    state: StepState
    phase: str = "apply"
    """``apply`` for the operation's own steps, ``rollback`` for steps run by a rollback."""
    attempt: int = 1
    resource_key: str | None = None
    error: str | None = None
    started_at: datetime | None = None
    ended_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class OpOccurrence:
    id: str
    service: str
    type: OpType
    state: OpState
    start_time: datetime
    state_entered_time: datetime
    end_time: datetime | None = None
    error: str | None = None
    params: dict[str, Any] = field(default_factory=dict)
    owner_pid: int | None = None
    owner_host: str | None = None
    is_cancel_pending: bool = False
    steps: tuple[StepRecord, ...] = ()
