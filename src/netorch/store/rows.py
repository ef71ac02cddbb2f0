"""Conversions between table rows and the model's frozen records."""

from __future__ import annotations

from typing import Any

from sqlalchemy import RowMapping

from netorch.model.operations import OpOccurrence, OpState, OpType, StepOp, StepRecord, StepState
from netorch.model.records import EventRecord, ServiceRecord, TemplateRecord
from netorch.model.resources import RecordState, ResourceKind, ResourceRecord

Row = RowMapping


def template_values(rec: TemplateRecord) -> dict[str, Any]:
    return {
        "content_hash": rec.content_hash,
        "name": rec.name,
        "source": rec.source,
        "tosca_version": rec.tosca_version,
        "kind": str(rec.kind),
        "model": rec.model,
        "created_at": rec.created_at,
        **template_package_values(rec),
    }


def template_package_values(rec: TemplateRecord) -> dict[str, Any]:
    """The columns that describe an onboarded package (revision 0002), without the content."""
    return {
        "version": rec.version,
        "provider": rec.provider,
        "descriptor_id": rec.descriptor_id,
        "flavours": list(rec.flavours) if rec.flavours else None,
        "content_format": None if rec.content_format is None else str(rec.content_format),
        "content_name": rec.content_name,
        "content_size": rec.content_size,
    }


def template_from_row(row: Row) -> TemplateRecord:
    return TemplateRecord(
        content_hash=row["content_hash"],
        name=row["name"],
        source=row["source"],
        tosca_version=row["tosca_version"],
        kind=row["kind"],
        model=row["model"],
        created_at=row["created_at"],
        version=row["version"],
        provider=row["provider"],
        descriptor_id=row["descriptor_id"],
        flavours=tuple(row["flavours"] or ()),
        content_format=row["content_format"],
        content_name=row["content_name"],
        content_size=row["content_size"],
    )


SERVICE_MUTABLE_FIELDS: frozenset[str] = frozenset(
    {
        "template",
        "template_hash",
        "vim",
        "status",
        "inputs",
        "model",
        "desired",
        "scale_levels",
        "instantiation_level",
        "generations",
    }
)


def service_values(rec: ServiceRecord) -> dict[str, Any]:
    return {
        "name": rec.name,
        "template": rec.template,
        "template_hash": rec.template_hash,
        "vim": rec.vim,
        "status": str(rec.status),
        "inputs": dict(rec.inputs),
        "model": dict(rec.model),
        "desired": None if rec.desired is None else dict(rec.desired),
        "scale_levels": dict(rec.scale_levels),
        "instantiation_level": rec.instantiation_level,
        "generations": dict(rec.generations),
        "active_op": rec.active_op,
        "created_at": rec.created_at,
        "updated_at": rec.updated_at,
    }


def service_from_row(row: Row) -> ServiceRecord:
    return ServiceRecord(
        name=row["name"],
        template=row["template"],
        template_hash=row["template_hash"],
        vim=row["vim"],
        status=row["status"],
        inputs=row["inputs"],
        model=row["model"],
        desired=row["desired"],
        scale_levels=row["scale_levels"],
        instantiation_level=row["instantiation_level"],
        generations=row["generations"],
        active_op=row["active_op"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
    )


def resource_from_row(row: Row) -> ResourceRecord:
    return ResourceRecord(
        service=row["service"],
        node_id=row["node_id"],
        key=row["key"],
        kind=ResourceKind(row["kind"]),
        vim=row["vim"],
        state=RecordState(row["state"]),
        spec_hash=row["spec_hash"],
        node_type=row["node_type"],
        vim_id=row["vim_id"],
        healthy=bool(row["healthy"]),
        depends_on=tuple(row["depends_on"]),
        attributes=row["attributes"],
        spec=row["spec"],
    )


def op_values(op: OpOccurrence) -> dict[str, Any]:
    return {
        "id": op.id,
        "service": op.service,
        "type": str(op.type),
        "state": str(op.state),
        "start_time": op.start_time,
        "state_entered_time": op.state_entered_time,
        "end_time": op.end_time,
        "error": op.error,
        "params": dict(op.params),
        "owner_pid": op.owner_pid,
        "owner_host": op.owner_host,
        "is_cancel_pending": op.is_cancel_pending,
    }


def op_from_row(row: Row, steps: tuple[StepRecord, ...] = ()) -> OpOccurrence:
    return OpOccurrence(
        id=row["id"],
        service=row["service"],
        type=OpType(row["type"]),
        state=OpState(row["state"]),
        start_time=row["start_time"],
        state_entered_time=row["state_entered_time"],
        end_time=row["end_time"],
        error=row["error"],
        params=row["params"],
        owner_pid=row["owner_pid"],
        owner_host=row["owner_host"],
        is_cancel_pending=bool(row["is_cancel_pending"]),
        steps=steps,
    )


def step_from_row(row: Row) -> StepRecord:
    return StepRecord(
        op_id=row["op_id"],
        step_id=row["step_id"],
        node_id=row["node_id"],
        op=StepOp(row["op"]),
        state=StepState(row["state"]),
        phase=row["phase"],
        attempt=row["attempt"],
        resource_key=row["resource_key"],
        error=row["error"],
        started_at=row["started_at"],
        ended_at=row["ended_at"],
    )


def event_from_row(row: Row) -> EventRecord:
    return EventRecord(
        id=row["id"],
        time=row["time"],
        service=row["service"],
        op_id=row["op_id"],
        level=row["level"],
        message=row["message"],
    )
