"""The registry (records keeping, seed item 5.7): SQLModel tables, written only by activities.

SQLite file by default (created on first use), PostgreSQL when DATABASE_URL says so.
Every table that activities append to has a unique key, so a retried activity writes nothing twice.
"""

from __future__ import annotations

import os
import threading
import weakref
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

from sqlalchemy import Index, UniqueConstraint, event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import IntegrityError
from sqlmodel import Field, Session, SQLModel, create_engine, select
from temporalio import activity

import models.intake  # noqa: F401  (the intake's tables, issue 25)
import models.users  # noqa: F401  (the user directory's tables live in the same database)
from models.notices import NotificationRequest
from runtime.settings import ACTIVITY_THREADS

# In a directory of its own, private to the user (0700, files 0600): the registry holds names, IINs,
# texts, letters and password hashes (issue 20, attack 8).
DEFAULT_DATABASE_URL = "sqlite:///.data/registry.db"
LEGACY_DEFAULT_FILE = "registry.db"  # where releases before issue 20 kept it: moved on first use


def utcnow() -> datetime:
    from runtime.clock import utc_now

    return utc_now()


class CaseRecord(SQLModel, table=True):
    """The current card of a case (appeal, reception, instruction)."""

    __tablename__ = "cases"
    __table_args__ = (Index("ix_cases_kind_received", "kind", "received_on"),)  # the reports' period scans
    reg_number: str = Field(primary_key=True)
    kind: str = Field(index=True)
    appeal_type: str = ""
    channel: str = ""
    language: str = ""
    category: str = Field(default="", index=True)
    district: str = Field(default="", index=True)
    applicant_kind: str = ""
    applicant_identity: str = Field(default="", index=True)
    applicant_name: str = ""
    applicants_count: int = 1
    addressee: str = ""
    received_at: str = ""
    received_on: str = ""  # local date of receipt: the reports' periods (see ix_cases_kind_received)
    state: str = Field(default="registered", index=True)
    executor: str = Field(default="", index=True)
    deadline: str = ""
    overdue: bool = False
    possible_repeat_of: str = ""  # comma-separated registration numbers
    closure_reason: str = ""
    answer_character: str = ""
    parent: str = Field(default="", index=True)  # reception of an instruction
    workflow_run: str = ""  # first run id of the workflow that registered the number
    related_to: str = ""  # comma-separated: earlier open appeals of the same applicant
    answered_late: bool = False  # approved after the legal term as it stood (original or extended)
    answer_excerpt: str = ""
    summary: str = ""  # the appeal's own words, first SUMMARY_CHARS (content analysis, seed 7.1)
    under_control: bool = False  # taken under the akim's control: its answers are rated (seed 5.4)
    answered_on: str = Field(default="", index=True)  # local date the answer was approved
    answer_working_days: int | None = None  # working days from registration to approval
    detail: str = ""  # JSON: what only this kind keeps (models/registry_writes.py KindDetail)
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class EventRecord(SQLModel, table=True):
    """Append-only: every accepted move and every escalation of every case."""

    __tablename__ = "events"
    __table_args__ = (UniqueConstraint("reg_number", "key"), Index("ix_events_trigger_reg", "trigger", "reg_number"))
    id: int | None = Field(default=None, primary_key=True)
    reg_number: str = Field(index=True)
    key: str
    seq: int = 0
    trigger: str
    actor_id: str
    actor_role: str
    from_state: str
    to_state: str
    at: str
    reason: str = ""
    detail: str = ""  # JSON object
    actor_name: str = ""  # the authenticated user's display name
    auth: str = ""  # how the actor was authenticated (ui_session, oidc, cli; system; "" = self-declared)
    quality_rating: int | None = None  # the quality review's rating (1-5) of a return or an approval (seed 5.4)
    recorded_at: datetime = Field(default_factory=utcnow)


class NotificationRecord(SQLModel, table=True):
    """The outbox: to whom, which template, the rendered text, and its delivery (issue 24): the
    relay (activities/outbox.py) takes queued rows when due, sends each by its channel and writes
    back what happened."""

    __tablename__ = "notifications"
    __table_args__ = (Index("ix_notifications_due", "status", "next_attempt_at"),)
    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(unique=True)
    reg_number: str = Field(index=True)
    recipient: str
    template: str = Field(index=True)
    language: str
    subject: str
    body: str
    created_at: datetime = Field(default_factory=utcnow)
    sent: bool = False  # the channel took it (status sent or delivered)
    # queued | sent | delivered | failed | held (written before delivery existed: `outbox release` queues)
    status: str = "queued"
    channel: str = ""  # email | sms | paper, as the relay resolved the recipient
    address: str = ""  # where it went: an e-mail address, a phone number, a postal address
    attempts: int = 0
    next_attempt_at: datetime | None = None  # not before (a temporary failure's backoff); None: now
    claimed_until: datetime | None = None  # a relay's lease on the row while it sends
    last_error: str = ""
    message_id: str = ""  # the e-mail's Message-ID, made from the key: a re-send is the same message
    sent_at: datetime | None = None  # when the channel accepted it (the recipient's server, the gateway)
    delivered_at: datetime | None = None  # when the channel reported it delivered (an SMS gateway's report)

    @classmethod
    def of(cls, notice: NotificationRequest, subject: str, body: str) -> NotificationRecord:
        """The outbox row of a rendered notice."""
        return cls(
            key=notice.key,
            reg_number=notice.reg_number,
            recipient=notice.recipient,
            template=notice.template,
            language=notice.language,
            subject=subject,
            body=body,
        )


@cache
def _notice_defaults() -> dict[str, Any]:
    blank = NotificationRecord(key="", reg_number="", recipient="", template="", language="", subject="", body="")
    return blank.model_dump(exclude={"id", "created_at"})


def notice_row(notice: NotificationRequest, subject: str, body: str, created_at: datetime) -> dict[str, Any]:
    """`NotificationRecord.of` as the row's values, for a Core insert: building the model per notice
    was 15% of a reminder's notice (pydantic reads each default factory's signature every time)."""
    return {
        **_notice_defaults(),
        "key": notice.key,
        "reg_number": notice.reg_number,
        "recipient": notice.recipient,
        "template": notice.template,
        "language": notice.language,
        "subject": subject,
        "body": body,
        "created_at": created_at,
    }


class DisciplinaryProposalRecord(SQLModel, table=True):
    __tablename__ = "disciplinary_proposals"
    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(unique=True)
    reg_number: str = Field(index=True)
    executor: str
    official: str
    due_date: str
    overdue_working_days: int
    language: str
    body: str
    status: str = "drafted"
    created_at: datetime = Field(default_factory=utcnow)


class RegistrationCounter(SQLModel, table=True):
    """Next registration number per prefix and year (allocated by the CLI before a start)."""

    __tablename__ = "registration_counters"
    prefix: str = Field(primary_key=True)
    year: int = Field(primary_key=True)
    last: int = 0


def database_url() -> str:
    return os.environ.get("DATABASE_URL", DEFAULT_DATABASE_URL)


POOL_SIZE = ACTIVITY_THREADS.default  # connections kept open: one per activity thread of the worker


def _sqlite_pragmas(connection: Any, _record: Any) -> None:
    """WAL lets readers go on while one writer commits, and `synchronous=NORMAL` syncs at WAL
    checkpoints rather than at every commit: the pragmas the dev server itself runs with
    (temporal-notes.md). A commit survives a crash of the process; a power cut may lose the
    last commits, which the workflow's retried, idempotent writes put back."""
    cursor = connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


_WRITE_LOCKS: weakref.WeakKeyDictionary[Engine, threading.Lock] = weakref.WeakKeyDictionary()
_WRITE_LOCKS_GUARD = threading.Lock()
WRITE_LOCK_WAIT_SECONDS = 30.0  # as long as SQLite's own busy timeout


@contextmanager
def write_lock(engine: Engine) -> Iterator[None]:
    """Held around a write transaction. SQLite has one writer at a time; writers that find it
    busy sleep in its busy handler in steps of up to 100 ms, so 16 activity threads writing at
    once spend most of their time asleep (issue 11's profile). The process's writers queue on a
    lock instead and take turns at once. The wait is bounded: past it, the writer goes on and
    meets SQLite's busy handler as before, so a stuck writer never stalls the others for good.
    Other processes still meet the busy handler. PostgreSQL writers run concurrently: no lock.

    The SDK cancels a sync activity (a local activity past its timeout, a worker shutting down)
    by raising an exception in its thread at whatever line it is on. One raised between taking
    the lock and the `try` kept the lock held by no one (seen in the lifecycle benchmark: every
    writer then waited the full 30 s). So the cancel is held back (`shield_thread_cancel_exception`)
    from before the lock is taken until it is released: the write commits or rolls back whole,
    then the cancel comes through."""
    if engine.dialect.name != "sqlite":
        yield
        return
    with _cancel_held_back():
        with _WRITE_LOCKS_GUARD:
            lock = _WRITE_LOCKS.setdefault(engine, threading.Lock())
        acquired = lock.acquire(timeout=WRITE_LOCK_WAIT_SECONDS)
        try:
            yield
        finally:
            if acquired:
                lock.release()


def _cancel_held_back() -> AbstractContextManager[None]:
    return activity.shield_thread_cancel_exception() if activity.in_activity() else nullcontext()


def first_row(engine: Engine, statement: Any) -> Any:
    """The first row `statement` selects, detached from its session (None if there is none): a
    read that hands a table row on to code with no session."""
    with Session(engine) as session:
        found = session.exec(statement).first()
        if found is not None:
            session.expunge(found)
        return found


def insert_once(engine: Engine, row: Any) -> bool:
    """Add `row` (a table with a unique `key`) unless its key is there: a retried activity writes
    nothing twice. True if this call wrote it."""
    table = type(row)
    with write_lock(engine), Session(engine) as session:
        if session.exec(select(table.id).where(table.key == row.key)).first() is not None:
            return False
        session.add(row)
        try:
            session.commit()
        except IntegrityError:  # a concurrent retry wrote it
            session.rollback()
            return False
    return True


def sqlite_path(url: str) -> Path | None:
    """The file of a SQLite URL (None: not SQLite, or in memory)."""
    if not url.startswith("sqlite"):
        return None
    name = make_url(url).database
    return Path(name) if name and name != ":memory:" and not name.startswith("file:") else None


def private_sqlite_file(path: Path, *, legacy: Path | None = None) -> None:
    """Create the SQLite file private before SQLite opens it: mode 0600, in a directory created
    0700. SQLite gives its -wal and -shm files the database file's mode. A directory that exists
    already is the operator's choice and keeps its mode; the files are made 0600 in any case.
    `legacy`: the default file of earlier releases, moved here (with its WAL and SHM) on first use."""
    if not path.parent.exists():
        path.parent.mkdir(mode=0o700, parents=True)
    if legacy is not None and legacy.exists() and not path.exists():
        for suffix in ("", "-wal", "-shm"):
            old = legacy.with_name(legacy.name + suffix)
            if old.exists():
                os.replace(old, path.with_name(path.name + suffix))
    if not path.exists():
        os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
    for suffix in ("", "-wal", "-shm", "-journal"):
        existing = path.with_name(path.name + suffix)
        if existing.exists() and existing.stat().st_mode & 0o077:
            existing.chmod(0o600)


def make_engine(url: str | None = None, pool_size: int = POOL_SIZE) -> Engine:
    """Engine with the registry at the newest schema (first use creates the SQLite file, private).
    The pool keeps one connection per activity thread, so no write opens one."""
    url = url or database_url()
    sqlite = url.startswith("sqlite")
    path = sqlite_path(url)
    if path is not None:
        default = url == DEFAULT_DATABASE_URL
        private_sqlite_file(path, legacy=Path(LEGACY_DEFAULT_FILE) if default else None)
    kwargs: dict[str, object] = {"pool_size": pool_size}
    if sqlite:
        kwargs["connect_args"] = {"check_same_thread": False, "timeout": 30}
    engine = create_engine(url, **kwargs)
    if sqlite:
        event.listen(engine, "connect", _sqlite_pragmas)
    from models.migrations import upgrade

    upgrade(engine)  # Alembic: the newest schema (models/migrations/versions)
    return engine


@cache
def _shared_engine(url: str) -> Engine:
    return make_engine(url)


def registry_engine() -> Engine:
    """The process's one engine for DATABASE_URL: tables are checked once, not on every use."""
    return _shared_engine(database_url())


class ReceptionSlot(SQLModel, table=True):
    """One reception slot of an official; `reception` is set by the one booking that won it."""

    __tablename__ = "reception_slots"
    __table_args__ = (UniqueConstraint("official", "start"),)
    id: int | None = Field(default=None, primary_key=True)
    official: str = Field(index=True)
    start: datetime = Field(index=True)  # UTC
    end: datetime
    format: str = "office"  # office, visiting, videoconference
    district: str = Field(default="", index=True)
    place: str = ""
    link: str = ""
    reception: str | None = Field(default=None, index=True)
    booked_at: datetime | None = None


class DocumentRecord(SQLModel, table=True):
    """Documents the engine writes: conclusions on instructions (seed 9.7), half-year reports (seed 7.6)."""

    __tablename__ = "documents"
    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(unique=True)
    kind: str = Field(index=True)  # conclusion | half_year_report
    reg_number: str = Field(default="", index=True)
    language: str = "ru"
    title: str = ""
    body: str = ""  # text or HTML
    path: str = ""  # where an HTML copy was written, if any
    sha256: str = ""  # a letter's PDF (kind `letter`, its body in base64): what was delivered is what was approved
    created_at: datetime = Field(default_factory=utcnow)
