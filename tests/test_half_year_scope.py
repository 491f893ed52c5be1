"""The half-year report (seed 7.6) covers every instruction under control at any time in the
half-year, with late terms counted inside it (issue 21.6: only instructions received in the
half-year were reported)."""

from __future__ import annotations

from datetime import date

from sqlalchemy.engine import Engine
from sqlmodel import Session

from analysis import figures
from analysis.scope import Scope
from models.registry import CaseRecord, EventRecord
from models.registry_writes import InstructionDetail, detail_json

H1 = Scope(date(2026, 1, 1), date(2026, 6, 30))


def instruction(number: str, received_on: str, state: str) -> CaseRecord:
    return CaseRecord(
        reg_number=number, kind="instruction", appeal_type="", channel="", language="ru", category="",
        district="", applicant_kind="", applicant_identity="", applicant_name="", applicants_count=0, addressee="akim",
        received_at=f"{received_on}T10:00:00+05:00", received_on=received_on, state=state, deadline="2026-12-31",
        workflow_run="r", detail=detail_json(InstructionDetail("president", "monthly", "")),
    )  # fmt: skip


def event(number: str, seq: int, trigger: str, at: str) -> EventRecord:
    return EventRecord(
        reg_number=number, key=f"e-{seq}", seq=seq, trigger=trigger, actor_id="x", actor_role="system",
        from_state="", to_state="", at=at, detail="{}",
    )  # fmt: skip


def test_the_half_year_covers_what_was_under_control_in_it(engine: Engine) -> None:
    with Session(engine) as s:
        s.add(instruction("PRI-2025-000001", "2025-11-10", "under_consideration"))  # earlier, still controlled
        s.add(instruction("PRI-2025-000002", "2025-12-01", "closed"))  # earlier, lifted in the half-year
        s.add(instruction("PRI-2025-000003", "2025-10-01", "closed"))  # lifted before the half-year
        s.add(instruction("PRI-2026-000004", "2026-02-01", "routed"))  # received in it
        s.add(instruction("PRI-2026-000005", "2026-08-01", "routed"))  # after it
        s.add(event("PRI-2025-000002", 1, "lift_control", "2026-03-05T06:00:00+00:00"))
        s.add(event("PRI-2025-000003", 1, "lift_control", "2025-12-20T06:00:00+00:00"))
        s.add(event("PRI-2025-000001", 1, "late", "2025-12-15T19:00:00+00:00"))  # before: not counted
        s.add(event("PRI-2025-000001", 2, "late", "2026-02-10T19:00:00+00:00"))  # inside
        s.add(event("PRI-2025-000001", 3, "late", "2025-12-31T19:30:00+00:00"))  # 1 Jan 00:30 in Almaty: inside
        s.commit()
    with engine.connect() as conn:
        lines = figures.instruction_rows(conn, H1)
        rows = [r["reg_number"] for r in lines]
        found = figures.instruction_figures(conn, H1)
    assert rows == ["PRI-2025-000001", "PRI-2025-000002", "PRI-2026-000004"]
    assert {r["issuer"] for r in lines} == {"president"}  # read from the card's detail (issue 22)
    assert (found.received, found.closed, found.late_terms) == (3, 1, 2)
