"""The periodic reconciliation (issue 20): every open card of the registry must have its case
running in Temporal in the same state, and every running case an open card. A difference means a
case was ended, reset or rewound outside the engine (or a registry write was lost); each is
logged, and the head and the auditors get one notice per check listing them."""

from __future__ import annotations

import asyncio
import logging

from sqlalchemy.engine import Engine
from sqlmodel import Session, select
from temporalio.client import Client, WorkflowExecutionStatus
from temporalio.service import RPCError, RPCStatusCode

from activities.letters import render
from models.activity_names import RECONCILE_CASES
from models.notices import NotificationRequest
from models.reconciliation import Difference, ReconcileRequest, ReconcileResult
from models.registry import CaseRecord, NotificationRecord, write_lock
from runtime import search_attributes as sa
from workflows.kinds import BY_WORKFLOW

log = logging.getLogger("appeals.reconciliation")
RECONCILIATION = "reconciliation"  # the notice's template
ALERTED = ("head", "auditor")


class ReconciliationActivities:
    def __init__(self, engine: Engine, client: Client) -> None:
        self.engine, self.client = engine, client

    @RECONCILE_CASES.async_method
    async def reconcile_cases(self, request: ReconcileRequest) -> ReconcileResult:
        found = await self.differences()
        if found.differences and request.settle_seconds > 0:
            await asyncio.sleep(request.settle_seconds)  # a move in flight: card and case agree again
            again = {(d.reg_number, d.what) for d in (await self.differences()).differences}
            found.differences = [d for d in found.differences if (d.reg_number, d.what) in again]
        for d in found.differences:
            log.warning("reconciliation: %s: %s (%s)", d.reg_number, d.what, d.detail)
        if found.differences:
            await asyncio.to_thread(self.alert, request.day, found.differences)
        return found

    def cards(self) -> dict[str, CaseRecord]:
        with Session(self.engine) as s:
            return {c.reg_number: c for c in s.exec(select(CaseRecord))}

    async def differences(self) -> ReconcileResult:
        cards = await asyncio.to_thread(self.cards)
        kinds = " OR ".join(f"WorkflowType = '{name}'" for name in BY_WORKFLOW)
        running: dict[str, str] = {}
        async for w in self.client.list_workflows(f"({kinds}) AND ExecutionStatus = 'Running'"):
            state = w.typed_search_attributes.get(sa.CASE_STATE)
            if state:  # a case not yet registered has no state: nothing to compare yet
                running[w.id] = state
        result = ReconcileResult(
            open_cards=sum(c.state != "closed" for c in cards.values()), running_cases=len(running)
        )
        for number, card in sorted(cards.items()):
            if card.state == "closed":
                continue
            if number in running:
                if running[number] != card.state:
                    result.differences.append(
                        Difference(number, "state differs", f"case {running[number]}, registry {card.state}")
                    )
                continue
            result.differences.append(Difference(number, "open card, no running case", await self.status_of(number)))
        for number, state in sorted(running.items()):
            found = cards.get(number)
            if found is None:
                result.differences.append(Difference(number, "running case, no card", f"case {state}"))
            elif found.state == "closed":
                result.differences.append(Difference(number, "running case, card closed", f"case {state}"))
        return result

    async def status_of(self, number: str) -> str:
        try:
            described = await self.client.get_workflow_handle(number).describe()
        except RPCError as err:
            if err.status == RPCStatusCode.NOT_FOUND:
                return "no workflow (deleted?)"
            raise
        status = described.status or WorkflowExecutionStatus.RUNNING
        when = f" at {described.close_time:%Y-%m-%d %H:%M} UTC" if described.close_time else ""
        return f"workflow {status.name.lower()}{when}"

    def alert(self, day: str, differences: list[Difference]) -> None:
        """One notice per check to the head and the auditors (once per check: the key is its time)."""
        lines = [f"{d.reg_number}: {d.what} ({d.detail})" for d in differences]
        with write_lock(self.engine), Session(self.engine) as s:
            for recipient in ALERTED:
                notice = NotificationRequest(
                    "", f"{RECONCILIATION}-{day}-{recipient}", recipient, RECONCILIATION, "ru",
                    {"day": day, "count": str(len(lines)), "lines": "\n".join(lines)},
                )  # fmt: skip
                if s.exec(select(NotificationRecord).where(NotificationRecord.key == notice.key)).first() is None:
                    subject, body = render(notice.template, notice.language, notice.context)
                    s.add(NotificationRecord.of(notice, subject, body))
            s.commit()
