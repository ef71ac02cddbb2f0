"""Background execution of NS LCM operations for the SOL005 API (SPEC-NOTES §0.8, §2).

The API records an operation occurrence (PROCESSING, or ROLLING_BACK for ``rollback``) and
answers 202; :class:`OpRunner` then runs it on a worker thread (the existing synchronous
:class:`~netorch.services.lifecycle.Lifecycle`, which runs the engine in its own event loop), so
the API's event loop is never blocked. Every state the operation reaches is in the store
before its NsLcmOperationOccurrenceNotification is queued (START when it enters PROCESSING or
ROLLING_BACK, RESULT on COMPLETED, FAILED_TEMP, FAILED or ROLLED_BACK; SOL005 §6.5.2.5).

``cancel`` (SOL005 §6.4.x, GRACEFUL or FORCEFUL) sets the operation's
:class:`~netorch.services.cancellation.CancelToken`; the operation stops cooperatively and ends
in FAILED_TEMP, after which ``isCancelPending`` is cleared (``cancelMode`` stays recorded).
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from netorch.model.operations import OpState
from netorch.services.cancellation import CancelMode, CancelToken
from netorch.services.context import Context
from netorch.services.lifecycle import Lifecycle
from netorch.services.notify import Notifier
from netorch.store.nslcm import NsLcmStore

log = logging.getLogger(__name__)

OP_NOTIFICATION = "NsLcmOperationOccurrenceNotification"
START_STATES = (OpState.PROCESSING, OpState.ROLLING_BACK)
ERROR_STATES = (OpState.FAILED_TEMP, OpState.FAILED, OpState.ROLLED_BACK)


def op_notification(*, ns_id: str, op_id: str, op_type: str, state: OpState,
                    error: str | None, api_root: str) -> dict[str, Any]:
    """``NsLcmOperationOccurrenceNotification`` (SOL005 v2.6.1 §6.5.2.5) without the
    per-delivery fields (``id``, ``subscriptionId``, ``timestamp``, ``_links.subscription``)."""
    base = f"{api_root}/nslcm/v1"
    body: dict[str, Any] = {
        "nsInstanceId": ns_id,
        "nsLcmOpOccId": op_id,
        "operation": op_type,
        "notificationStatus": "START" if state in START_STATES else "RESULT",
        "operationState": str(state),
        "isAutomaticInvocation": False,
        "_links": {"nsInstance": {"href": f"{base}/ns_instances/{ns_id}"},
                   "nsLcmOpOcc": {"href": f"{base}/ns_lcm_op_occs/{op_id}"}},
    }
    if error and state in ERROR_STATES:
        body["error"] = {"status": 500, "title": "LCM operation failed", "detail": error}
    return body


class OpRunner:
    """Runs begun operations on a small thread pool; one per API process."""

    def __init__(self, ctx: Context, notifier: Notifier | None = None, *,
                 workers: int = 4) -> None:
        self.ctx = ctx
        self.notifier = notifier
        self.workers = max(1, workers)
        self.nslcm = NsLcmStore(ctx.store.engine)
        self._pool: ThreadPoolExecutor | None = None
        self._tokens: dict[str, CancelToken] = {}
        self._futures: dict[str, Future[None]] = {}
        self._lock = threading.Lock()

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> None:
        """Park operations a dead process left running in FAILED_TEMP (Tacker's restart
        mapping, SPEC-NOTES §2), then accept work."""
        for found in Lifecycle(self.ctx).recover_interrupted():
            self.nslcm.clear_cancel(found.op.id)
            self.notify(found.op.service, found.op.id, str(found.op.type),
                        found.op.state, found.reason)
        with self._lock:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(self.workers, thread_name_prefix="netorch-op")

    def stop(self, *, grace_s: float | None = None) -> None:
        """Stop accepting work. Queued operations not started stay PROCESSING in the store and
        become FAILED_TEMP at the next start; running ones get ``grace_s`` to finish, then are
        stopped (they end in FAILED_TEMP, to be retried or rolled back)."""
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is None:
            return
        pool.shutdown(wait=False, cancel_futures=True)
        if grace_s is None:
            grace_s = self.ctx.settings.op_stop_grace_s
        deadline = time.monotonic() + grace_s
        while self.running() and time.monotonic() < deadline:
            time.sleep(0.05)
        with self._lock:
            tokens = list(self._tokens.values())
        for token in tokens:
            token.cancel(CancelMode.FORCEFUL, reason="the API server stopped")
        pool.shutdown(wait=True)

    async def astart(self) -> None:
        await asyncio.to_thread(self.start)

    async def astop(self) -> None:
        await asyncio.to_thread(self.stop)

    # ------------------------------------------------------------------ work

    def submit(self, op_id: str, *, skip_failed: bool = False) -> None:
        """Run a begun operation in the background."""
        token = CancelToken()
        with self._lock:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(self.workers, thread_name_prefix="netorch-op")
            self._tokens[op_id] = token
            fut = self._pool.submit(self._run, op_id, token, skip_failed)
            self._futures[op_id] = fut

    def cancel(self, op_id: str, mode: CancelMode) -> bool:
        """Tell a running (or queued) operation of this process to stop."""
        with self._lock:
            token = self._tokens.get(op_id)
        if token is None:
            return False
        token.cancel(mode)
        return True

    def running(self) -> list[str]:
        with self._lock:
            return list(self._tokens)

    def wait(self, op_id: str, timeout: float | None = None) -> None:
        """Block until the operation's run ends (tests and the bench)."""
        with self._lock:
            fut = self._futures.get(op_id)
        if fut is not None:
            fut.result(timeout)

    def _run(self, op_id: str, token: CancelToken, skip_failed: bool) -> None:
        try:
            mode = self.nslcm.cancel_requested(op_id)
            if mode is not None:  # cancelled while it waited for a worker
                token.cancel(CancelMode(mode))
            op = Lifecycle(self.ctx).execute(op_id, cancel=token, skip_failed=skip_failed)
            if token.cancelled:
                self.nslcm.clear_cancel(op_id)
            self.notify(op.service, op.id, str(op.type), op.state, op.error)
        except Exception:
            log.exception("running operation %s failed", op_id)
            self._park(op_id, token)
        finally:
            with self._lock:
                self._tokens.pop(op_id, None)
                self._futures.pop(op_id, None)

    def _park(self, op_id: str, token: CancelToken) -> None:
        """An unexpected error outside the engine: the operation must not stay PROCESSING."""
        try:
            op = self.ctx.store.get_op(op_id, with_steps=False)
            if op is not None and op.state in START_STATES:
                op = self.ctx.store.set_op_state(op_id, OpState.FAILED_TEMP,
                                                 error="the operation could not be run")
                if token.cancelled:
                    self.nslcm.clear_cancel(op_id)
                self.notify(op.service, op.id, str(op.type), op.state, op.error)
        except Exception:
            log.exception("could not park operation %s in FAILED_TEMP", op_id)

    def notify(self, ns_id: str, op_id: str, op_type: str, state: OpState,
               error: str | None) -> None:
        """Queue the NsLcmOperationOccurrenceNotification for a state already stored."""
        if self.notifier is None:
            return
        try:
            payload = op_notification(ns_id=ns_id, op_id=op_id, op_type=op_type, state=state,
                                      error=error, api_root=self.notifier.api_root)
            attrs = {"nsInstanceId": ns_id, "operationType": op_type,
                     "operationState": str(state)}
            row = self.nslcm.instance(ns_id)
            if row is not None:
                attrs |= {"nsdId": row.nsd_id, "nsInstanceName": row.name}
            self.notifier.publish("nslcm", OP_NOTIFICATION, payload, attrs)
        except Exception:
            log.exception("queueing the notification of operation %s failed", op_id)
