"""SOL005 package resources in the store: ``VnfPkgInfo`` (§9.5.2.5) and ``NsdInfo`` (§5.5.2.2).

A resource has its own id, given when the client creates it (POST ``vnf_packages`` /
``ns_descriptors``), and goes through the onboarding states CREATED → UPLOADING → PROCESSING →
ONBOARDED (back to CREATED, with ``onboardingFailureDetails``, when uploading or processing
fails). Every state change is a compare-and-set in one transaction, so two clients racing to
upload, or to delete while an upload starts, cannot both win (SOL005 §9.4.5.3.3: 409 Conflict).

Who uses a resource (an NS instance using an NSD, §5.5.2.2 ``nsdUsageState``) is kept in
``package_resource_users``; a resource with users cannot be deleted.

A package onboarded outside the API (``netorch onboard``) gets a resource too
(:meth:`PackageResources.adopt`: ONBOARDED and ENABLED from the start, under an id the caller
derives from the content), and a resource whose onboarded content was deleted outside the API
(``netorch packages delete``) goes with it (:meth:`PackageResources.forget`).
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Connection, delete, func, insert, select, update
from sqlalchemy.engine import RowMapping
from sqlalchemy.exc import IntegrityError

from netorch.model.errors import ConflictError, NotFoundError
from netorch.store.columns import utcnow
from netorch.store.connect import writer
from netorch.store.store import Store
from netorch.store.tables import package_resource_users, package_resources


class ResourceKind(StrEnum):
    VNF_PACKAGE = "vnf_package"
    NSD = "nsd"


class OnboardingState(StrEnum):
    """SOL005 v2.6.1 ``PackageOnboardingStateType`` (§9.5.4.3) / ``NsdOnboardingStateType``."""

    CREATED = "CREATED"
    UPLOADING = "UPLOADING"
    PROCESSING = "PROCESSING"
    ONBOARDED = "ONBOARDED"


class OperationalState(StrEnum):
    """``PackageOperationalStateType`` (§9.5.4.4) / ``NsdOperationalStateType``."""

    ENABLED = "ENABLED"
    DISABLED = "DISABLED"


@dataclass(frozen=True, slots=True)
class PackageResource:
    """One VNF package or NSD resource as stored."""

    id: str
    kind: ResourceKind
    onboarding_state: OnboardingState
    operational_state: OperationalState
    user_defined_data: Mapping[str, Any]
    created_at: datetime
    updated_at: datetime
    content_hash: str | None = None
    """The onboarded template (``templates.content_hash``) once ONBOARDED."""
    descriptor_id: str | None = None
    """``vnfdId`` / ``nsdId``."""
    info: Mapping[str, Any] = field(default_factory=dict)
    """What processing found, as SOL005 attributes (``vnfProvider``, ``softwareImages`` …)."""
    failure_details: Mapping[str, Any] | None = None
    """ProblemDetails of the last failed upload or processing."""
    upload_name: str | None = None
    users: tuple[str, ...] = ()
    """Who uses it (NS instance ids), oldest first."""


def _from_row(row: RowMapping, users: tuple[str, ...]) -> PackageResource:
    return PackageResource(
        id=row["id"], kind=ResourceKind(row["kind"]),
        onboarding_state=OnboardingState(row["onboarding_state"]),
        operational_state=OperationalState(row["operational_state"]),
        user_defined_data=dict(row["user_defined_data"] or {}),
        created_at=row["created_at"], updated_at=row["updated_at"],
        content_hash=row["content_hash"], descriptor_id=row["descriptor_id"],
        info=dict(row["info"] or {}), failure_details=row["failure_details"],
        upload_name=row["upload_name"], users=users)


_UPDATABLE = frozenset({"onboarding_state", "operational_state", "user_defined_data",
                        "content_hash", "descriptor_id", "info", "failure_details",
                        "upload_name"})


class PackageResources:
    """The package resources of one :class:`Store` (same engine, same transactions)."""

    def __init__(self, store: Store) -> None:
        self._engine = store.engine
        self._writer = writer(store.engine)

    @contextmanager
    def _write(self) -> Iterator[Connection]:
        with self._writer.begin() as conn:
            yield conn

    @contextmanager
    def _read(self) -> Iterator[Connection]:
        with self._engine.connect() as conn:
            yield conn

    def create(self, kind: ResourceKind, user_defined_data: Mapping[str, Any]) -> PackageResource:
        now = utcnow()
        rid = str(uuid.uuid4())
        with self._write() as conn:
            conn.execute(insert(package_resources).values(
                id=rid, kind=str(kind), onboarding_state=str(OnboardingState.CREATED),
                operational_state=str(OperationalState.DISABLED),
                user_defined_data=dict(user_defined_data), created_at=now, updated_at=now))
        return self.require(rid, kind)

    def get(self, rid: str, kind: ResourceKind | None = None) -> PackageResource | None:
        query = select(package_resources).where(package_resources.c.id == rid)
        if kind is not None:
            query = query.where(package_resources.c.kind == str(kind))
        with self._read() as conn:
            row = conn.execute(query).mappings().first()
            if row is None:
                return None
            users = self._users(conn, [rid]).get(rid, ())
        return _from_row(row, users)

    def require(self, rid: str, kind: ResourceKind) -> PackageResource:
        """The resource, or :class:`NotFoundError`."""
        found = self.get(rid, kind)
        if found is None:
            what = "VNF package" if kind is ResourceKind.VNF_PACKAGE else "NSD"
            raise NotFoundError(f"no {what} resource with id {rid!r}")
        return found

    def find(self, kind: ResourceKind, *, descriptor_id: str | None = None,
             content_hash: str | None = None) -> list[PackageResource]:
        """Oldest first."""
        query = (select(package_resources).where(package_resources.c.kind == str(kind))
                 .order_by(package_resources.c.created_at, package_resources.c.id))
        if descriptor_id is not None:
            query = query.where(package_resources.c.descriptor_id == descriptor_id)
        if content_hash is not None:
            query = query.where(package_resources.c.content_hash == content_hash)
        with self._read() as conn:
            rows = list(conn.execute(query).mappings())
            users = self._users(conn, [r["id"] for r in rows])
        return [_from_row(r, users.get(r["id"], ())) for r in rows]

    def shares_content(self, content_hash: str, but: str) -> bool:
        """Whether a resource other than ``but`` refers to the template ``content_hash``."""
        with self._read() as conn:
            count = conn.execute(
                select(func.count()).select_from(package_resources).where(
                    package_resources.c.content_hash == content_hash,
                    package_resources.c.id != but)).scalar_one()
        return bool(count)

    def update(self, rid: str, kind: ResourceKind, *,
               expect_onboarding: Collection[OnboardingState] | None = None,
               expect_operational: Collection[OperationalState] | None = None,
               **values: Any) -> PackageResource:
        """Change some fields, atomically checking the current states first.

        :class:`NotFoundError` when there is no such resource; :class:`ConflictError` when its
        onboarding (operational) state is not one of ``expect_onboarding``
        (``expect_operational``)."""
        unknown = set(values) - _UPDATABLE
        if unknown:
            raise ValueError(f"cannot update package resource field(s) {sorted(unknown)}")
        row_values = {k: (str(v) if isinstance(v, StrEnum) else v) for k, v in values.items()}
        row_values["updated_at"] = utcnow()
        key = (package_resources.c.id == rid) & (package_resources.c.kind == str(kind))
        with self._write() as conn:
            row = conn.execute(
                select(package_resources.c.onboarding_state,
                       package_resources.c.operational_state).where(key).with_for_update()
            ).first()
            if row is None:
                raise NotFoundError(f"no {kind} resource with id {rid!r}")
            if expect_onboarding is not None and row.onboarding_state not in {
                    str(s) for s in expect_onboarding}:
                raise ConflictError(
                    f"{kind} {rid} is {row.onboarding_state}; this needs onboarding state "
                    f"{' or '.join(sorted(str(s) for s in expect_onboarding))}")
            if expect_operational is not None and row.operational_state not in {
                    str(s) for s in expect_operational}:
                raise ConflictError(
                    f"{kind} {rid} is {row.operational_state}; this needs operational state "
                    f"{' or '.join(sorted(str(s) for s in expect_operational))}")
            conn.execute(update(package_resources).where(key).values(row_values))
        return self.require(rid, kind)

    def delete(self, rid: str, kind: ResourceKind) -> PackageResource:
        """Delete a DISABLED resource nobody uses (SOL005 §9.4.3.3.5 / §5.4.3.3.5); returns
        what was deleted. :class:`ConflictError` otherwise, :class:`NotFoundError` if absent."""
        key = (package_resources.c.id == rid) & (package_resources.c.kind == str(kind))
        with self._write() as conn:
            row = conn.execute(select(package_resources).where(key).with_for_update()
                               ).mappings().first()
            if row is None:
                raise NotFoundError(f"no {kind} resource with id {rid!r}")
            users = self._users(conn, [rid]).get(rid, ())
            current = _from_row(row, users)
            if current.operational_state is not OperationalState.DISABLED:
                raise ConflictError(f"{kind} {rid} is {current.operational_state}; disable it "
                                    "before deleting it")
            if users:
                raise ConflictError(f"{kind} {rid} is IN_USE by {', '.join(users[:5])}; it "
                                    "cannot be deleted")
            if current.onboarding_state in (OnboardingState.UPLOADING,
                                            OnboardingState.PROCESSING):
                raise ConflictError(f"{kind} {rid} is {current.onboarding_state}; wait for "
                                    "onboarding to finish")
            conn.execute(delete(package_resources).where(key))
        return current

    def adopt(self, rid: str, kind: ResourceKind, *, content_hash: str, descriptor_id: str,
              info: Mapping[str, Any], created_at: datetime) -> bool:
        """Record content onboarded outside the API as an ONBOARDED, ENABLED resource with id
        ``rid``. ``False`` (and nothing changed) when a resource with that id exists already:
        two callers adopting the same content at once create one resource."""
        now = utcnow()
        try:
            with self._write() as conn:
                if conn.execute(select(package_resources.c.id).where(
                        package_resources.c.id == rid)).first() is not None:
                    return False
                conn.execute(insert(package_resources).values(
                    id=rid, kind=str(kind), onboarding_state=str(OnboardingState.ONBOARDED),
                    operational_state=str(OperationalState.ENABLED), user_defined_data={},
                    content_hash=content_hash, descriptor_id=descriptor_id, info=dict(info),
                    created_at=created_at, updated_at=now))
        except IntegrityError:
            return False  # a concurrent adoption of the same content won
        return True

    def forget(self, rid: str, kind: ResourceKind, content_hash: str) -> PackageResource | None:
        """Delete an ONBOARDED resource whose content ``content_hash`` is no longer onboarded
        (deleted outside the API), whatever its operational state, with its users. ``None``
        when it is gone already or no longer refers to that content."""
        key = ((package_resources.c.id == rid) & (package_resources.c.kind == str(kind))
               & (package_resources.c.content_hash == content_hash)
               & (package_resources.c.onboarding_state == str(OnboardingState.ONBOARDED)))
        with self._write() as conn:
            row = conn.execute(select(package_resources).where(key).with_for_update()
                               ).mappings().first()
            if row is None:
                return None
            current = _from_row(row, self._users(conn, [rid]).get(rid, ()))
            conn.execute(delete(package_resource_users).where(
                package_resource_users.c.resource_id == rid))
            conn.execute(delete(package_resources).where(key))
        return current

    def interrupted(self) -> list[PackageResource]:
        """Resources left in UPLOADING or PROCESSING (by a process that stopped)."""
        busy = [str(OnboardingState.UPLOADING), str(OnboardingState.PROCESSING)]
        with self._read() as conn:
            rows = list(conn.execute(select(package_resources).where(
                package_resources.c.onboarding_state.in_(busy))).mappings())
        return [_from_row(r, ()) for r in rows]

    # -- users (SOL005 usage state) -----------------------------------------------------------

    def add_user(self, rid: str, user_id: str) -> None:
        """Record that ``user_id`` uses resource ``rid`` (idempotent)."""
        try:
            with self._write() as conn:
                if conn.execute(select(package_resources.c.id).where(
                        package_resources.c.id == rid)).first() is None:
                    raise NotFoundError(f"no package resource with id {rid!r}")
                exists = conn.execute(select(package_resource_users.c.user_id).where(
                    package_resource_users.c.resource_id == rid,
                    package_resource_users.c.user_id == user_id)).first()
                if exists is None:
                    conn.execute(insert(package_resource_users).values(
                        resource_id=rid, user_id=user_id, created_at=utcnow()))
        except IntegrityError:
            return  # a concurrent add of the same pair, or the resource was just deleted

    def remove_user(self, rid: str, user_id: str) -> None:
        """Forget that ``user_id`` uses ``rid`` (idempotent)."""
        with self._write() as conn:
            conn.execute(delete(package_resource_users).where(
                package_resource_users.c.resource_id == rid,
                package_resource_users.c.user_id == user_id))

    @staticmethod
    def _users(conn: Connection, ids: list[str]) -> dict[str, tuple[str, ...]]:
        if not ids:
            return {}
        rows = conn.execute(
            select(package_resource_users.c.resource_id, package_resource_users.c.user_id)
            .where(package_resource_users.c.resource_id.in_(ids))
            .order_by(package_resource_users.c.created_at, package_resource_users.c.user_id))
        found: dict[str, list[str]] = {}
        for rid, user in rows:
            found.setdefault(rid, []).append(user)
        return {k: tuple(v) for k, v in found.items()}


__all__ = ["OnboardingState", "OperationalState", "PackageResource", "PackageResources",
           "ResourceKind"]
