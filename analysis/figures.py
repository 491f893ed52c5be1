"""The reports' figures, counted by SQL in the registry (SQLite and PostgreSQL alike): GROUP BY
queries over the cases of a period, never every row loaded into Python.

A case belongs to the period its receipt's local date (`received_on`) falls in. "Answered on
time" and "answered late" are measured against the legal term as it stood when the answer was
approved (`answered_late`, seed 10.1); "open past the term" are cases not closed and overdue now.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import and_, case, distinct, func, literal, or_, select
from sqlalchemy.engine import Connection
from sqlalchemy.sql import ColumnElement, Select

from analysis.scope import Scope
from models.registry import CaseRecord, DisciplinaryProposalRecord, EventRecord
from models.registry_writes import parse_detail

CASES = CaseRecord.__table__  # type: ignore[attr-defined]
EVENTS = EventRecord.__table__  # type: ignore[attr-defined]
PROPOSALS = DisciplinaryProposalRecord.__table__  # type: ignore[attr-defined]

RETURN = "return_for_finalization"
EXTEND = "extend_deadline"
APPEAL_KINDS = ("appeal",)


def in_scope(scope: Scope, kinds: tuple[str, ...] = APPEAL_KINDS) -> ColumnElement[bool]:
    where = and_(
        CASES.c.kind.in_(kinds),
        CASES.c.received_on >= scope.start.isoformat(),
        CASES.c.received_on <= scope.end.isoformat(),
    )
    return and_(where, CASES.c.district == scope.district) if scope.district else where


def _count_if(condition: ColumnElement[bool]) -> Any:
    return func.sum(case((condition, 1), else_=0))


def _has_event(trigger: str) -> ColumnElement[bool]:
    return CASES.c.reg_number.in_(select(EVENTS.c.reg_number).where(EVENTS.c.trigger == trigger))


ANSWERED = CASES.c.answered_on != ""
RETURNED = _has_event(RETURN)
EXTENDED = _has_event(EXTEND)
PROPOSED = CASES.c.reg_number.in_(select(PROPOSALS.c.reg_number))
OPEN_PAST_TERM = and_(CASES.c.state != "closed", CASES.c.overdue == literal(True))


@dataclass
class PerformanceRow:
    """One executor's (or district body's) record for the period (seed 5.3, 5.9, 6.5)."""

    executor: str
    received: int
    answered_on_time: int
    answered_late: int
    open_past_term: int
    returned: int
    extended: int
    proposals: int
    avg_working_days: float | None

    @property
    def on_time_share(self) -> float | None:
        """Answered in time, of every appeal whose term has come: answered (in time or late) or
        still open past its term (issue 26: counting the answered alone hid an executor with no
        answers and many overdue, and showed one that answers late worse than one that does not)."""
        due = self.answered_on_time + self.answered_late + self.open_past_term
        return self.answered_on_time / due if due else None

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "on_time_share": self.on_time_share}


def performance(conn: Connection, scope: Scope) -> list[PerformanceRow]:
    query = (
        select(
            CASES.c.executor,
            func.count().label("received"),
            _count_if(and_(ANSWERED, CASES.c.answered_late == literal(False))).label("on_time"),
            _count_if(and_(ANSWERED, CASES.c.answered_late == literal(True))).label("late"),
            _count_if(OPEN_PAST_TERM).label("past_term"),
            _count_if(RETURNED).label("returned"),
            _count_if(EXTENDED).label("extended"),
            _count_if(PROPOSED).label("proposals"),
            func.avg(CASES.c.answer_working_days).label("avg_days"),
        )
        .where(in_scope(scope))
        .group_by(CASES.c.executor)
        .order_by(CASES.c.executor)
    )
    return [
        PerformanceRow(
            executor=r.executor or "—",
            received=int(r.received),
            answered_on_time=int(r.on_time or 0),
            answered_late=int(r.late or 0),
            open_past_term=int(r.past_term or 0),
            returned=int(r.returned or 0),
            extended=int(r.extended or 0),
            proposals=int(r.proposals or 0),
            avg_working_days=round(float(r.avg_days), 1) if r.avg_days is not None else None,
        )
        for r in conn.execute(query)
    ]


@dataclass
class QualityRow:
    """Quality of answers by executor for the appeals under the akim's control (seed 5.4)."""

    executor: str
    under_control: int
    reviews: int  # returns and approvals rated
    average_rating: float | None
    returned: int


def quality(conn: Connection, scope: Scope) -> list[QualityRow]:
    controlled = and_(in_scope(scope), CASES.c.under_control == literal(True))
    rated = (
        select(
            EVENTS.c.reg_number,
            func.count(EVENTS.c.quality_rating).label("reviews"),
            func.sum(EVENTS.c.quality_rating).label("points"),
        )
        .where(EVENTS.c.quality_rating.is_not(None))
        .group_by(EVENTS.c.reg_number)
        .subquery()
    )
    query = (
        select(
            CASES.c.executor,
            func.count().label("cases"),
            func.coalesce(func.sum(rated.c.reviews), 0).label("reviews"),
            func.sum(rated.c.points).label("points"),
            _count_if(RETURNED).label("returned"),
        )
        .select_from(CASES.outerjoin(rated, rated.c.reg_number == CASES.c.reg_number))
        .where(controlled)
        .group_by(CASES.c.executor)
        .order_by(CASES.c.executor)
    )
    rows = []
    for r in conn.execute(query):
        reviews = int(r.reviews or 0)
        rows.append(
            QualityRow(
                executor=r.executor or "—",
                under_control=int(r.cases),
                reviews=reviews,
                average_rating=round(float(r.points) / reviews, 2) if reviews and r.points is not None else None,
                returned=int(r.returned or 0),
            )
        )
    return rows


def total(conn: Connection, scope: Scope) -> int:
    return int(conn.execute(select(func.count()).select_from(CASES).where(in_scope(scope))).scalar_one())


def by_month(conn: Connection, scope: Scope) -> list[tuple[str, int]]:
    """Appeals received per month (YYYY-MM)."""
    month = func.substr(CASES.c.received_on, 1, 7)
    query: Select[Any] = select(month, func.count()).where(in_scope(scope)).group_by(month).order_by(month)
    return [(str(m), int(n)) for m, n in conn.execute(query)]


def by_category_and_district(conn: Connection, scope: Scope) -> list[tuple[str, str, int]]:
    query = (
        select(CASES.c.category, CASES.c.district, func.count())
        .where(in_scope(scope))
        .group_by(CASES.c.category, CASES.c.district)
        .order_by(CASES.c.category, CASES.c.district)
    )
    return [(str(c), str(d), int(n)) for c, d, n in conn.execute(query)]


@dataclass
class DistrictFigures:
    """A district's volumes and shares for its problem-issue card (seed 7.2)."""

    district: str
    received: int
    by_category: list[tuple[str, int]]
    overdue: int  # answered late or open past the term
    returned: int
    repeats: int  # possible repeats of an answered appeal, or related to one still open
    receptions_held: int
    instructions_given: int
    instructions_on_time: int

    def share(self, part: int) -> float:
        return part / self.received if self.received else 0.0


def district_figures(conn: Connection, scope: Scope) -> DistrictFigures:
    assert scope.district, "a district card needs a district"
    row = conn.execute(
        select(
            func.count().label("received"),
            _count_if(or_(CASES.c.answered_late == literal(True), OPEN_PAST_TERM)).label("overdue"),
            _count_if(RETURNED).label("returned"),
            _count_if(CASES.c.possible_repeat_of != "").label("repeats"),
        ).where(in_scope(scope))
    ).one()
    categories = conn.execute(
        select(CASES.c.category, func.count())
        .where(in_scope(scope))
        .group_by(CASES.c.category)
        .order_by(func.count().desc(), CASES.c.category)
    ).all()
    receptions = select(CASES.c.reg_number).where(in_scope(scope, ("reception",)))
    held = conn.execute(
        select(func.count()).select_from(CASES).where(in_scope(scope, ("reception",)), CASES.c.state == "closed")
    ).scalar_one()
    instructions = conn.execute(
        select(
            func.count(),
            _count_if(and_(CASES.c.state == "closed", CASES.c.overdue == literal(False))),
        ).where(CASES.c.kind == "instruction", CASES.c.parent.in_(receptions))
    ).one()
    return DistrictFigures(
        district=scope.district,
        received=int(row.received),
        by_category=[(str(c), int(n)) for c, n in categories],
        overdue=int(row.overdue or 0),
        returned=int(row.returned or 0),
        repeats=int(row.repeats or 0),
        receptions_held=int(held),
        instructions_given=int(instructions[0]),
        instructions_on_time=int(instructions[1] or 0),
    )


@dataclass
class InstructionFigures:
    """Instructions of the President and the Administration under control in a period (seed 7.6)."""

    received: int
    closed: int
    overdue: int
    late_terms: int  # times a report or execution term was missed
    proposals: int


CLOSING_INSTRUCTIONS = ("lift_control", "transfer")  # the instruction table's moves to `closed`


def _utc_bounds(scope: Scope) -> tuple[str, str]:
    """The scope's local days as UTC ISO moments [from, to): events keep UTC times."""
    from datetime import UTC, timedelta

    from policies import calendar

    start = calendar.at_local(scope.start, 0).astimezone(UTC).isoformat()
    end = calendar.at_local(scope.end + timedelta(days=1), 0).astimezone(UTC).isoformat()
    return start, end


def under_control(scope: Scope) -> ColumnElement[bool]:
    """Instructions under control at any time in the period (seed 7.6): received by its end and
    not closed before it began, whenever they were received (issue 21: only those received in
    the half-year were reported)."""
    start, _ = _utc_bounds(scope)
    closed_in_or_after = select(EVENTS.c.reg_number).where(
        EVENTS.c.trigger.in_(CLOSING_INSTRUCTIONS), EVENTS.c.at >= start
    )
    return and_(
        CASES.c.kind == "instruction",
        CASES.c.received_on <= scope.end.isoformat(),
        or_(CASES.c.state != "closed", CASES.c.reg_number.in_(closed_in_or_after)),
    )


def instruction_figures(conn: Connection, scope: Scope) -> InstructionFigures:
    where = under_control(scope)
    row = conn.execute(
        select(
            func.count(),
            _count_if(CASES.c.state == "closed"),
            _count_if(CASES.c.overdue == literal(True)),
        ).where(where)
    ).one()
    numbers = select(CASES.c.reg_number).where(where)
    start, end = _utc_bounds(scope)  # late terms counted inside the period
    late = conn.execute(
        select(func.count())
        .select_from(EVENTS)
        .where(EVENTS.c.trigger == "late", EVENTS.c.reg_number.in_(numbers), EVENTS.c.at >= start, EVENTS.c.at < end)
    ).scalar_one()
    proposals = conn.execute(
        select(func.count(distinct(PROPOSALS.c.id))).where(PROPOSALS.c.reg_number.in_(numbers))
    ).scalar_one()
    return InstructionFigures(int(row[0]), int(row[1] or 0), int(row[2] or 0), int(late), int(proposals))


def instruction_rows(conn: Connection, scope: Scope) -> list[dict[str, Any]]:
    """The period's instructions, one line each (there are tens a half-year, not thousands)."""
    query = (
        select(
            CASES.c.reg_number,
            CASES.c.detail,
            CASES.c.executor.label("lead"),
            CASES.c.state,
            CASES.c.deadline,
            CASES.c.overdue,
            CASES.c.closure_reason,
        )
        .where(under_control(scope))
        .order_by(CASES.c.reg_number)
    )
    rows = []
    for row in conn.execute(query):
        line = dict(row._mapping)
        detail = parse_detail(line.pop("detail"))
        rows.append({"reg_number": line.pop("reg_number"), "issuer": getattr(detail, "issuer", ""), **line})
    return rows


@dataclass
class DigestLine:
    reg_number: str
    executor: str
    deadline: str
    overdue: bool


def open_cases_due_by(conn: Connection, last_day: str) -> list[DigestLine]:
    """Open appeals overdue or due on or before `last_day`, per executor (the weekly digest)."""
    query = (
        select(CASES.c.reg_number, CASES.c.executor, CASES.c.deadline, CASES.c.overdue)
        .where(
            CASES.c.kind.in_(APPEAL_KINDS),
            CASES.c.state != "closed",
            CASES.c.deadline != "",
            (CASES.c.overdue == literal(True)) | (func.substr(CASES.c.deadline, 1, 10) <= last_day),
        )
        .order_by(CASES.c.executor, CASES.c.deadline, CASES.c.reg_number)
    )
    return [DigestLine(r.reg_number, r.executor, r.deadline[:10], bool(r.overdue)) for r in conn.execute(query)]
