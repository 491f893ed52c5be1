"""Side effects of instruction control: executor checks, disciplinary proposals awaiting the head,
conclusions (seed 9.7) and the half-year report for the akim (seed 7.6)."""

from __future__ import annotations

import json
import os
from datetime import date, timedelta
from pathlib import Path

from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select
from temporalio import activity

from activities.letters import environment, render
from models.activity_names import (
    CHECK_EXECUTORS,
    DRAFT_INSTRUCTION_PROPOSAL,
    SET_PROPOSAL_STATUS,
    WRITE_CONCLUSION,
    WRITE_HALF_YEAR_REPORT,
)
from models.notices import ConclusionRequest, HalfYearRequest, InstructionProposalRequest, ProposalStatusRequest
from models.registry import CaseRecord, DisciplinaryProposalRecord, DocumentRecord, EventRecord
from policies.routing import executor_name, executors, official_of

REPORTS_DIR_ENV = "APPEALS_REPORTS_DIR"


def _insert_once(engine: Engine, row: DocumentRecord | DisciplinaryProposalRecord) -> None:
    table = type(row)
    with Session(engine) as session:
        if session.exec(select(table.id).where(table.key == row.key)).first():  # type: ignore[attr-defined]
            return
        session.add(row)
        try:
            session.commit()
        except IntegrityError:  # a concurrent retry wrote it
            session.rollback()


class InstructionActivities:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    @activity.defn(name=CHECK_EXECUTORS)
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

    @activity.defn(name=DRAFT_INSTRUCTION_PROPOSAL)
    def draft_instruction_proposal(self, req: InstructionProposalRequest) -> None:
        """A proposal naming the late or poor executors and the officials responsible; it waits
        for the head's approval before it counts as sent."""
        people = [f"{official_of(e)} ({executor_name(e, req.language)})" for e in req.executors]
        context = dict(req.context, reg_number=req.reg_number, reason=req.reason, officials="; ".join(people))
        _, body = render("instruction_proposal", req.language, context)
        _insert_once(
            self.engine,
            DisciplinaryProposalRecord(
                key=req.key,
                reg_number=req.reg_number,
                executor=",".join(req.executors),
                official="; ".join(official_of(e) for e in req.executors),
                due_date=req.context.get("term", ""),
                overdue_working_days=0,
                language=req.language,
                body=body,
                status="awaiting_approval",
            ),
        )

    @activity.defn(name=SET_PROPOSAL_STATUS)
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

    @activity.defn(name=WRITE_CONCLUSION)
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
        _insert_once(
            self.engine,
            DocumentRecord(
                key=req.key, kind="conclusion", reg_number=req.reg_number, language=req.language, title=title, body=body
            ),
        )
        return req.key

    @activity.defn(name=WRITE_HALF_YEAR_REPORT)
    def write_half_year_report(self, req: HalfYearRequest) -> str:
        """The half-year report on all instructions under control, for the akim (seed 7.6): into the
        registry and as an HTML file."""
        end = date.fromisoformat(req.period_end)
        start = end - timedelta(days=182)
        with Session(self.engine) as session:
            cases = session.exec(
                select(CaseRecord).where(CaseRecord.kind == "instruction").order_by(col(CaseRecord.reg_number))
            ).all()
            late = session.exec(select(EventRecord.reg_number).where(EventRecord.trigger == "late")).all()
            proposals = session.exec(select(DisciplinaryProposalRecord)).all()
        late_count: dict[str, int] = {}
        for number in late:
            late_count[number] = late_count.get(number, 0) + 1
        rows = [
            {
                "reg_number": c.reg_number,
                "issuer": c.category,
                "lead": c.executor,
                "state": c.state,
                "term": c.deadline,
                "overdue": c.overdue,
                "late_terms": late_count.get(c.reg_number, 0),
                "proposals": sum(1 for p in proposals if p.reg_number == c.reg_number),
                "closure": c.closure_reason,
            }
            for c in cases
        ]
        totals = {
            "instructions": len(rows),
            "closed": sum(r["state"] == "closed" for r in rows),
            "overdue": sum(bool(r["overdue"]) for r in rows),
            "proposals_sent": sum(1 for p in proposals if p.status == "sent"),
        }
        html = (
            environment()
            .get_template("ru/half_year_report.html.j2")
            .render(start=start.isoformat(), end=end.isoformat(), rows=rows, totals=totals)
        )
        key = f"half-year-{end.isoformat()}"
        folder = Path(os.environ.get(REPORTS_DIR_ENV, "reports"))
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{key}.html"
        path.write_text(html, encoding="utf-8")
        _insert_once(
            self.engine,
            DocumentRecord(
                key=key,
                kind="half_year_report",
                language="ru",
                title=f"Instructions under control, {start} - {end}",
                body=html,
                path=str(path),
            ),
        )
        return json.dumps({"key": key, "path": str(path), **totals})
