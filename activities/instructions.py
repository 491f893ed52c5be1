"""Side effects of instruction control: executor checks, disciplinary proposals awaiting the head,
conclusions (seed 9.7) and the half-year report for the akim (seed 7.6)."""

from __future__ import annotations

import json
from datetime import date, timedelta

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from activities.letters import render
from activities.notifications import write_proposal
from models.activity_names import (
    CHECK_EXECUTORS,
    DRAFT_INSTRUCTION_PROPOSAL,
    SET_PROPOSAL_STATUS,
    WRITE_CONCLUSION,
    WRITE_HALF_YEAR_REPORT,
)
from models.notices import (
    ConclusionRequest,
    HalfYearRequest,
    InstructionProposalRequest,
    ProposalStatusRequest,
    ReportRequest,
)
from models.registry import DisciplinaryProposalRecord, DocumentRecord, insert_once
from policies.routing import executor_name, executors, official_of


class InstructionActivities:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    @CHECK_EXECUTORS.method
    def check_executors(self, names: list[str]) -> str:
        """Why these executors cannot be assigned ("" if they can)."""
        unknown = [n for n in names if n not in executors()]
        if unknown:
            return (
                f"details.executors: unknown executor(s) {', '.join(unknown)}; known: {', '.join(sorted(executors()))}"
            )
        if len(set(names)) != len(names):
            return "details.executors: an executor is named twice"
        return ""

    @DRAFT_INSTRUCTION_PROPOSAL.method
    def draft_instruction_proposal(self, req: InstructionProposalRequest) -> None:
        """A proposal naming the late or poor executors and the officials responsible; it waits
        for the head's approval before it counts as sent."""
        people = [f"{official_of(e)} ({executor_name(e, req.language)})" for e in req.executors]
        context = dict(req.context, reg_number=req.reg_number, reason=req.reason, officials="; ".join(people))
        term = req.context.get("term", "")
        executors = list(req.executors)
        write_proposal(
            self.engine,
            "instruction_proposal",
            context,
            req.key,
            req.reg_number,
            executors,
            term,
            req.language,
            status="awaiting_approval",
        )

    @SET_PROPOSAL_STATUS.method
    def set_proposal_status(self, req: ProposalStatusRequest) -> None:
        with Session(self.engine) as session:
            row = session.exec(
                select(DisciplinaryProposalRecord).where(DisciplinaryProposalRecord.key == req.key)
            ).first()
            if row is None:
                raise LookupError(f"no disciplinary proposal {req.key}")  # retried: the draft may still be in flight
            row.status = req.status
            session.add(row)
            session.commit()

    @WRITE_CONCLUSION.method
    def write_conclusion(self, req: ConclusionRequest) -> str:
        """The conclusion on the results of monitoring the execution (seed 9.7)."""
        lines = [
            f"{t.executor} ({executor_name(t.executor, req.language)}): reports {t.reports}, "
            f"late terms {t.late_terms}, poor findings {t.poor_findings}"
            for t in req.executors
        ]
        sent = [p for p in req.proposals if p.status == "sent"]
        context = dict(
            req.context,
            reg_number=req.reg_number,
            executors="\n".join(lines),
            proposals="; ".join(f"{p.key}: {', '.join(p.executors)}" for p in sent) or "-",
        )
        title, body = render("instruction_conclusion", req.language, context)
        insert_once(
            self.engine,
            DocumentRecord(
                key=req.key, kind="conclusion", reg_number=req.reg_number, language=req.language, title=title, body=body
            ),
        )
        return req.key

    @WRITE_HALF_YEAR_REPORT.method
    def write_half_year_report(self, req: HalfYearRequest) -> str:
        """The half-year report for the akim (seed 7.6): the instructions of the President and the
        Administration and the appeals of the half-year, in Russian and Kazakh, as HTML and CSV
        files and in the registry's documents. `period_end` on 30 June or 31 December is that
        half-year; any other day (a schedule's run on 5 January or 5 July) is the half-year
        that ended before it."""
        from activities.reports import ReportActivities
        from analysis.scope import half_year_of

        end = date.fromisoformat(req.period_end)
        scope = half_year_of(end + timedelta(days=1) if (end.month, end.day) in ((6, 30), (12, 31)) else end)
        request = ReportRequest("half-year", "", start=scope.start.isoformat(), end=scope.end.isoformat())
        reports = ReportActivities(self.engine).written(request)  # ru and kk, the figures counted once
        written = [str(path) for _, files in reports for path in files]
        totals = reports[-1][0].summary
        key = f"half-year-{scope.start.isoformat()}-{scope.end.isoformat()}"
        return json.dumps({"key": key, "path": written[0], "paths": written, **totals})
