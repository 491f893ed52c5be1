"""Reception slots: creating a schedule, booking one slot (exactly one booking wins), monitoring."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select
from temporalio import activity
from temporalio.exceptions import ApplicationError

from models.activity_names import BOOK_SLOT, CHECK_INSTRUCTIONS, READ_INSTRUCTION, RELEASE_SLOT
from models.case_status import CaseStatus, InstructionStanding
from models.errors import InputError
from models.registry import CaseRecord, EventRecord, ReceptionSlot
from models.slots import InstructionCheck, Slot, SlotRequest
from policies.calendar import local_zone
from policies.receptions import slot_problem
from policies.routing import executors
from runtime.clock import utc_now


def _utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)


def _slot(row: ReceptionSlot) -> Slot:
    assert row.id is not None
    local = _utc(row.start).astimezone(local_zone()).strftime("%Y-%m-%d %H:%M")
    return Slot(
        row.id,
        row.official,
        _utc(row.start).isoformat(),
        _utc(row.end).isoformat(),
        row.format,
        row.district,
        row.place,
        row.link,
        local,
    )


def create_slots(
    engine: Engine,
    official: str,
    day: date,
    first: str,
    last: str,
    minutes: int,
    *,
    kind: str = "office",
    district: str = "",
    place: str = "",
    link: str = "",
) -> list[Slot]:
    """A batch of slots from `first` to `last` (local HH:MM) of `minutes` each; a visiting reception
    is such a batch in a district on the date of the visit. Existing slots are kept, not duplicated."""
    if minutes < 5 or minutes > 240:
        raise InputError("minutes", "a slot lasts 5 to 240 minutes")
    zone = local_zone()
    start = datetime.combine(day, time.fromisoformat(first), tzinfo=zone)
    stop = datetime.combine(day, time.fromisoformat(last), tzinfo=zone)
    if kind == "visiting" and not district:
        raise InputError("district", "a visiting reception is held in a district")
    made: list[Slot] = []
    with Session(engine) as session:
        while start + timedelta(minutes=minutes) <= stop:
            end = start + timedelta(minutes=minutes)
            problem = slot_problem(official, start, end, kind)
            if problem:
                field, _, rule = problem.partition(": ")
                raise InputError(field, rule)
            existing = session.exec(
                select(ReceptionSlot)
                .where(ReceptionSlot.official == official)
                .where(ReceptionSlot.start == _utc(start))
            ).first()
            row = existing or ReceptionSlot(
                official=official,
                start=_utc(start),
                end=_utc(end),
                format=kind,
                district=district,
                place=place,
                link=link,
            )
            session.add(row)
            session.commit()
            session.refresh(row)
            made.append(_slot(row))
            start = end
    if not made:
        raise InputError("last", f"no {minutes}-minute slot fits between {first} and {last}")
    return made


def list_slots(
    engine: Engine, official: str = "", day: date | None = None, free_only: bool = False, district: str = ""
) -> list[tuple[Slot, str]]:
    query = select(ReceptionSlot).order_by(col(ReceptionSlot.start))
    if official:
        query = query.where(ReceptionSlot.official == official)
    if district:
        query = query.where(ReceptionSlot.district == district)
    if free_only:
        query = query.where(col(ReceptionSlot.reception).is_(None))
    with Session(engine) as session:
        rows = session.exec(query).all()
    found = [(_slot(r), r.reception or "") for r in rows]
    if day:
        found = [(s, r) for s, r in found if datetime.fromisoformat(s.start).astimezone(local_zone()).date() == day]
    return found


def _refused(message: str, code: str, **params: object) -> ApplicationError:
    """A booking refused for good, with a code each client words in its language (issue 23)."""
    detail = {"code": code, "params": {name: str(value) for name, value in params.items()}}
    return ApplicationError(message, detail, type="SlotRefused", non_retryable=True)


def _take(session: Session, slot_id: int | None, reception: str) -> bool:
    """Book the slot for `reception` if it is still free: one conditional UPDATE, so of concurrent
    bookings exactly one wins. True if this one did."""
    taken = session.connection().execute(
        update(ReceptionSlot)
        .where(col(ReceptionSlot.id) == slot_id)
        .where(col(ReceptionSlot.reception).is_(None))
        .values(reception=reception, booked_at=utc_now())
    )
    session.commit()
    return bool(taken.rowcount == 1)


class ReceptionActivities:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    @BOOK_SLOT.method
    def book_slot(self, req: SlotRequest) -> Slot:
        """Take a free slot for a reception (slot_id 0: the official's earliest free one). One
        conditional UPDATE decides between concurrent bookings; a retry of the winner finds its own
        booking and succeeds again."""
        if req.slot_id == 0:
            return self.book_earliest(req)
        with Session(self.engine) as session:
            row = session.get(ReceptionSlot, req.slot_id)
            if row is None:
                raise _refused(f"details.slot_id: no slot {req.slot_id}", "no_slot", slot=req.slot_id)
            if row.reception == req.reception:
                return _slot(row)
            if _utc(row.start) <= datetime.fromisoformat(req.now):
                raise _refused(f"details.slot_id: slot {req.slot_id} has already begun", "slot_begun", slot=req.slot_id)
            problem = slot_problem(row.official, _utc(row.start), _utc(row.end), row.format)
            if problem:
                raise _refused(f"slot {req.slot_id}: {problem}", "slot_not_receiving", slot=req.slot_id)
            if not _take(session, req.slot_id, req.reception):
                session.refresh(row)
                if row.reception != req.reception:
                    raise _refused(
                        f"details.slot_id: slot {req.slot_id} is already booked by {row.reception}",
                        "slot_taken",
                        slot=req.slot_id,
                    )
            session.refresh(row)
            return _slot(row)

    def book_earliest(self, req: SlotRequest) -> Slot:
        """The official's earliest free slot that has not begun and that the schedule allows, taken
        by the same conditional UPDATE; a slot another booking takes first is passed over."""
        now = datetime.fromisoformat(req.now)
        with Session(self.engine) as session:
            own = session.exec(
                select(ReceptionSlot)
                .where(ReceptionSlot.reception == req.reception, col(ReceptionSlot.id) != req.keep)
                .where(ReceptionSlot.official == req.official)
            ).first()
            if own is not None and _utc(own.start) > now:  # a retry of this booking: it is done
                return _slot(own)
            free = session.exec(
                select(ReceptionSlot)
                .where(ReceptionSlot.official == req.official, col(ReceptionSlot.reception).is_(None))
                .order_by(col(ReceptionSlot.start), col(ReceptionSlot.id))
            ).all()
            for row in free:
                if _utc(row.start) <= now or slot_problem(row.official, _utc(row.start), _utc(row.end), row.format):
                    continue
                if _take(session, row.id, req.reception):
                    session.refresh(row)
                    return _slot(row)
        message = f"details.slot_id: {req.official} has no free slot ahead; create slots first"
        raise _refused(message, "no_free_slot", official=req.official)

    @RELEASE_SLOT.method
    def release_slot(self, req: SlotRequest) -> None:
        """Free a slot this reception holds (cancel, reschedule); a slot held by another stays."""
        with Session(self.engine) as session:
            session.connection().execute(
                update(ReceptionSlot)
                .where(col(ReceptionSlot.id) == req.slot_id)
                .where(col(ReceptionSlot.reception) == req.reception)
                .values(reception=None, booked_at=None)
            )
            try:
                session.commit()
            except IntegrityError:
                session.rollback()

    @CHECK_INSTRUCTIONS.method
    def check_instructions(self, check: InstructionCheck) -> str:
        """Why these instructions cannot be given ("" if they can): known executors, terms in policy."""
        known = executors()
        for i, spec in enumerate(check.instructions, start=1):
            if spec.executor not in known:
                return f"details.instructions[{i}].executor: unknown executor {spec.executor!r}"
            if spec.term_working_days > check.max_working_days:
                return (
                    f"details.instructions[{i}].term_working_days: at most {check.max_working_days} "
                    "working days (policies/receptions.yaml)"
                )
        return ""


@dataclass
class DistrictFigures:
    district: str
    receptions: int
    held: int
    instructions: int
    executed_on_time: int
    overdue: int


def district_figures(engine: Engine) -> list[DistrictFigures]:
    """Monitoring of receptions per district (seed 6.1-6.6) from the registry."""
    with Session(engine) as session:
        receptions = session.exec(select(CaseRecord).where(CaseRecord.kind == "reception")).all()
        held_numbers = set(session.exec(select(EventRecord.reg_number).where(EventRecord.trigger == "hold")).all())
        instructions = session.exec(select(CaseRecord).where(CaseRecord.kind == "reception_instruction")).all()
    district_of = {r.reg_number: r.district for r in receptions}
    figures: dict[str, DistrictFigures] = {}
    for r in receptions:
        f = figures.setdefault(r.district, DistrictFigures(r.district, 0, 0, 0, 0, 0))
        f.receptions += 1
        f.held += r.reg_number in held_numbers
    for i in instructions:
        district = district_of.get(i.parent, i.district)
        f = figures.setdefault(district, DistrictFigures(district, 0, 0, 0, 0, 0))
        f.instructions += 1
        f.executed_on_time += i.state == "closed" and i.closure_reason == "answered" and not i.overdue
        f.overdue += i.overdue
    return sorted(figures.values(), key=lambda f: f.district)


@READ_INSTRUCTION.async_function
async def read_instruction(number: str) -> InstructionStanding:
    """Where an instruction given at a reception stands, read from the instruction's own workflow
    (the reception never takes a message's word for it)."""
    status = await activity.client().get_workflow_handle(number).query("status", result_type=CaseStatus)
    return InstructionStanding(
        status.reg_number, status.executor, status.state, status.overdue, status.closure_reason, status.deadline
    )
