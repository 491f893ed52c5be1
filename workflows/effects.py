"""A case's side effects: activities by typed reference, the registry write that makes a move
for good, notices, effects that failed for good kept for an operator's retry, and the all or
nothing that wraps every handler."""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Awaitable, Callable, Sequence
from datetime import timedelta
from typing import Any, TypeVar

from temporalio import workflow
from temporalio.exceptions import ActivityError

from models.activity_names import (
    BY_NAME,
    COMMIT_MOVE,
    RECORD_EVENT,
    REGISTER_CASE,
    SEND_NOTIFICATION,
    ActivityRef,
)
from models.case_trail import CaseTrail, FailedEffect
from models.moves import Actor, MoveRecord
from models.notices import NotificationRequest, OutboxChange
from models.registry_writes import EventReceipt, EventWrite, MoveCommit, RegisterResult
from runtime.failures import invalid
from workflows.activity_calls import failure_message, run_activity
from workflows.case_host import CaseT, InputT
from workflows.outside import OutsideInterventions

A = TypeVar("A")
R = TypeVar("R")


def notice_label(notice: NotificationRequest) -> str:
    """How a notice is named in failures and the timeline: its template, no personal data."""
    return f"notice {notice.template}"


class Effects(OutsideInterventions[InputT, CaseT]):
    async def call(self, ref: ActivityRef[A, R], arg: A) -> R:
        """Run one of our activities. They are all short and idempotent (a registry write or read,
        a policy or calendar look-up, a notice into the outbox), so they run as local activities:
        in the workflow task that asked for them, recorded as one marker each, with no round trip
        through the server's task queues (issue 11). Runs whose history began with server-side
        activities keep them until they hand over to a new run. A reset run calls none (issue 20)."""
        if self.reset_run():
            await self.park()
        local = self.local_effects()
        if local:
            self.local_effects_task = self.history_length()  # the workflow task it runs in
        return await run_activity(ref, arg, local=local)

    def local_effects(self) -> bool:
        """Our activities run as local activities (runs whose history began before keep
        server-side ones)."""
        return workflow.patched("local-effects")

    async def let_messages_in(self) -> bool:
        """Before the run closes or hands over: if this workflow task ran local activities, end it
        first (a 1 ms timer). Signals and Updates that arrived while they ran then come in with
        the next task, instead of the server refusing a close command that ignores them
        (UNHANDLED_COMMAND, a failed workflow task). True when it waited."""
        if self.local_effects_task != self.history_length():
            return False
        await workflow.sleep(timedelta(milliseconds=1))
        return True

    async def register_card(self, by: Actor | None = None) -> RegisterResult:
        """Write the case's card once, with who registered it (`by`, from the start's seal: a
        registrar, or a channel's service identity). A registration number runs once: if the
        registry already holds it (open or closed) for another workflow run, this start is refused
        and the card is left as it is, whoever started it and with whatever id-reuse policy."""
        card = self.card()
        if by is not None:
            card.registered_by = {"id": by.id, "name": by.name, "role": by.role, "auth": by.method}
        try:
            return await self.call(REGISTER_CASE, card)
        except ActivityError as err:
            raise invalid(f"not registered: {failure_message(err)}") from None

    async def record(
        self,
        record: MoveRecord,
        key: str = "",
        notices: Sequence[NotificationRequest] = (),
        outbox: Sequence[OutboxChange] = (),
    ) -> None:
        """Append a move (or a system event) to the registry and refresh the card: the point at
        which a move is made for good. With local activities, the move's notices (and its changes
        to the case's letters) are written in the same transaction; a notice whose letter does not
        render is flagged for a retry."""
        write = EventWrite(self.card(), record, key or f"move-{record.seq}")
        if outbox and not self.local_effects():
            raise RuntimeError("a letter's change is written with its move (runs with local activities)")
        if not self.local_effects():
            await self.call(RECORD_EVENT, write)
            self.committed = True
            for notice in notices:  # runs that began before one commit per move
                await self.deliver(notice)
            return
        receipt: EventReceipt = await self.call(COMMIT_MOVE, MoveCommit(write, list(notices), list(outbox)))
        self.committed = True
        for notice in notices:
            if notice.key in receipt.failed_notices:
                self.fail_effect(
                    SEND_NOTIFICATION.name, notice, notice_label(notice), receipt.failed_notices[notice.key]
                )

    def system_record(self, trigger: str, actor_id: str = "deadline-control") -> MoveRecord:
        """A registry event for something the workflow did by itself (not a move of the table)."""
        state = self.case.state
        return MoveRecord(
            seq=0,
            trigger=trigger,
            actor_id=actor_id,
            actor_role="system",
            from_state=state,
            to_state=state,
            at=workflow.now().isoformat(),
        )

    async def send(self, recipient: str, template: str, language: str, key: str, context: dict[str, str]) -> bool:
        return await self.deliver(self.notice_request(recipient, template, language, key, context))

    async def deliver(self, notice: NotificationRequest) -> bool:
        """A notice into the outbox on its own (not with a move's commit)."""
        return await self.effect(SEND_NOTIFICATION, notice, notice_label(notice))

    def notice_request(
        self, recipient: str, template: str, language: str, key: str, context: dict[str, str]
    ) -> NotificationRequest:
        number = workflow.info().workflow_id
        return NotificationRequest(number, self.notice_key(template, key), recipient, template, language, context)

    @staticmethod
    def notice_key(template: str, key: str) -> str:
        """A notice's key in the outbox: once per case, template and move or point."""
        return f"{workflow.info().workflow_id}:{template}:{key}"

    async def effect(self, ref: ActivityRef[A, Any], arg: A, label: str) -> bool:
        """Run a side effect that must not stop the case: transient failures retry without limit;
        one that fails for good is recorded for an operator to retry after a fix."""
        try:
            await self.call(ref, arg)
        except ActivityError as err:
            self.fail_effect(ref.name, arg, label, failure_message(err))
            return False
        return True

    async def retry_effect(self, failed: FailedEffect) -> bool:
        """Run a failed effect again (its argument as it was kept: carried runs read it untyped)."""
        return await self.effect(BY_NAME[failed.activity], failed.arg, failed.label)

    def fail_effect(self, activity: str, arg: Any, label: str, message: str) -> None:
        self.trail.failed_effects.append(FailedEffect(activity, arg, workflow.now().isoformat(), message[:1000], label))
        self.note("side_effect_failed", f"{label}: {message}")
        workflow.logger.error("case %s: %s failed: %s", workflow.info().workflow_id, label, message[:300])
        self.upsert_search_attributes()

    async def guarded(self, what: str, step: Callable[[], Awaitable[str | None]]) -> str | None:
        """Run a move's handler (or a timer's, or a reconciliation) all or nothing: if it fails
        before its registry write, the case is restored and the move refused; either way the
        failure is recorded and flags the case for an operator, instead of failing the workflow
        task again and again."""
        saved = self.save()
        self.committed = False
        try:
            return await step()
        except Exception as err:  # a bug or a side effect that cannot succeed: never a task failure
            message = f"{type(err).__name__}: {failure_message(err)}"
            if self.committed:
                self.fail_effect("", None, f"{what}: recorded, but a later step failed", message)
                return None
            self.restore(saved)
            self.fail_effect("", None, f"{what}: not made, nothing was changed", message)
            return f"{what!r} could not be made ({message}); nothing was changed and the case is flagged for attention"
        finally:
            self.committed = False

    def save(self) -> tuple[dict[str, Any], CaseTrail]:
        facts = {f.name: getattr(self.case, f.name) for f in dataclasses.fields(self.case)}  # type: ignore[arg-type]
        return copy.deepcopy((facts, self.trail))

    def restore(self, saved: tuple[dict[str, Any], CaseTrail]) -> None:
        facts, trail = saved
        for name, value in facts.items():
            setattr(self.case, name, value)
        self.trail = trail
