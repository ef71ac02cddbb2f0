"""NS instances and their LCM operations as the SOL005 v2.6.1 NS lifecycle management
interface sees them (``nslcm/v1``, §6; SPEC-NOTES §1.3 and §2).

* An NS instance is created from an onboarded NSD (``nsdId``), NOT_INSTANTIATED, and sends
  NsIdentifierCreationNotification; deleting it (only when NOT_INSTANTIATED) sends
  NsIdentifierDeletionNotification.
* ``instantiate``, ``scale``, ``update``, ``heal`` and ``terminate`` map onto
  :class:`~netorch.services.lifecycle.Lifecycle`: the occurrence is recorded (PROCESSING)
  before this returns, and :class:`~netorch.services.op_runner.OpRunner` runs it.
* ``retry``, ``rollback``, ``continue`` (202) and ``fail`` (200) act on FAILED_TEMP only;
  ``cancel`` on PROCESSING / ROLLING_BACK only; everything else is a 409 (ConflictError).

The NsInstance / NsLcmOpOcc JSON is built here from a few columns (one query for a list).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from netorch.model.errors import ConflictError, NotFoundError, ValidationFailed
from netorch.model.operations import OpState, OpType
from netorch.model.records import ServiceStatus, TemplateRecord
from netorch.services.cancellation import CancelMode
from netorch.services.context import Context
from netorch.services.lifecycle import Lifecycle
from netorch.services.notify import Notifier
from netorch.services.onboarding import materialize
from netorch.services.op_runner import START_STATES, OpRunner
from netorch.services.package_api import PackageApi
from netorch.store.nslcm import FILTERABLE, SQL_OPS, NsLcmStore
from netorch.store.package_resources import (
    OnboardingState,
    OperationalState,
    PackageResources,
    ResourceKind,
)

log = logging.getLogger(__name__)

NS_DEFAULT_EXCLUDE = ("vnfInstance", "pnfInfo", "virtualLinkInfo", "vnffgInfo", "sapInfo",
                      "nsScaleStatus", "additionalAffinityOrAntiAffinityRule")
"""SOL005 §6.5.2.10 NsInstance default exclude set (SPEC-NOTES §0.5)."""
OP_DEFAULT_EXCLUDE = ("operationParams", "error", "resourceChanges")
"""SOL005 §6.5.2.3 NsLcmOpOcc default exclude set."""

SQL_FILTERABLE = frozenset(FILTERABLE)
"""NsInstance attributes a list filter on which the database evaluates."""
SQL_FILTER_OPS = SQL_OPS

_SCALE_DIRECTIONS = ("SCALE_OUT", "SCALE_IN")
_INSTANTIATED = str(ServiceStatus.INSTANTIATED)
_NOT_INSTANTIATED = str(ServiceStatus.NOT_INSTANTIATED)


def _iso(value: datetime) -> str:
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _problem(detail: str) -> dict[str, Any]:
    return {"status": 500, "title": "LCM operation failed", "detail": detail}


class NsLcm:
    """The NS lifecycle use cases of the API (one per API process)."""

    def __init__(self, ctx: Context, runner: OpRunner, notifier: Notifier | None = None) -> None:
        self.ctx = ctx
        self.runner = runner
        self.notifier = notifier
        self.db = NsLcmStore(ctx.store.engine)
        self.packages = PackageResources(ctx.store)
        self.api_root = notifier.api_root if notifier is not None else ""

    # ------------------------------------------------------------------ links

    def base(self) -> str:
        return f"{self.api_root}/nslcm/v1"

    def instance_href(self, ns_id: str) -> str:
        return f"{self.base()}/ns_instances/{ns_id}"

    def op_href(self, op_id: str) -> str:
        return f"{self.base()}/ns_lcm_op_occs/{op_id}"

    # ------------------------------------------------------------------ NSDs

    def _find_nsd(self, nsd_id: str) -> tuple[str, TemplateRecord]:
        """``(nsdInfoId, template)`` of an onboarded, enabled NSD with this ``nsdId``.

        An NSD resource of the nsd API (ONBOARDED, ENABLED) comes first; else a template
        onboarded with ``netorch onboard`` whose descriptor id, or content hash, is ``nsd_id``.
        """
        store = self.ctx.store
        disabled = False
        for attempt in range(2):
            if attempt:  # an NSD onboarded with `netorch onboard` gets its resource now
                PackageApi(self.ctx).sync()
            for res in self.packages.find(ResourceKind.NSD, descriptor_id=nsd_id):
                if res.onboarding_state is not OnboardingState.ONBOARDED \
                        or res.content_hash is None:
                    continue
                if res.operational_state is not OperationalState.ENABLED:
                    disabled = True
                    continue
                rec = store.get_template(res.content_hash)
                if rec is not None and rec.onboarded:
                    return res.id, rec
            if disabled:
                break
        if disabled:
            raise ValidationFailed(f"the NSD {nsd_id!r} is DISABLED")
        rec = store.get_template(nsd_id)
        if rec is not None and rec.onboarded:
            return rec.content_hash, rec
        matches = [t for t in store.list_templates()
                   if t.descriptor_id == nsd_id and t.onboarded]
        if matches:
            return matches[-1].content_hash, matches[-1]
        raise ValidationFailed(f"no onboarded NSD with nsdId {nsd_id!r}")

    # ------------------------------------------------------------------ NS instances

    def create(self, nsd_id: str, name: str, description: str) -> dict[str, Any]:
        """POST ns_instances (SOL005 §6.4.2.3.1): a new NOT_INSTANTIATED NS instance."""
        nsd_info_id, _rec = self._find_nsd(nsd_id)
        ns_id = str(uuid.uuid4())
        self.db.create_instance(id=ns_id, name=name, description=description, nsd_id=nsd_id,
                                nsd_info_id=nsd_info_id, created_at=datetime.now(UTC))
        if self.packages.get(nsd_info_id, ResourceKind.NSD) is not None:
            self.packages.add_user(nsd_info_id, ns_id)
        self.ctx.store.add_event(f"NS instance {ns_id} ({name}) created from NSD {nsd_id}",
                                 service=ns_id)
        self._identifier_notification("NsIdentifierCreationNotification", ns_id, nsd_id, name)
        return self.get_instance(ns_id, full=True)

    def _identifier_notification(self, ntype: str, ns_id: str, nsd_id: str,
                                 name: str) -> None:
        if self.notifier is None:
            return
        payload = {"nsInstanceId": ns_id,
                   "_links": {"nsInstance": {"href": self.instance_href(ns_id)}}}
        try:
            self.notifier.publish("nslcm", ntype, payload, {
                "nsInstanceId": ns_id, "nsdId": nsd_id, "nsInstanceName": name})
        except Exception:
            log.exception("queueing %s for %s failed", ntype, ns_id)

    def _render_instance(self, row: Any, *, full: bool, base: str | None = None
                         ) -> dict[str, Any]:
        """``NsInstance`` of a row; ``base``: ``{apiRoot}/nslcm/v1/ns_instances/`` (computed
        once per list)."""
        state = row.status or _NOT_INSTANTIATED
        instantiated = state == _INSTANTIATED
        href = (base or self.instance_href("")) + row.id
        links: dict[str, Any] = {"self": {"href": href}}
        if row.active_op is None:
            if instantiated:
                for task in ("terminate", "update", "scale", "heal"):
                    links[task] = {"href": f"{href}/{task}"}
            else:
                links["instantiate"] = {"href": href + "/instantiate"}
        out: dict[str, Any] = {
            "id": row.id, "nsInstanceName": row.name, "nsInstanceDescription": row.description,
            "nsdId": row.nsd_id, "nsdInfoId": row.nsd_info_id, "nsState": state,
            "_links": links,
        }
        if instantiated and row.flavour_id is not None:
            out["flavourId"] = row.flavour_id
        if full:
            levels = row.scale_levels or {}
            if levels and instantiated:
                out["nsScaleStatus"] = [{"nsScalingAspectId": a, "nsScaleLevelId": str(lvl)}
                                        for a, lvl in sorted(levels.items())]
            if instantiated:
                out["vnfInstance"] = self._vnf_instances(row.id)
        return out

    def _vnf_instances(self, ns_id: str) -> list[dict[str, Any]]:
        """The instance's VNFs (SOL005 §6.5.3.57 VnfInstance, reduced): one per node of a
        ``tosca.nodes.nfv.VNF`` type, else one per compute resource."""
        out: list[dict[str, Any]] = []
        for rec in self.ctx.store.resources(ns_id):
            if str(rec.kind) not in ("compute", "COMPUTE") and "VNF" not in rec.node_type:
                continue
            out.append({
                "id": rec.key, "vnfInstanceName": rec.node_id, "vnfdId": rec.node_type,
                "vnfProfileId": str(rec.spec.get("template", rec.node_id)),
                "instantiationState": "INSTANTIATED",
                "vimId": rec.vim,
                "instantiatedVnfInfo": {"vnfState": "STARTED" if rec.healthy else "STOPPED"},
            })
        return out

    def get_instance(self, ns_id: str, *, full: bool = True) -> dict[str, Any]:
        row = self.db.instance(ns_id)
        if row is None:
            raise NotFoundError(f"no NS instance {ns_id!r}")
        return self._render_instance(row, full=full)

    def list_instances(self, *, full: bool = False, nsd_id: str | None = None,
                       name: str | None = None, ids: Sequence[str] | None = None,
                       ) -> list[dict[str, Any]]:
        """Every NS instance, oldest first; ``full`` adds the default-excluded attributes."""
        rows = self.db.instances(nsd_id=nsd_id, name=name, ids=ids)
        base = self.instance_href("")
        return [self._render_instance(r, full=full, base=base) for r in rows]

    def instances_page(self, conditions: Sequence[tuple[str, str, Sequence[str]]], *,
                       offset: int, limit: int, full: bool = False) -> list[dict[str, Any]]:
        """A page of the list, filtered in the database (see :meth:`NsLcmStore.instances_page`:
        only ``eq``/``neq``/``in``/``nin`` on :data:`SQL_FILTERABLE` attributes)."""
        rows = self.db.instances_page(conditions, offset=offset, limit=limit)
        base = self.instance_href("")
        return [self._render_instance(r, full=full, base=base) for r in rows]

    def delete(self, ns_id: str) -> None:
        """DELETE ns_instances/{id} (§6.4.3.3.5): 409 unless NOT_INSTANTIATED."""
        row = self.db.instance(ns_id)
        if row is None:
            raise NotFoundError(f"no NS instance {ns_id!r}")
        if row.status == ServiceStatus.INSTANTIATED:
            raise ConflictError(f"NS instance {ns_id} is INSTANTIATED; terminate it first")
        if row.status is not None:
            Lifecycle(self.ctx).delete(ns_id)  # 409 while an operation holds it
        self.db.delete_instance(ns_id)
        if self.packages.get(row.nsd_info_id, ResourceKind.NSD) is not None:
            self.packages.remove_user(row.nsd_info_id, ns_id)
        self.ctx.store.add_event(f"NS instance {ns_id} deleted", service=ns_id)
        self._identifier_notification("NsIdentifierDeletionNotification", ns_id, row.nsd_id,
                                      row.name)

    # ------------------------------------------------------------------ tasks

    def _instance_row(self, ns_id: str) -> Any:
        row = self.db.instance(ns_id)
        if row is None:
            raise NotFoundError(f"no NS instance {ns_id!r}")
        return row

    def _started(self, op_id: str, params: Mapping[str, Any], *,
                 skip_failed: bool = False) -> str:
        """The occurrence is stored: record the request, announce START, run it."""
        self.db.set_operation_params(op_id, dict(params))
        op = self.ctx.store.get_op(op_id, with_steps=False)
        assert op is not None
        self.runner.notify(op.service, op.id, str(op.type), op.state, None)
        self.runner.submit(op_id, skip_failed=skip_failed)
        return op_id

    def instantiate(self, ns_id: str, body: Mapping[str, Any]) -> str:
        """InstantiateNsRequest (§6.5.2.11): ``nsFlavourId``, ``nsInstantiationLevelId``,
        ``additionalParamsForNs`` (the template's inputs; ``vimId`` picks the VIM)."""
        row = self._instance_row(ns_id)
        flavour = body.get("nsFlavourId")
        if not isinstance(flavour, str) or not flavour:
            raise ValidationFailed("nsFlavourId is required")
        _info, rec = self._find_nsd(row.nsd_id)
        if rec.flavours and flavour not in rec.flavours:
            raise ValidationFailed(f"the NSD has no flavour {flavour!r} "
                                   f"(flavours: {', '.join(rec.flavours)})")
        params = dict(body.get("additionalParamsForNs") or {})
        vim = params.pop("vimId", None)
        level = body.get("nsInstantiationLevelId")
        source = materialize(self.ctx, rec)
        op = Lifecycle(self.ctx, defer=True).instantiate(
            source, ns_id, inputs=params, vim=str(vim) if vim else None,
            instantiation_level=str(level) if level else None)
        self.db.set_flavour(ns_id, flavour)
        return self._started(op.id, body)

    def scale(self, ns_id: str, body: Mapping[str, Any]) -> str:
        """ScaleNsRequest (§6.5.2.14): SCALE_NS with ``scaleNsData.scaleNsByStepsData``, or
        SCALE_VNF with one ``scaleVnfData`` entry scaling by steps (``scaleByStepData``)."""
        self._instance_row(ns_id)
        scale_type = body.get("scaleType")
        if scale_type == "SCALE_NS":
            data = body.get("scaleNsData") or {}
            steps_data = data.get("scaleNsByStepsData") if isinstance(data, Mapping) else None
            if not isinstance(steps_data, Mapping):
                raise ValidationFailed("SCALE_NS needs scaleNsData.scaleNsByStepsData "
                                       "(scaling to a level is not supported)")
            direction = steps_data.get("scalingDirection")
            aspect = steps_data.get("aspectId")
            steps = steps_data.get("numberOfSteps", 1)
        elif scale_type == "SCALE_VNF":
            entries = body.get("scaleVnfData")
            if not isinstance(entries, list) or len(entries) != 1 \
                    or not isinstance(entries[0], Mapping):
                raise ValidationFailed("SCALE_VNF needs exactly one scaleVnfData entry")
            entry = entries[0]
            direction = entry.get("scaleVnfType")
            by_step = entry.get("scaleByStepData") or {}
            if not isinstance(by_step, Mapping):
                raise ValidationFailed("scaleVnfData.scaleByStepData must be an object")
            aspect = by_step.get("aspectId")
            steps = by_step.get("numberOfSteps", 1)
        else:
            raise ValidationFailed("scaleType must be SCALE_NS or SCALE_VNF")
        if direction not in _SCALE_DIRECTIONS:
            raise ValidationFailed("the scaling direction must be SCALE_OUT or SCALE_IN")
        if not isinstance(aspect, str) or not aspect:
            raise ValidationFailed("aspectId is required")
        if not isinstance(steps, int) or isinstance(steps, bool) or steps < 1:
            raise ValidationFailed("numberOfSteps must be a positive integer")
        op = Lifecycle(self.ctx, defer=True).scale(ns_id, aspect, steps,
                                                   scale_in=direction == "SCALE_IN")
        return self._started(op.id, body)

    def update(self, ns_id: str, body: Mapping[str, Any]) -> str:
        """UpdateNsRequest (§6.5.2.12) with ``updateType`` MODIFY_VNF_INFORMATION: the
        ``vnfConfigurableProperties`` of ``modifyVnfInfoData`` become the service's inputs."""
        self._instance_row(ns_id)
        update_type = body.get("updateType")
        if update_type != "MODIFY_VNF_INFORMATION":
            raise ValidationFailed(f"updateType {update_type!r} is not supported "
                                   "(supported: MODIFY_VNF_INFORMATION)")
        data = body.get("modifyVnfInfoData")
        if not isinstance(data, list) or not data:
            raise ValidationFailed("MODIFY_VNF_INFORMATION needs modifyVnfInfoData")
        inputs: dict[str, Any] = {}
        for entry in data:
            if not isinstance(entry, Mapping):
                raise ValidationFailed("modifyVnfInfoData entries must be objects")
            props = entry.get("vnfConfigurableProperties") or {}
            if not isinstance(props, Mapping):
                raise ValidationFailed("vnfConfigurableProperties must be an object")
            inputs.update(props)
        op = Lifecycle(self.ctx, defer=True).update(ns_id, inputs)
        return self._started(op.id, body)

    def heal(self, ns_id: str, body: Mapping[str, Any]) -> str:
        """HealNsRequest (§6.5.2.13): ``healNsData`` heals what the VIM reports unhealthy;
        ``healVnfData`` (one entry) replaces the named VNF (node id or template name)."""
        self._instance_row(ns_id)
        ns_data, vnf_data = body.get("healNsData"), body.get("healVnfData")
        if (ns_data is None) == (vnf_data is None):
            raise ValidationFailed("exactly one of healNsData and healVnfData is required")
        node: str | None = None
        if vnf_data is not None:
            if not isinstance(vnf_data, list) or len(vnf_data) != 1 \
                    or not isinstance(vnf_data[0], Mapping) \
                    or not vnf_data[0].get("vnfInstanceId"):
                raise ValidationFailed("healVnfData needs exactly one entry with vnfInstanceId")
            node = str(vnf_data[0]["vnfInstanceId"])
            node = self._node_of(ns_id, node)
        op = Lifecycle(self.ctx, defer=True).heal(ns_id, node)
        return self._started(op.id, body)

    def _node_of(self, ns_id: str, vnf_id: str) -> str:
        """A vnfInstance id (resource key) to its node id; node ids and names pass through."""
        for rec in self.ctx.store.resources(ns_id):
            if rec.key == vnf_id:
                return rec.node_id
        return vnf_id

    def terminate(self, ns_id: str, body: Mapping[str, Any]) -> str:
        """TerminateNsRequest (§6.5.2.15): terminate now (``terminationTime`` in the future is
        not supported)."""
        self._instance_row(ns_id)
        when = body.get("terminationTime")
        if when:
            try:
                at = datetime.fromisoformat(str(when).replace("Z", "+00:00"))
            except ValueError as exc:
                raise ValidationFailed("terminationTime is not a date-time") from exc
            if at.tzinfo is None:
                at = at.replace(tzinfo=UTC)
            if at > datetime.now(UTC):
                raise ValidationFailed("a terminationTime in the future is not supported")
        op = Lifecycle(self.ctx, defer=True).terminate(ns_id)
        return self._started(op.id, body)

    # ------------------------------------------------------------------ op occurrences

    def _render_op(self, row: Any, *, full: bool) -> dict[str, Any]:
        state = OpState(row.state)
        href = self.op_href(row.id)
        links: dict[str, Any] = {"self": {"href": href},
                                 "nsInstance": {"href": self.instance_href(row.service)}}
        pending = bool(row.is_cancel_pending) and state in START_STATES
        if state in START_STATES and not pending:
            links["cancel"] = {"href": f"{href}/cancel"}
        if state is OpState.FAILED_TEMP:
            for task in ("retry", "rollback", "continue", "fail"):
                links[task] = {"href": f"{href}/{task}"}
        out: dict[str, Any] = {
            "id": row.id, "operationState": str(state),
            "statusEnteredTime": _iso(row.state_entered_time),
            "nsInstanceId": row.service, "lcmOperationType": row.type,
            "startTime": _iso(row.start_time), "isAutomaticInvocation": False,
            "isCancelPending": pending,
        }
        if row.cancel_mode:
            out["cancelMode"] = row.cancel_mode
        if full:
            out["operationParams"] = row.operation_params or {}
            if row.error and state in (OpState.FAILED_TEMP, OpState.FAILED,
                                       OpState.ROLLED_BACK):
                out["error"] = _problem(row.error)
        out["_links"] = links
        return out

    def get_op(self, op_id: str, *, full: bool = True) -> dict[str, Any]:
        row = self.db.op(op_id)
        if row is None:
            raise NotFoundError(f"no NS LCM operation occurrence {op_id!r}")
        out = self._render_op(row, full=full)
        if full:
            out["resourceChanges"] = self._resource_changes(op_id)
        return out

    def _resource_changes(self, op_id: str) -> dict[str, Any]:
        """``resourceChanges.affectedVnfs`` (§6.5.3.x), from the operation's completed steps."""
        changes = {"CREATE": "ADD", "DELETE": "REMOVE", "UPDATE": "MODIFY"}
        affected: dict[str, dict[str, Any]] = {}
        for step in self.ctx.store.steps(op_id):
            if str(step.state) != "COMPLETED" or step.resource_key is None:
                continue
            affected[step.node_id] = {
                "vnfInstanceId": step.resource_key, "vnfProfileId": step.node_id,
                "vnfName": step.node_id, "changeType": changes.get(str(step.op), "MODIFY"),
                "changeResult": "COMPLETED"}
        return {"affectedVnfs": list(affected.values())} if affected else {}

    def list_ops(self, *, full: bool = False, ns_id: str | None = None) -> list[dict[str, Any]]:
        return [self._render_op(r, full=full) for r in self.db.ops(service=ns_id)]

    def _op_row(self, op_id: str) -> Any:
        row = self.db.op(op_id)
        if row is None:
            raise NotFoundError(f"no NS LCM operation occurrence {op_id!r}")
        return row

    def _require_failed_temp(self, op_id: str, task: str) -> None:
        row = self._op_row(op_id)
        if row.state != OpState.FAILED_TEMP:
            raise ConflictError(f"cannot {task} operation {op_id}: it is {row.state}; "
                                f"{task} is only possible in FAILED_TEMP")

    def retry(self, op_id: str) -> str:
        self._require_failed_temp(op_id, "retry")
        Lifecycle(self.ctx, defer=True).resume(op_id)
        return self._resumed(op_id)

    def continue_(self, op_id: str) -> str:
        self._require_failed_temp(op_id, "continue")
        Lifecycle(self.ctx, defer=True).resume(op_id, skip_failed=True)
        return self._resumed(op_id, skip_failed=True)

    def rollback(self, op_id: str) -> str:
        self._require_failed_temp(op_id, "roll back")
        Lifecycle(self.ctx, defer=True).rollback(op_id)
        return self._resumed(op_id)

    def _resumed(self, op_id: str, *, skip_failed: bool = False) -> str:
        op = self.ctx.store.get_op(op_id, with_steps=False)
        assert op is not None
        self.runner.notify(op.service, op.id, str(op.type), op.state, None)
        self.runner.submit(op_id, skip_failed=skip_failed)
        return op_id

    def fail(self, op_id: str) -> dict[str, Any]:
        """``fail`` (§6.4.11): FAILED_TEMP -> FAILED (final); answers 200 with the body."""
        self._require_failed_temp(op_id, "fail")
        op = Lifecycle(self.ctx).fail(op_id)
        self.runner.notify(op.service, op.id, str(op.type), op.state, op.error)
        return self.get_op(op_id)

    def cancel(self, op_id: str, mode: str) -> None:
        """``cancel`` (§6.4.13): only in PROCESSING or ROLLING_BACK, once."""
        try:
            cancel_mode = CancelMode(mode)
        except ValueError as exc:
            raise ValidationFailed("cancelMode must be GRACEFUL or FORCEFUL") from exc
        row = self._op_row(op_id)
        if not self.db.request_cancel(op_id, str(cancel_mode)):
            raise ConflictError(f"cannot cancel operation {op_id}: it is {row.state}"
                                + (" and already being cancelled"
                                   if row.is_cancel_pending else "")
                                + "; cancel is only possible in PROCESSING or ROLLING_BACK")
        self.ctx.store.add_event(f"cancel ({cancel_mode}) requested", service=row.service,
                                 op_id=op_id)
        self.runner.cancel(op_id, cancel_mode)


def is_op_type(value: str) -> bool:
    return value in {str(t) for t in OpType}
