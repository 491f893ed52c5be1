"""InstructionWorkflow: control of an instruction of the President or the Presidential
Administration, from registration until control is lifted (seed 9.1-9.7, Decree No. 976).

Several executors, the first named coordinates; terms once or monthly; reminders before each
term, lateness per executor at each term, disciplinary proposals that wait for the head's
approval; extensions decided by the issuer; on-site verification. Periodic control continues as
new every few periods, carrying its state and full trail, so histories stay bounded.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from temporalio import workflow
from temporalio.common import SearchAttributeUpdate

from models.control import (
    CHECK_EXECUTORS,
    DRAFT_INSTRUCTION_PROPOSAL,
    PLAN_DEADLINE,
    REGISTER_CASE,
    SET_PROPOSAL_STATUS,
    WRITE_CONCLUSION,
    CaseCard,
    CaseStatus,
    ConclusionRequest,
    DeadlinePlan,
    DeadlineRequest,
    ExecutorTrack,
    InstructionProposalRequest,
    InstructionRules,
    PolicyRequest,
    ProposalState,
    ProposalStatusRequest,
    RegisterResult,
    TimerPoint,
)
from models.errors import InputError
from models.instruction import InstructionCarry, InstructionInput, InstructionRun, parse_run
from models.moves import Actor, MoveRequest
from models.permissions import PermissionMatrix
from runtime import search_attributes as sa
from runtime.failures import invalid
from workflows.appeal_case import add_months
from workflows.case_machine import CaseMachine
from workflows.controlled import ControlledWorkflow
from workflows.instruction_case import InstructionCase
from workflows.instruction_table import INSTRUCTION_TABLE

SYSTEM = Actor(id="instruction-control", role="system")
HEAD = "head-of-department"
LATE_STATES = ("routed", "under_consideration", "returned_for_finalization")


@workflow.defn(name="InstructionWorkflow")
class InstructionWorkflow(ControlledWorkflow):
    TABLE = INSTRUCTION_TABLE

    @workflow.init
    def __init__(self, run: Any) -> None:
        self.case = InstructionCase()
        self.input_error = ""
        self.instruction: InstructionInput | None = None
        carry: InstructionCarry | None = None
        try:
            parsed = parse_run(run)
            self.instruction, carry = parsed.instruction, parsed.carry
            if self.instruction.reg_number != workflow.info().workflow_id:
                raise InputError("reg_number", "must equal the workflow id")
        except InputError as err:
            self.input_error = str(err)
        self.setup_control(CaseMachine(self.TABLE, self.case, initial=carry.state if carry else None))
        self.instruction_rules: InstructionRules | None = None
        self.tracks: dict[str, ExecutorTrack] = {}
        self.period = 1
        self.due_at = ""
        self.overdue = False
        self.verification: dict[str, str] = {}
        self.consolidated = ""
        self.conclusion = ""
        self.runs = 1
        self.new_run_wanted = False
        if carry is not None:
            self.restore(carry)

    def restore(self, carry: InstructionCarry) -> None:
        self.period, self.case.term, self.due_at, self.overdue = carry.period, carry.term, carry.due_at, carry.overdue
        self.tracks = {t.executor: t for t in carry.tracks}
        self.case.executors = [t.executor for t in carry.tracks]
        self.case.executor = self.case.executors[0] if self.case.executors else ""
        self.machine.history = list(carry.history)
        self.refusals, self.timeline, self.points = list(carry.refusals), list(carry.timeline), list(carry.points)
        self.case.proposals, self.case.extension = list(carry.proposals), dict(carry.extension)
        self.verification, self.rules, self.instruction_rules = (
            dict(carry.verification),
            carry.rules,
            carry.instruction_rules,
        )
        self.machine.permissions = PermissionMatrix("instruction", carry.grants, carry.own_only)
        self.runs = carry.runs + 1
        self.consolidated, self.conclusion, self.closure_reason = (
            carry.consolidated,
            carry.conclusion,
            carry.closure_reason,
        )

    def carry(self) -> InstructionCarry:
        assert self.rules is not None and self.instruction_rules is not None and self.machine.permissions
        return InstructionCarry(
            state=self.machine.state,
            period=self.period,
            term=self.case.term,
            due_at=self.due_at,
            overdue=self.overdue,
            tracks=list(self.tracks.values()),
            history=list(self.machine.history),
            refusals=list(self.refusals),
            timeline=list(self.timeline),
            points=list(self.points),
            proposals=list(self.case.proposals),
            extension=dict(self.case.extension),
            verification=dict(self.verification),
            rules=self.rules,
            instruction_rules=self.instruction_rules,
            grants=self.machine.permissions.grants,
            own_only=self.machine.permissions.own_only,
            runs=self.runs,
            consolidated=self.consolidated,
            conclusion=self.conclusion,
            closure_reason=self.closure_reason,
        )

    @workflow.run
    async def run(self, run: Any) -> CaseStatus:
        if self.input_error or self.instruction is None:
            raise invalid(f"invalid instruction: {self.input_error}")
        i = self.instruction
        if self.runs == 1:
            snapshot = await self.load_policies(PolicyRequest("instruction", i.issuer, "", "", executors=i.executors))
            self.instruction_rules = snapshot.instruction
            await self.plan_term(date.fromisoformat(i.first_term))
            await self.call(REGISTER_CASE, self.card(), RegisterResult)
            if i.executors:
                await self.system_move("assign", SYSTEM, details={"executors": list(i.executors)})
        self.upsert_search_attributes()
        while True:
            await self.control_loop()
            if self.machine.state == "closed":
                return self.status()
            await workflow.wait_condition(workflow.all_handlers_finished)
            if not self.inbox:
                self.note("continue_as_new", f"run {self.runs} hands over at period {self.period}")
                workflow.continue_as_new(InstructionRun(i, self.carry()))

    def wants_new_run(self) -> bool:
        return self.new_run_wanted and not self.inbox

    @workflow.query(name="status", description="State, term, executors' reports and lateness, proposals, trail")
    def status(self) -> CaseStatus:
        return self.case_status(
            deadline=self.case.term,
            due_at=self.due_at,
            overdue=self.overdue,
            executors=list(self.tracks.values()),
            proposals=list(self.case.proposals),
            period=self.period,
            runs=self.runs,
        )

    # ---- what an allowed move does ----
    async def perform(self, move: MoveRequest) -> str | None:
        trig, now = move.trigger, workflow.now()
        detail: dict[str, str] = {}
        if trig == "assign":
            names = [str(n) for n in move.details.get("executors", [])]
            problem: str = await self.call(CHECK_EXECUTORS, names, str)
            if problem:
                return problem
            detail["executors"] = ", ".join(names)
        elif trig == "report":
            late = bool(self.due_at) and now > datetime.fromisoformat(self.due_at)
            detail.update(period=str(self.period), late="yes" if late else "no", text=move.answer_text[:500])
        elif trig in ("submit_consolidated", "record_findings"):
            detail["text"] = move.answer_text[:500]
            if trig == "record_findings":
                detail["verdict"] = str(move.details.get("verdict", ""))
        elif trig in ("approve_extension", "refuse_extension"):
            detail.update(requested=self.case.extension.get("new_deadline", ""), by=self.case.extension.get("by", ""))
        elif trig == "schedule_verification":
            detail.update(date=move.new_deadline, place=str(move.details.get("place", "")))
        record = self.make_move(move, detail)
        if trig == "assign":
            names = detail["executors"].split(", ")
            self.case.executors, self.case.executor = names, names[0]
            self.tracks = {n: self.tracks.get(n, ExecutorTrack(n)) for n in names}
        elif trig == "report":
            track = self.tracks[move.actor.id]
            track.reports += 1
            track.last_period_reported = self.period
        elif trig == "submit_consolidated":
            self.consolidated = move.answer_text
            self.points = [p for p in self.points if p.kind == "proposal_term"]
        elif trig == "return_for_finalization":
            await self.finalization_term(move.new_deadline)
        elif trig == "request_extension":
            self.case.extension = {"by": move.actor.id, "new_deadline": move.new_deadline, "reason": move.reason}
            await self.tell(
                self.instruction_().issuer,
                "Запрос о продлении срока",
                f"{move.actor.id} просит продлить срок до {move.new_deadline}: {move.reason}",
            )
        elif trig == "approve_extension":
            await self.plan_term(date.fromisoformat(self.case.extension["new_deadline"]))
            self.case.extension = {}
        elif trig == "refuse_extension":
            self.case.extension = {}
        elif trig == "schedule_verification":
            self.verification = {"date": move.new_deadline, "place": detail["place"]}
        elif trig == "record_findings":
            poor = [str(e) for e in move.details.get("poor_executors", []) if str(e) in self.tracks]
            for name in poor:
                self.tracks[name].poor_findings += 1
            if poor:
                await self.propose(poor, "ненадлежащее исполнение по итогам проверки с выездом на место")
            if record.to_state == "returned_for_finalization":
                await self.finalization_term("")
        elif trig in ("approve_proposal", "reject_proposal"):
            status = "sent" if trig == "approve_proposal" else "rejected"
            proposal = next(p for p in self.case.proposals if p.key == move.target)
            proposal.status = status
            await self.call(
                SET_PROPOSAL_STATUS, ProposalStatusRequest(proposal.key, status, move.actor.id, move.reason), None
            )
        elif trig == "lift_control":
            self.conclusion = move.answer_text
            await self.write_conclusion()
        await self.record(record)
        self.upsert_search_attributes()
        return None

    # ---- terms ----
    async def plan_term(self, due: date) -> None:
        """The term of the current period (or an extended one), with reminders and the lateness check."""
        now = workflow.now().isoformat()
        plan: DeadlinePlan = await self.call(
            PLAN_DEADLINE,
            DeadlineRequest(workflow.info().workflow_id, now, now, self.rules_(), due_date=due.isoformat()),
            DeadlinePlan,
        )
        self.case.term, self.due_at = plan.due_date, plan.due_at
        kept = [p for p in self.points if p.kind == "proposal_term"]
        self.points = kept + [p for p in plan.points if p.kind in ("reminder", "escalation")]

    async def finalization_term(self, new_deadline: str) -> None:
        if new_deadline:
            await self.plan_term(date.fromisoformat(new_deadline))
            return
        now = workflow.now().isoformat()
        plan: DeadlinePlan = await self.call(
            PLAN_DEADLINE,
            DeadlineRequest(
                workflow.info().workflow_id,
                now,
                now,
                self.rules_(),
                term_working_days=self.irules().finalization_working_days,
            ),
            DeadlinePlan,
        )
        await self.plan_term(date.fromisoformat(plan.due_date))

    async def on_timer(self, point: TimerPoint) -> None:
        if point.kind == "proposal_term":
            waiting = [
                p for p in self.case.proposals if p.decide_by == point.legal_at and p.status == "awaiting_approval"
            ]
            if waiting:
                self.note("proposal_overdue", f"{waiting[0].key} still awaits the head's approval")
                await self.tell(
                    HEAD, "Предложение ожидает согласования", f"Срок согласования предложения {waiting[0].key} истёк."
                )
            return
        if self.machine.state not in LATE_STATES:
            return
        if point.kind == "reminder":
            pending = self.unreported()
            self.note("reminder", f"{point.working_days} working day(s) before {self.case.term}: {', '.join(pending)}")
            for name in pending:
                await self.tell(
                    name,
                    "Напоминание о сроке",
                    f"До срока {self.case.term} осталось рабочих дней: {point.working_days}.",
                    key=f"reminder-{point.legal_at}-{name}",
                )
        elif point.kind == "escalation":
            await self.term_passed()

    def unreported(self) -> list[str]:
        if self.machine.state == "returned_for_finalization":
            return self.case.executors[:1]  # finalization: the lead owes the consolidated report
        return [n for n, t in self.tracks.items() if t.last_period_reported < self.period]

    async def term_passed(self) -> None:
        """At each term: who is late, escalation, a proposal for the repeatedly late, next period."""
        late = self.unreported()
        self.overdue = bool(late)
        if late:
            for name in late:
                self.tracks[name].late_terms += 1
            self.note("escalation", f"term {self.case.term} missed by {', '.join(late)}")
            await self.tell(
                HEAD,
                "Нарушен срок исполнения поручения",
                f"Срок {self.case.term} нарушили: {', '.join(late)}.",
                key=f"late-{self.case.term}",
            )
            record = self.system_record("late", "instruction-control")
            record.detail = {"executors": ", ".join(late), "term": self.case.term}
            await self.record(record, f"late-{self.period}-{self.case.term}")
            threshold = self.irules().late_terms_for_proposal
            due = [n for n in late if self.tracks[n].late_terms >= threshold and not self.tracks[n].proposed]
            if due:
                await self.propose(due, f"нарушение сроков исполнения ({threshold} и более раз)")
        i = self.instruction_()
        if i.control == "monthly" and self.period < i.periods and self.machine.state != "returned_for_finalization":
            self.period += 1
            await self.plan_term(add_months(date.fromisoformat(i.first_term), self.period - 1))
            if (self.period - 1) % self.irules().continue_as_new_every_periods == 0:
                self.new_run_wanted = True
        self.upsert_search_attributes()

    async def propose(self, names: list[str], reason: str) -> None:
        """Draft a disciplinary proposal; it waits for the head's approval within its own term."""
        for name in names:
            self.tracks[name].proposed = True
        key = f"{workflow.info().workflow_id}:proposal-{len(self.case.proposals) + 1}"
        end = await self.working_days_after_today(self.irules().proposal_approval_working_days, "proposal_term")
        self.case.proposals.append(ProposalState(key, names, reason, "awaiting_approval", end.legal_at))
        self.points.append(end)
        self.note("disciplinary_proposal", f"{key} for {', '.join(names)}: {reason}; awaiting the head")
        await self.call(
            DRAFT_INSTRUCTION_PROPOSAL,
            InstructionProposalRequest(
                workflow.info().workflow_id, key, names, reason, self.rules_().staff_language, self.context()
            ),
            None,
        )
        await self.tell(
            HEAD,
            "Предложение о дисциплинарной ответственности на согласование",
            f"Проект {key} ({', '.join(names)}) ждёт согласования до {end.legal_at[:10]}.",
            key=key,
        )

    async def write_conclusion(self) -> None:
        i = self.instruction_()
        await self.call(
            WRITE_CONCLUSION,
            ConclusionRequest(
                i.reg_number,
                f"{i.reg_number}:conclusion",
                i.language,
                self.context(
                    conclusion=self.conclusion, issuer_official=i.issuer_official, related=", ".join(i.related_appeals)
                ),
                list(self.tracks.values()),
                list(self.case.proposals),
            ),
            str,
        )

    # ---- helpers ----
    async def tell(self, recipient: str, subject: str, message: str, key: str = "") -> None:
        key = key or f"notice-{len(self.timeline)}-{len(self.machine.history)}"
        await self.send(
            recipient,
            "instruction_notice",
            self.rules_().staff_language,
            key,
            self.context(subject=subject, message=message, recipient_name=recipient),
        )

    def context(self, **extra: str) -> dict[str, str]:
        i = self.instruction_()
        base = {"reg_number": i.reg_number, "issuer_name": i.issuer, "text": i.text[:500], "term": self.case.term}
        base.update(extra)
        return base

    def card(self) -> CaseCard:
        i = self.instruction_()
        return CaseCard(
            reg_number=i.reg_number,
            kind="instruction",
            appeal_type=i.control,
            channel="presidential_control",
            language=i.language,
            category=i.issuer,
            district="",
            applicant_kind="issuer",
            applicant_identity="",
            applicant_name=i.issuer_official,
            applicants_count=1,
            addressee="",
            received_at=i.received_at,
            state=self.machine.state,
            executor=self.case.executor,
            deadline=self.case.term,
            overdue=self.overdue,
            closure_reason=self.closure_reason,
        )

    def search_attribute_updates(self) -> list[SearchAttributeUpdate[Any]]:
        i = self.instruction_()
        return [
            sa.CASE_ISSUER.value_set(i.issuer),
            sa.CASE_OVERDUE.value_set(self.overdue),
            sa.keyword_or_unset(sa.CASE_EXECUTOR, self.case.executor),
            sa.moment_or_unset(sa.CASE_DEADLINE, self.due_at),
        ]

    def instruction_(self) -> InstructionInput:
        assert self.instruction is not None
        return self.instruction

    def irules(self) -> InstructionRules:
        assert self.instruction_rules is not None
        return self.instruction_rules
