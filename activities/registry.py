"""Registry writes. Each is idempotent: a retry after a crash finds its row and writes nothing."""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import date
from typing import Any

from jinja2 import TemplateError
from sqlalchemy import bindparam, insert, literal, update
from sqlalchemy import select as sql_select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select
from temporalio.exceptions import ApplicationError

from activities.deliveries import OutboxChangeRefused, apply_outbox_change
from activities.letters import render
from activities.pdf_letters import letter_documents
from models.activity_names import COMMIT_MOVE, RECORD_EVENT, RECORD_OUTSIDE_RESET, REGISTER_CASE
from models.notices import NotificationRequest
from models.registry import CaseRecord, DocumentRecord, EventRecord, NotificationRecord, notice_row, utcnow, write_lock
from models.registry_writes import (
    CaseCard,
    EventReceipt,
    EventWrite,
    MoveCommit,
    OutsideReset,
    RegisterResult,
    detail_json,
)
from policies.calendar import local_date, receipt_moment, registration_day, working_days_between

# The move's statements, built once: building SQLAlchemy expressions on every move was half of
# `commit_move`'s time in issue 11's profile. Values go in as bound parameters.
_CASES, _EVENTS, _NOTICES = CaseRecord.__table__, EventRecord.__table__, NotificationRecord.__table__  # type: ignore[attr-defined]
_CARD_STATE = sql_select(_CASES.c.state, _CASES.c.workflow_run).where(_CASES.c.reg_number == bindparam("card"))
_EVENT_EXISTS = (
    sql_select(literal(1))
    .select_from(_EVENTS)
    .where(_EVENTS.c.reg_number == bindparam("card"), _EVENTS.c.key == bindparam("event_key"))
)
_LETTERS = DocumentRecord.__table__  # type: ignore[attr-defined]
_INSERT_EVENT = insert(_EVENTS)


def _insert_once(table: Any) -> dict[str, Any]:
    """A row written once per key in one statement (no look-up first), by dialect: both skip a row
    whose key is there already (a retried activity, a move's commit found written)."""
    return {
        "sqlite": sqlite_insert(table).on_conflict_do_nothing(index_elements=["key"]),
        "postgresql": postgresql_insert(table).on_conflict_do_nothing(index_elements=["key"]),
    }


_INSERT_NOTICE_ONCE, _INSERT_LETTER_ONCE = _insert_once(_NOTICES), _insert_once(_LETTERS)
_UPDATE_CARD = update(_CASES).where(_CASES.c.reg_number == bindparam("card"))


def write_notices(
    conn: Connection, rendered: list[tuple[NotificationRequest, str, str]], letters: list[DocumentRecord], now: Any
) -> None:
    """Rendered notices into the outbox and their official letters beside them, each once per key
    (a retried activity writes nothing twice), in the caller's transaction. Core statements: a
    move's commit and a reminder's notice are the registry's hottest writes (issue 11, 27)."""
    dialect = conn.dialect.name
    for letter in letters:  # before its notice: the relay attaches it when it sends the notice
        conn.execute(_INSERT_LETTER_ONCE[dialect], {**letter.model_dump(exclude={"id"}), "created_at": now})
    for notice, subject, body in rendered:
        conn.execute(_INSERT_NOTICE_ONCE[dialect], notice_row(notice, subject, body, now))


class RegistryActivities:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    @REGISTER_CASE.method
    def register_case(self, card: CaseCard) -> RegisterResult:
        """Write the card and the registration event. An earlier appeal of the same applicant
        (IIN/BIN) on the same category that was answered is a possible repeat (the controller
        decides); an earlier one still open is related, not a repeat. Instructions given at a
        reception are the official's, not the applicant's: they are never repeats."""
        with write_lock(self.engine), Session(self.engine) as session:
            repeats: list[str] = []
            related: list[str] = []
            answers: dict[str, str] = {}
            if card.applicant_identity and card.kind == "appeal":
                rows = session.exec(
                    select(CaseRecord)
                    .where(CaseRecord.applicant_identity == card.applicant_identity)
                    .where(CaseRecord.kind == card.kind)
                    .where(CaseRecord.reg_number != card.reg_number)
                    .order_by(col(CaseRecord.created_at))
                ).all()
                mine = (receipt_moment(card.received_at), card.reg_number)
                # Earlier by receipt, whatever order the workers registered them in.
                earlier = [r for r in rows if (receipt_moment(r.received_at), r.reg_number) < mine]
                for r in earlier:
                    if r.state != "closed":
                        related.append(r.reg_number)
                    elif r.closure_reason == "answered" and r.category == card.category:
                        repeats.append(r.reg_number)
                        answers[r.reg_number] = f"{r.answer_character}: {r.answer_excerpt}".strip(": ")
            existing = session.get(CaseRecord, card.reg_number)
            if existing is not None and existing.workflow_run != card.workflow_run:
                raise permanent(
                    f"{card.reg_number} is already registered ({existing.kind}, {existing.state}); "
                    "a registration number runs once"
                )
            if existing is not None:  # a retry: the first attempt wrote the card
                return RegisterResult(
                    possible_repeat_of=_split(existing.possible_repeat_of),
                    related_to=_split(existing.related_to),
                    earlier_answers=answers,
                )
            card.possible_repeat_of, card.related_to = repeats, related
            session.add(_card_row(card))
            session.add(
                EventRecord(
                    reg_number=card.reg_number,
                    key="register",
                    seq=0,
                    trigger="register",
                    actor_id=card.registered_by.get("id", "registrar"),
                    actor_role=card.registered_by.get("role", "registrar"),
                    actor_name=card.registered_by.get("name", ""),
                    auth=card.registered_by.get("auth", ""),
                    from_state="",
                    to_state=card.state,
                    at=card.received_at,
                    detail=json.dumps({"possible_repeat_of": repeats, "related_to": related}),
                )
            )
            try:
                session.commit()
            except IntegrityError:  # a concurrent attempt won the race: a retry of ours, or another run
                session.rollback()
                winner = session.get(CaseRecord, card.reg_number)
                if winner is not None and winner.workflow_run != card.workflow_run:
                    raise permanent(
                        f"{card.reg_number} is already registered; a registration number runs once"
                    ) from None
            return RegisterResult(possible_repeat_of=repeats, related_to=related, earlier_answers=answers)

    @RECORD_EVENT.method
    def record_event(self, write: EventWrite) -> EventReceipt:
        """Append the event (once per key) and bring the card up to date (runs that began before
        `commit_move`)."""
        return self.commit_move(MoveCommit(write))

    @COMMIT_MOVE.method
    def commit_move(self, commit: MoveCommit) -> EventReceipt:
        """The move made for good, in one transaction: its event (once per key), the card
        brought up to date, and its notices into the outbox (once per key). Written with
        SQLAlchemy Core: one small transaction per move is the registry's hottest path (issue 11).
        A letter that does not render is left out and reported; the move still stands."""
        write = commit.write
        record = write.record
        rendered, failed = _render_all(commit.notices)
        letters = letter_documents(rendered, record.at)  # an answer's, an extension's official letter
        now = utcnow()
        card = write.card
        with write_lock(self.engine), self.engine.begin() as conn:
            row = conn.execute(_CARD_STATE, {"card": card.reg_number}).first()
            if row is None or row.workflow_run != card.workflow_run:
                raise permanent(f"{card.reg_number}: no card registered by this workflow")
            event = EventRecord(
                reg_number=card.reg_number,
                key=write.key,
                seq=record.seq,
                trigger=record.trigger,
                actor_id=record.actor_id,
                actor_role=record.actor_role,
                from_state=record.from_state,
                to_state=record.to_state,
                at=record.at,
                reason=record.reason,
                detail=json.dumps(record.detail, ensure_ascii=False),
                actor_name=record.actor_name,
                auth=record.auth,
                quality_rating=int(record.detail["quality_rating"]) if record.detail.get("quality_rating") else None,
                recorded_at=now,
            )
            fresh = conn.execute(_EVENT_EXISTS, {"card": card.reg_number, "event_key": write.key}).first() is None
            if fresh:  # a retry after a crash finds its event (and its letters' changes) written
                conn.execute(_INSERT_EVENT, event.model_dump(exclude={"id"}))
            if row.state != "closed" or card.state == "closed":  # a closed card never opens again
                fields = _card_row(card).model_dump(
                    exclude={"created_at", "workflow_run", "reg_number", "answered_on", "answer_working_days"}
                )
                if record.trigger == "approve" and card.state == "closed":  # tables v1-v6: approval closes
                    fields.update(answer_figures(card.received_at, record.at))
                elif record.trigger == "record_delivery":  # v7: the answer is given when delivered
                    fields.update(answer_figures(card.received_at, record.detail["delivered_at"]))
                conn.execute(_UPDATE_CARD, {**fields, "updated_at": now, "card": card.reg_number})
            write_notices(conn, rendered, letters, now)
            if commit.outbox and fresh:
                try:
                    for change in commit.outbox:  # a letter sent again or posted by this move
                        apply_outbox_change(conn, card.reg_number, change, now)
                except OutboxChangeRefused as err:  # the whole move is rolled back
                    raise permanent(str(err)) from None
        return EventReceipt(write.key, record, failed)


OUTSIDE_RESET = "outside_reset"  # the registry event of a reset done through Temporal
RESET_ALERTED = ("head", "auditor")  # who is alerted (issue 20: the head and the auditors)


class OutsideResetActivities:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    @RECORD_OUTSIDE_RESET.method
    def record_outside_reset(self, reset: OutsideReset) -> None:
        """The reset as an event of the case (once per new run), with the card's state unchanged,
        and an alert to the head and the auditors. The card is never rewound."""
        with write_lock(self.engine), Session(self.engine) as session:
            card = session.get(CaseRecord, reset.reg_number)
            state = card.state if card is not None else ""
            key = f"{OUTSIDE_RESET}-{reset.new_run}"
            exists = session.exec(
                select(EventRecord).where(EventRecord.reg_number == reset.reg_number).where(EventRecord.key == key)
            ).first()
            if exists is None:
                detail = {"base_run": reset.base_run, "new_run": reset.new_run, "rewound_state": reset.rewound_state}
                session.add(
                    EventRecord(
                        reg_number=reset.reg_number,
                        key=key,
                        seq=0,
                        trigger=OUTSIDE_RESET,
                        actor_id="temporal",
                        actor_role="system",
                        from_state=state,
                        to_state=state,
                        at=reset.at,
                        reason="reset through Temporal, outside the engine: the reset run refuses every move",
                        detail=json.dumps(detail, ensure_ascii=False),
                    )
                )
            context = {
                "reg_number": reset.reg_number,
                "registry_state": state,
                "rewound_state": reset.rewound_state,
                "base_run": reset.base_run,
                "new_run": reset.new_run,
                "at": reset.at,
            }
            for recipient in RESET_ALERTED:
                notice = NotificationRequest(
                    reset.reg_number, f"{key}-{recipient}", recipient, OUTSIDE_RESET, reset.language, context
                )
                if session.exec(select(NotificationRecord).where(NotificationRecord.key == notice.key)).first() is None:
                    subject, body = render(notice.template, notice.language, notice.context)
                    session.add(NotificationRecord.of(notice, subject, body))
            session.commit()


def _render_all(
    notices: list[NotificationRequest],
) -> tuple[list[tuple[NotificationRequest, str, str]], dict[str, str]]:
    """Each notice's letter, and why each that cannot be rendered cannot (a template error no
    retry fixes; anything else raises, and the whole move is retried)."""
    rendered: list[tuple[NotificationRequest, str, str]] = []
    failed: dict[str, str] = {}
    for notice in notices:
        try:
            subject, body = render(notice.template, notice.language, notice.context)
        except TemplateError as err:
            failed[notice.key] = f"{type(err).__name__}: {err}"
            continue
        rendered.append((notice, subject, body))
    return rendered, failed


def answer_figures(received_at: str, approved_at: str) -> dict[str, Any]:
    """The answer's local date and the working days it took, counted as the law counts a term: the
    registration day is day 1 (an answer on that day took 1 day; issue 26 found the average one
    short). Kept on the card so reports sum them in SQL (the performance table's average, seed 5.9)."""
    answered = date.fromisoformat(local_date(approved_at))
    registered = registration_day(receipt_moment(received_at))
    days = working_days_between(registered, answered) + 1
    return {"answered_on": answered.isoformat(), "answer_working_days": days}


def permanent(message: str) -> ApplicationError:
    """An error no retry can fix (the workflow refuses or records it; see ACTIVITY_RETRY)."""
    return ApplicationError(message, type="PermanentFailure", non_retryable=True)


def _card_row(card: CaseCard) -> CaseRecord:
    data = asdict(card)
    data.pop("registered_by")  # the register event's, not the card's
    data["possible_repeat_of"] = ",".join(card.possible_repeat_of)
    data["related_to"] = ",".join(card.related_to)
    data["detail"] = detail_json(card.detail)
    if card.received_at:
        data["received_on"] = local_date(card.received_at)
    return CaseRecord(**data)


def _split(joined: str) -> list[str]:
    return joined.split(",") if joined else []
