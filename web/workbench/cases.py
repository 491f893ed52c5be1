"""What the workbench reads from the registry: the cards the engine writes, their events and
notices. Never a workflow query: the pages answer at once whatever the worker is doing."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import case, func
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from models.intake import AttachmentRecord
from models.registry import (
    CaseRecord,
    DisciplinaryProposalRecord,
    DocumentRecord,
    EventRecord,
    NotificationRecord,
    first_row,
)
from policies.calendar import local_today, local_zone, working_days_between
from tooling.seal import Identity

PAGE = 200  # cards on one page of "my cases"


@dataclass
class Filters:
    state: str = ""
    kind: str = ""
    district: str = ""
    category: str = ""
    overdue: bool = False
    under_control: bool = False
    repeat: bool = False  # possible repeats of earlier appeals
    number: str = ""

    @classmethod
    def of(cls, query: Any) -> Filters:
        return cls(
            state=str(query.get("state", ""))[:40],
            kind=str(query.get("kind", ""))[:40],
            district=str(query.get("district", ""))[:40],
            category=str(query.get("category", ""))[:40],
            overdue=query.get("overdue") == "1",
            under_control=query.get("under_control") == "1",
            repeat=query.get("repeat") == "1",
            number=str(query.get("number", "")).strip()[:40],
        )


@dataclass
class CaseList:
    cases: list[CaseRecord]
    by_state: dict[str, int] = field(default_factory=dict)  # counts under the filters but the state's
    flagged: dict[str, int] = field(default_factory=dict)  # overdue, under_control, repeat: counts under the kind,
    # district, category and number filters (what ticking the box would show)


def whose(who: Identity, own_only: list[str]) -> str:
    """The unit whose cases alone the user sees ("": all cases): an own-only role (an executor)
    sees its unit's, anyone who holds another role sees every case."""
    if who.roles and all(role in own_only for role in who.roles):
        return who.unit or who.id
    return ""


def my_cases(engine: Engine, unit: str, filters: Filters) -> CaseList:
    """Overdue first, then by term; the counts per state for the same filters."""
    conditions: list[Any] = []
    if unit:
        conditions.append(CaseRecord.executor == unit)
    for column, value in (
        (CaseRecord.kind, filters.kind),
        (CaseRecord.district, filters.district),
        (CaseRecord.category, filters.category),
    ):
        if value:
            conditions.append(column == value)
    if filters.number:
        conditions.append(col(CaseRecord.reg_number).contains(filters.number))
    flags = {
        "overdue": col(CaseRecord.overdue).is_(True),
        "under_control": col(CaseRecord.under_control).is_(True),
        "repeat": col(CaseRecord.possible_repeat_of) != "",
    }
    with Session(engine) as session:
        sums = [func.sum(case((flag, 1), else_=0)) for flag in flags.values()]
        totals = session.exec(select(*sums).where(*conditions)).one()  # type: ignore[call-overload]
        flagged = {name: int(n or 0) for name, n in zip(flags, totals, strict=True)}
        conditions += [flag for name, flag in flags.items() if getattr(filters, name)]
        counts = session.exec(select(CaseRecord.state, func.count()).where(*conditions).group_by(CaseRecord.state))
        by_state = {state: int(n) for state, n in counts}
        if filters.state:
            conditions.append(CaseRecord.state == filters.state)
        query = (
            select(CaseRecord)
            .where(*conditions)
            .order_by(col(CaseRecord.overdue).desc(), col(CaseRecord.deadline), col(CaseRecord.reg_number))
            .limit(PAGE)
        )
        return CaseList(list(session.exec(query).all()), by_state, flagged)


DECIDERS = ("head", "deputy_head", "controller")  # who approves answers and decides on proposals


@dataclass
class Waiting:
    """What waits for a decider's decision: answers to approve, proposals to decide."""

    answers: int = 0
    proposals: list[DisciplinaryProposalRecord] = field(default_factory=list)
    extensions: list[str] = field(default_factory=list)  # open cases whose last extension request is undecided


def waiting_for(engine: Engine, who: Identity) -> Waiting | None:
    if not any(role in DECIDERS for role in who.roles):
        return None
    with Session(engine) as session:
        answers = session.exec(select(func.count()).where(CaseRecord.state == "answered")).one()
        proposals = session.exec(
            select(DisciplinaryProposalRecord)
            .where(DisciplinaryProposalRecord.status == "awaiting_approval")
            .order_by(col(DisciplinaryProposalRecord.id))
            .limit(50)
        ).all()
        return Waiting(int(answers), list(proposals), _extensions_asked(session))


EXTENSION_DECISIONS = ("approve_extension", "refuse_extension")


def _extensions_asked(session: Session) -> list[str]:
    """Open cases whose latest extension request has no decision after it (from the events)."""
    trigger, event = col(EventRecord.trigger), col(EventRecord.id)
    asked = func.max(case((trigger == "request_extension", event), else_=None))
    decided = func.coalesce(func.max(case((trigger != "request_extension", event), else_=None)), 0)
    query = (
        select(EventRecord.reg_number)
        .join(CaseRecord, col(CaseRecord.reg_number) == EventRecord.reg_number)
        .where(col(EventRecord.trigger).in_(("request_extension", *EXTENSION_DECISIONS)), CaseRecord.state != "closed")
        .group_by(EventRecord.reg_number)
        .having(asked > decided)
        .order_by(EventRecord.reg_number)
        .limit(50)
    )
    return list(session.exec(query).all())


@dataclass
class CaseFile:
    card: CaseRecord
    events: list[EventRecord]
    notices: list[NotificationRecord]
    documents: list[DocumentRecord] = field(default_factory=list)
    related: list[tuple[str, str, CaseRecord | None]] = field(default_factory=list)  # (how related, number, card)
    proposals_awaiting: int = 0  # the case's disciplinary proposals awaiting the head's decision
    attachments: list[tuple[str, str, str, int]] = field(default_factory=list)  # (sha256, name, type, bytes)


def card_of(engine: Engine, number: str) -> CaseRecord | None:
    """A case's card alone (its events and notices not read)."""
    with Session(engine) as session:
        return session.get(CaseRecord, number)


def case_file(engine: Engine, number: str) -> CaseFile | None:
    with Session(engine) as session:
        card = session.get(CaseRecord, number)
        if card is None:
            return None
        events = session.exec(
            select(EventRecord).where(EventRecord.reg_number == number).order_by(col(EventRecord.id))
        ).all()
        notices = session.exec(
            select(NotificationRecord)
            .where(NotificationRecord.reg_number == number)
            .order_by(col(NotificationRecord.id))
        ).all()
        documents = session.exec(
            select(DocumentRecord).where(DocumentRecord.reg_number == number).order_by(col(DocumentRecord.id))
        ).all()
        awaiting = session.exec(
            select(func.count()).where(
                DisciplinaryProposalRecord.reg_number == number,
                DisciplinaryProposalRecord.status == "awaiting_approval",
            )
        ).one()
        files = session.exec(
            select(
                AttachmentRecord.sha256,
                AttachmentRecord.name,
                AttachmentRecord.content_type,
                AttachmentRecord.size_bytes,
            )
            .where(AttachmentRecord.reg_number == number)
            .order_by(col(AttachmentRecord.id))
        ).all()
        return CaseFile(
            card, list(events), list(notices), list(documents), _related(session, card), int(awaiting),
            [tuple(f) for f in files],  # type: ignore[misc]
        )  # fmt: skip


def attachment_of(engine: Engine, number: str, sha256: str) -> AttachmentRecord | None:
    """A file that came with the case (issue 25), by its digest."""
    found: AttachmentRecord | None = first_row(
        engine, select(AttachmentRecord).where(AttachmentRecord.reg_number == number, AttachmentRecord.sha256 == sha256)
    )
    return found


def _related(session: Session, card: CaseRecord) -> list[tuple[str, str, CaseRecord | None]]:
    """The cases this one is linked to: the appeals it may repeat, the same applicant's open ones,
    the reception it was given at, and the instructions given at it (a reception)."""
    links = [("possible_repeat", n) for n in card.possible_repeat_of.split(",") if n.strip()]
    links += [("related", n) for n in card.related_to.split(",") if n.strip()]
    links += [("parent", card.parent)] if card.parent else []
    found = [(how, n.strip(), session.get(CaseRecord, n.strip())) for how, n in links]
    children = session.exec(select(CaseRecord).where(CaseRecord.parent == card.reg_number).limit(50)).all()
    return found + [("child", child.reg_number, child) for child in children]


def working_days_left(deadline: str, today: date | None = None) -> int | None:
    """Working days through the term's day, today counted as the case card counts them (None: no
    term or one already past)."""
    try:
        end = date.fromisoformat(deadline[:10])
    except ValueError:
        return None
    day = today or local_today()
    return working_days_between(day - timedelta(days=1), end) if day <= end else None


def local_time(moment: str | datetime) -> str:
    """A moment as the department reads it: local date and time (the zone is named on the page); a
    moment without a zone is the registry's UTC."""
    if isinstance(moment, datetime):
        at = moment
    else:
        try:
            at = datetime.fromisoformat(moment)
        except ValueError:
            return moment[:16]
    if at.tzinfo is None:
        at = at.replace(tzinfo=UTC)
    return at.astimezone(local_zone()).strftime("%Y-%m-%d %H:%M")
