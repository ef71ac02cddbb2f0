"""NS instance identifiers and the API's view of operation occurrences (SOL005 v2.6.1
§6.5.2.10 ``NsInstance``, §6.5.2.3 ``NsLcmOpOcc``).

An NS instance's ``nsState`` is its service record's ``status`` (the service is named by the
instance id and exists from the first instantiate on); before that it is NOT_INSTANTIATED.
Listing reads one joined query with only the columns the API shows (no per-row queries, no
large JSON columns), so a list of thousands of instances stays cheap.

A filter on ``nsState`` is written as ``EXISTS`` / ``NOT EXISTS`` on the service row (its
primary key) rather than as ``coalesce(services.status, 'NOT_INSTANTIATED') = …``: the
planner has statistics for ``services.status`` but none for the ``coalesce`` expression over
the outer join (PostgreSQL guessed 0.5 % of the rows, so it sorted every row instead of
walking the ``created_at, id`` index to the end of the page).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, bindparam, delete, exists, insert, select, update
from sqlalchemy.exc import IntegrityError

from netorch.model.errors import ConflictError
from netorch.model.operations import OpState
from netorch.store.connect import writer
from netorch.store.tables import ns_instances, operations, services

_INSTANCE_COLUMNS = (
    ns_instances.c.id, ns_instances.c.name, ns_instances.c.description, ns_instances.c.nsd_id,
    ns_instances.c.nsd_info_id, ns_instances.c.flavour_id,
    services.c.status, services.c.active_op, services.c.scale_levels,
    services.c.instantiation_level,
)
"""What the API shows (``created_at`` only orders the list: not read back, no datetime per row)."""

_OP_COLUMNS = (
    operations.c.id, operations.c.service, operations.c.type, operations.c.state,
    operations.c.start_time, operations.c.state_entered_time, operations.c.error,
    operations.c.is_cancel_pending, operations.c.cancel_mode, operations.c.operation_params,
)

_JOINED = ns_instances.outerjoin(services, services.c.name == ns_instances.c.id)

_INSTANCE_BY_ID = (select(*_INSTANCE_COLUMNS).select_from(_JOINED)
                   .where(ns_instances.c.id == bindparam("ns_id")))
_OP_BY_ID = select(*_OP_COLUMNS).where(operations.c.id == bindparam("op_id"))
"""Built once: reading one instance / occurrence is the API's hottest path."""

FILTERABLE: dict[str, Any] = {
    "id": ns_instances.c.id,
    "nsInstanceName": ns_instances.c.name,
    "nsInstanceDescription": ns_instances.c.description,
    "nsdId": ns_instances.c.nsd_id,
    "nsdInfoId": ns_instances.c.nsd_info_id,
    "nsState": None,  # see _state_condition
}
"""NsInstance attributes (simple strings) a filter on them can be evaluated in SQL."""
SQL_OPS = frozenset({"eq", "neq", "in", "nin"})

NS_STATE = "nsState"
NOT_INSTANTIATED = "NOT_INSTANTIATED"
"""``nsState`` of an instance without a service record (never instantiated)."""

_svc = services.alias("svc_state")

CANCELLABLE = (str(OpState.PROCESSING), str(OpState.ROLLING_BACK))


def _state_condition(op: str, param: str, with_not_instantiated: bool) -> Any:
    """``nsState`` ``op`` the bound value(s) ``param``, as a semi- or anti-join on the service
    row (``services.name`` is the primary key, ``services.status`` is never NULL).

    An instance without a service row is NOT_INSTANTIATED, so when the values name
    NOT_INSTANTIATED the test is inverted: "no service row whose status is another value"."""
    if op in ("eq", "neq"):
        same, other = _svc.c.status == bindparam(param), _svc.c.status != bindparam(param)
    else:
        same = _svc.c.status.in_(bindparam(param, expanding=True))
        other = _svc.c.status.not_in(bindparam(param, expanding=True))
    row = _svc.c.name == ns_instances.c.id
    positive = op in ("eq", "in")
    if positive == with_not_instantiated:  # eq/in NOT_INSTANTIATED, neq/nin another state
        return ~exists().where(row, other if positive else same)
    return exists().where(row, same if positive else other)


def _shape(conditions: Sequence[tuple[str, str, Sequence[str]]]) -> tuple[tuple[str, str, bool],
                                                                          ...]:
    """What the page statement depends on: operators, attributes, and for ``nsState`` whether
    NOT_INSTANTIATED is among the values (the values themselves are bound)."""
    return tuple((op, attr, attr == NS_STATE and NOT_INSTANTIATED in values)
                 for op, attr, values in conditions)


def _page_query(shape: Sequence[tuple[str, str, bool]]) -> Any:
    """The page statement for conditions of this shape (see :func:`_shape`); values are bound
    at execution (``v0``, ``v1`` … — expanding for ``in``/``nin``), with ``offset``/``limit``."""
    query = (select(*_INSTANCE_COLUMNS).select_from(_JOINED)
             .order_by(ns_instances.c.created_at, ns_instances.c.id))
    for i, (op, attr, with_ni) in enumerate(shape):
        if op not in SQL_OPS:
            raise ValueError(f"operator {op!r} is not evaluated in the database")
        if attr == NS_STATE:
            query = query.where(_state_condition(op, f"v{i}", with_ni))
            continue
        col = FILTERABLE[attr]
        if op == "eq":
            query = query.where(col == bindparam(f"v{i}"))
        elif op == "neq":
            query = query.where(col != bindparam(f"v{i}"))
        elif op == "in":
            query = query.where(col.in_(bindparam(f"v{i}", expanding=True)))
        elif op == "nin":
            query = query.where(col.not_in(bindparam(f"v{i}", expanding=True)))
        else:
            raise ValueError(f"operator {op!r} is not evaluated in the database")
    return query.offset(bindparam("offset")).limit(bindparam("limit"))


class NsLcmStore:
    """``ns_instances`` and the API columns of ``operations``. Thread-safe."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._writer = writer(engine)
        self._pages: dict[tuple[tuple[str, str, bool], ...], Any] = {}
        """Page statements built once per filter shape (a dict: safe to share between
        threads; at worst two build the same statement)."""

    # -- NS instances ------------------------------------------------------------------------

    def create_instance(self, *, id: str, name: str, description: str, nsd_id: str,
                        nsd_info_id: str, created_at: datetime) -> None:
        try:
            with self._writer.begin() as conn:
                conn.execute(insert(ns_instances).values(
                    id=id, name=name, description=description, nsd_id=nsd_id,
                    nsd_info_id=nsd_info_id, created_at=created_at))
        except IntegrityError as exc:
            raise ConflictError(f"NS instance {id!r} already exists") from exc

    def set_flavour(self, ns_id: str, flavour_id: str | None) -> None:
        with self._writer.begin() as conn:
            conn.execute(update(ns_instances).where(ns_instances.c.id == ns_id)
                         .values(flavour_id=flavour_id))

    def delete_instance(self, ns_id: str) -> bool:
        with self._writer.begin() as conn:
            return bool(conn.execute(
                delete(ns_instances).where(ns_instances.c.id == ns_id)).rowcount)

    def instance(self, ns_id: str) -> Any | None:
        with self._engine.connect() as conn:
            return conn.execute(_INSTANCE_BY_ID, {"ns_id": ns_id}).first()

    def instances(self, *, ids: Sequence[str] | None = None, nsd_id: str | None = None,
                  name: str | None = None) -> list[Any]:
        """Oldest first; the optional arguments narrow the query (exact matches)."""
        query = (select(*_INSTANCE_COLUMNS)
                 .select_from(_JOINED)
                 .order_by(ns_instances.c.created_at, ns_instances.c.id))
        if ids is not None:
            query = query.where(ns_instances.c.id.in_(list(ids)))
        if nsd_id is not None:
            query = query.where(ns_instances.c.nsd_id == nsd_id)
        if name is not None:
            query = query.where(ns_instances.c.name == name)
        with self._engine.connect() as conn:
            return list(conn.execute(query).all())

    def instances_page(self, conditions: Sequence[tuple[str, str, Sequence[str]]], *,
                       offset: int, limit: int) -> list[Any]:
        """A page of instances matching every ``(op, attribute, values)`` condition, in list
        order (SOL013 §5.2 ``eq``/``neq``/``in``/``nin`` on the :data:`FILTERABLE` attributes,
        evaluated in the database; SOL013 §5.4 paging by offset)."""
        shape = _shape(conditions)
        query = self._pages.get(shape)
        if query is None:
            query = _page_query(shape)
            if len(self._pages) < 256:
                self._pages[shape] = query
        params: dict[str, Any] = {"offset": offset, "limit": limit}
        for i, (op, _attr, values) in enumerate(conditions):
            params[f"v{i}"] = values[0] if op in ("eq", "neq") else list(values)
        with self._engine.connect() as conn:
            return list(conn.execute(query, params).all())

    # -- operation occurrences ---------------------------------------------------------------

    def op(self, op_id: str) -> Any | None:
        with self._engine.connect() as conn:
            return conn.execute(_OP_BY_ID, {"op_id": op_id}).first()

    def ops(self, *, service: str | None = None) -> list[Any]:
        """Oldest first."""
        query = select(*_OP_COLUMNS).order_by(operations.c.start_time, operations.c.id)
        if service is not None:
            query = query.where(operations.c.service == service)
        with self._engine.connect() as conn:
            return list(conn.execute(query).all())

    def set_operation_params(self, op_id: str, params: dict[str, Any]) -> None:
        with self._writer.begin() as conn:
            conn.execute(update(operations).where(operations.c.id == op_id)
                         .values(operation_params=params))

    def request_cancel(self, op_id: str, mode: str) -> bool:
        """Mark a PROCESSING / ROLLING_BACK operation as being cancelled (compare-and-set);
        ``False`` when it is in another state or already being cancelled."""
        with self._writer.begin() as conn:
            result = conn.execute(
                update(operations)
                .where(operations.c.id == op_id, operations.c.state.in_(CANCELLABLE),
                       operations.c.is_cancel_pending.is_(False))
                .values(is_cancel_pending=True, cancel_mode=mode))
            return bool(result.rowcount == 1)

    def cancel_requested(self, op_id: str) -> str | None:
        """The cancel mode when a cancel is pending, else ``None``."""
        with self._engine.connect() as conn:
            row = conn.execute(select(operations.c.is_cancel_pending, operations.c.cancel_mode)
                               .where(operations.c.id == op_id)).first()
        if row is None or not row.is_cancel_pending:
            return None
        return str(row.cancel_mode or "GRACEFUL")

    def clear_cancel(self, op_id: str) -> None:
        """The cancellation ended: ``isCancelPending`` false, ``cancelMode`` kept."""
        with self._writer.begin() as conn:
            conn.execute(update(operations).where(operations.c.id == op_id)
                         .values(is_cancel_pending=False))
