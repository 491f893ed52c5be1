"""How an appeal registered under table v1 makes the moves v2 changed (issue 9). Its rows name
these handlers (`"handler"` in workflows/appeal_table.py), so v1's behaviour lives here alone and
goes, with its rows, once no case runs under v1 (`starter.py audit versions` counts them)."""

from __future__ import annotations

from datetime import datetime

from temporalio import workflow

from models.moves import MoveRequest
from workflows.appeal_base import Notice
from workflows.appeal_terms import AppealTerms


class AppealV1Handlers(AppealTerms):
    """The appeal's handlers as table v1 made them (the base of AppealWorkflow)."""

    async def on_forward_v1(self, move: MoveRequest) -> str | None:
        detail = {"target": move.target}
        if self.case.forward_by:  # APPC: within 3 working days of receipt
            detail["forward_by"] = self.case.forward_by
            late = workflow.now() > datetime.fromisoformat(self.case.forward_by)
            detail["forward_late"] = "yes" if late else "no"
        record = self.make_move(move, detail)
        await self.done(record, ("applicant", "forwarding_notice", {"target": move.target, "reason": move.reason}))
        return None

    async def on_submit_answer_v1(self, move: MoveRequest) -> str | None:
        """Only a refusal opened the hearing; the answer was not set against the legal term."""
        record = self.make_move(move, {"answer_character": move.answer_character})
        self.take_answer(move)
        notices: list[Notice] = []
        if move.answer_character == "refused" and not self.case.hearing_until:
            await self.open_hearing(move, notices)
        await self.done(record, *notices)
        return None

    async def on_return_for_finalization_v1(self, move: MoveRequest) -> str | None:
        """The return planned a new term for the whole appeal (v2 keeps the legal term)."""
        record = self.make_move(move, self.quality_detail(move))
        self.reset_answer()
        await self.replan(term_working_days=self.rules_().finalization_working_days)
        context = {"reason": move.reason, "trigger": "return_for_finalization"}
        await self.done(record, ("executor", "assignment", context))
        return None

    async def on_approve_v1(self, move: MoveRequest) -> str | None:
        record = self.make_move(move, self.quality_detail(move))
        await self.done(record, self.answer_letter(move))
        return None

    async def on_extend_deadline_v1(self, move: MoveRequest) -> str | None:
        """No limit was recorded and no timer watched the applicant's notice."""
        record = self.make_move(move, {"deadline": f"{self.case.deadline} -> {move.new_deadline}"})
        await self.replan(due_date=move.new_deadline)
        await self.done(record, self.extension_notice(move))
        return None
