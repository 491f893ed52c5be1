"""InstructionWorkflow: control of an instruction of the President or the Presidential
Administration, from registration until control is lifted (seed 9.1-9.7, Decree No. 976).

Several executors, the first named coordinates; terms once or monthly; reminders before each
term, lateness per executor at each term, disciplinary proposals that wait for the head's
approval; extensions decided by the issuer; on-site verification. Periodic control continues as
new every few periods, carrying its case and full trail, so histories stay bounded.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from temporalio import workflow

from models.activity_names import (
    CHECK_EXECUTORS,
    DRAFT_INSTRUCTION_PROPOSAL,
    WRITE_CONCLUSION,
)
from models.case_status import CaseStatus, ExecutorTrack, InstructionFacts, ProposalState
from models.deadlines import TimerPoint
from models.instruction import (
    AssignDetails,
    FindingsDetails,
    VerificationDetails,
    VerificationScheduled,
)
from models.moves import MoveRequest
from models.notices import ConclusionRequest, InstructionProposalRequest
from workflows.instruction_case import ExtensionRequest, VerificationPlan
from workflows.proposals import ProposalDecisions

with workflow.unsafe.imports_passed_through():
    from policies.calendar import add_months

from workflows.instruction_base import HEAD, LATE_STATES, SYSTEM, InstructionBase


@workflow.defn(name="InstructionWorkflow")
class InstructionWorkflow(ProposalDecisions, InstructionBase):
    @workflow.run
    async def run(self, run: Any) -> CaseStatus:
        self.check_input()
        self.case.new_run_wanted = False  # wanted by the run that handed over, done now
        i = self.input
        self.case.issuer = i.issuer
        if self.trail.runs == 1:
            snapshot = await self.load_policies(self.policy_request(i))
            self.case.rules = snapshot.instruction
            if snapshot.instruction is not None:
                self.case.issuer_office_unit = snapshot.instruction.issuer_office_unit
            await self.plan_term(date.fromisoformat(i.first_term))
            await self.register_card(self.registered_by)
            self.upsert_search_attributes()
            if i.executors:
                await self.system_move("assign", SYSTEM, details=AssignDetails(list(i.executors)))
        self.upsert_search_attributes()
        return await self.run_controlled()

    def kind_wants_new_run(self) -> bool:
        return self.case.new_run_wanted

    def facts(self) -> InstructionFacts:
        c = self.case
        return InstructionFacts(executors=list(c.tracks.values()), proposals=list(c.proposals), period=c.period)

    def is_overdue(self) -> bool:
        return self.case.overdue

    async def on_assign(self, move: MoveRequest) -> str | None:
        details: AssignDetails = move.details
        names = list(details.executors)
        problem: str = await self.call(CHECK_EXECUTORS, names)
        if problem:
            return problem
        record = self.make_move(move, {"executors": ", ".join(names)})
        c = self.case
        c.executors, c.executor = names, names[0]
        c.tracks = {n: c.tracks.get(n, ExecutorTrack(n)) for n in names}
        await self.done(record)
        return None

    async def on_report(self, move: MoveRequest) -> str | None:
        late = bool(self.case.due_at) and workflow.now() > datetime.fromisoformat(self.case.due_at)
        detail = {"period": str(self.case.period), "late": "yes" if late else "no", "text": move.answer_text[:500]}
        record = self.make_move(move, detail)
        # An executor reports for their unit (issue 21): a user of housing-dept credits housing-dept,
        # not a new executor named after the user. Histories recorded before credit the user.
        who = self.acting_for(move) if workflow.patched("reports-by-unit") else move.actor.id
        track = self.case.tracks.setdefault(who, ExecutorTrack(who))
        track.reports += 1
        track.last_period_reported = self.case.period
        await self.done(record)
        return None

    async def on_submit_consolidated(self, move: MoveRequest) -> str | None:
        record = self.make_move(move, {"text": move.answer_text[:500]})
        self.case.consolidated = move.answer_text
        self.trail.points = [p for p in self.trail.points if p.kind == "proposal_term"]
        await self.done(record)
        return None

    async def on_return_for_finalization(self, move: MoveRequest) -> str | None:
        record = self.make_move(move)
        await self.finalization_term(move.new_deadline)
        await self.done(record)
        return None

    async def on_request_extension(self, move: MoveRequest) -> str | None:
        record = self.make_move(move)
        self.case.extension = ExtensionRequest(move.actor.id, move.new_deadline, move.reason)
        await self.done(record)
        await self.tell(
            self.input.issuer,
            "Запрос о продлении срока",
            f"{move.actor.id} просит продлить срок до {move.new_deadline}: {move.reason}",
        )
        return None

    async def on_approve_extension(self, move: MoveRequest) -> str | None:
        extension = self.case.extension
        assert extension is not None  # condition extension_pending
        record = self.make_move(move, self.decision_detail(move, extension))
        await self.plan_term(date.fromisoformat(extension.new_deadline))
        self.case.extension = None
        await self.done(record)
        return None

    async def on_refuse_extension(self, move: MoveRequest) -> str | None:
        extension = self.case.extension
        assert extension is not None  # condition extension_pending
        record = self.make_move(move, self.decision_detail(move, extension))
        self.case.extension = None
        await self.done(record)
        return None

    async def on_schedule_verification(self, move: MoveRequest) -> str | None:
        details: VerificationDetails | VerificationScheduled = move.details  # v1-v3 | v4
        record = self.make_move(move, {"date": move.new_deadline, "place": details.place})
        self.case.verification = VerificationPlan(move.new_deadline, details.place)
        await self.done(record)
        return None

    async def on_record_findings(self, move: MoveRequest) -> str | None:
        details: FindingsDetails = move.details
        record = self.make_move(move, {"text": move.answer_text[:500], "verdict": details.verdict})
        poor = [name for name in details.poor_executors if name in self.case.tracks]
        for name in poor:
            self.case.tracks[name].poor_findings += 1
        if record.to_state == "returned_for_finalization":
            await self.finalization_term("")
        await self.done(record)
        if poor:
            await self.propose(poor, "ненадлежащее исполнение по итогам проверки с выездом на место")
        return None

    async def on_lift_control(self, move: MoveRequest) -> str | None:
        record = self.make_move(move)
        self.case.conclusion = move.answer_text
        await self.done(record)
        await self.write_conclusion()
        return None

    async def on_transfer(self, move: MoveRequest) -> str | None:
        await self.done(self.make_move(move))
        return None

    async def on_point_proposal_term(self, point: TimerPoint) -> None:
        c = self.case
        waiting = [p for p in c.proposals if p.decide_by == point.legal_at and p.status == "awaiting_approval"]
        if waiting:
            self.note("proposal_overdue", f"{waiting[0].key} still awaits the head's approval")
            await self.tell(
                HEAD, "Предложение ожидает согласования", f"Срок согласования предложения {waiting[0].key} истёк."
            )

    async def on_point_reminder(self, point: TimerPoint) -> None:
        c = self.case
        if c.state in LATE_STATES:
            pending = self.unreported()
            self.note("reminder", f"{point.working_days} working day(s) before {c.term}: {', '.join(pending)}")
            for name in pending:
                await self.tell(
                    name,
                    "Напоминание о сроке",
                    f"До срока {c.term} осталось рабочих дней: {point.working_days}.",
                    key=f"reminder-{point.legal_at}-{name}",
                )

    async def on_point_escalation(self, point: TimerPoint) -> None:
        if self.case.state in LATE_STATES:
            await self.term_passed()

    def unreported(self) -> list[str]:
        c = self.case
        if c.state == "returned_for_finalization":
            return c.executors[:1]  # finalization: the lead owes the consolidated report
        return [n for n, t in c.tracks.items() if t.last_period_reported < c.period]

    async def term_passed(self) -> None:
        """At each term: who is late, escalation, a proposal for the repeatedly late, next period."""
        c = self.case
        late = self.unreported()
        c.overdue = bool(late)
        if late:
            for name in late:
                c.tracks[name].late_terms += 1
            self.note("escalation", f"term {c.term} missed by {', '.join(late)}")
            record = self.system_record("late", "instruction-control")
            record.detail = {"executors": ", ".join(late), "term": c.term}
            await self.record(record, f"late-{c.period}-{c.term}")
            await self.tell(
                HEAD,
                "Нарушен срок исполнения поручения",
                f"Срок {c.term} нарушили: {', '.join(late)}.",
                key=f"late-{c.term}",
            )
            rules = self.case.loaded_rules()
            once = self.input.control == "once" and rules.late_terms_for_proposal_once
            threshold = rules.late_terms_for_proposal_once if once else rules.late_terms_for_proposal
            due = [n for n in late if c.tracks[n].late_terms >= threshold and not c.tracks[n].proposed]
            if due:
                await self.propose(due, f"нарушение сроков исполнения ({threshold} и более раз)")
        i = self.input
        if i.control == "monthly" and c.period < i.periods and c.state != "returned_for_finalization":
            c.period += 1
            await self.plan_term(add_months(date.fromisoformat(i.first_term), c.period - 1))
            if (c.period - 1) % self.case.loaded_rules().continue_as_new_every_periods == 0:
                c.new_run_wanted = True
        self.upsert_search_attributes()

    async def propose(self, names: list[str], reason: str) -> None:
        """Draft a disciplinary proposal; it waits for the head's approval within its own term."""
        c = self.case
        for name in names:
            c.tracks[name].proposed = True
        key = f"{workflow.info().workflow_id}:proposal-{len(c.proposals) + 1}"
        end = await self.working_days_after_today(
            self.case.loaded_rules().proposal_approval_working_days, "proposal_term"
        )
        c.proposals.append(ProposalState(key, names, reason, "awaiting_approval", end.legal_at))
        self.trail.points.append(end)
        self.note("disciplinary_proposal", f"{key} for {', '.join(names)}: {reason}; awaiting the head")
        request = InstructionProposalRequest(
            workflow.info().workflow_id, key, names, reason, self.rules_().staff_language, self.context()
        )
        await self.effect(DRAFT_INSTRUCTION_PROPOSAL, request, f"disciplinary proposal {key}")
        await self.tell(
            HEAD,
            "Предложение о дисциплинарной ответственности на согласование",
            f"Проект {key} ({', '.join(names)}) ждёт согласования до {end.legal_at[:10]}.",
            key=key,
        )

    async def write_conclusion(self) -> None:
        i, c = self.input, self.case
        request = ConclusionRequest(
            i.reg_number,
            f"{i.reg_number}:conclusion",
            i.language,
            self.context(
                conclusion=c.conclusion, issuer_official=i.issuer_official, related=", ".join(i.related_appeals)
            ),
            list(c.tracks.values()),
            list(c.proposals),
        )
        await self.effect(WRITE_CONCLUSION, request, "conclusion on the instruction")
