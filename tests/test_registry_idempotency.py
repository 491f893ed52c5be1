"""Registry activities retried after a crash write nothing twice (run through ActivityEnvironment)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, func, select
from temporalio.testing import ActivityEnvironment

from activities.notifications import NotificationActivities
from activities.registry import RegistryActivities
from models.moves import MoveRecord
from models.notices import NotificationRequest, ProposalRequest
from models.registry import CaseRecord, DisciplinaryProposalRecord, EventRecord, NotificationRecord
from models.registry_writes import CaseCard, EventWrite

BOTH_REGISTRIES = True  # each test using `engine` runs on SQLite and on PostgreSQL (tests/conftest.py)


def card(reg: str, identity: str = "850315300009", state: str = "registered") -> CaseCard:
    return CaseCard(
        reg_number=reg,
        kind="appeal",
        appeal_type="application",
        channel="paper",
        language="ru",
        category="housing",
        district="almaly",
        applicant_kind="person",
        applicant_identity=identity,
        applicant_name="A",
        applicants_count=1,
        addressee="Аким",
        received_at="2026-11-25T10:00:00+05:00",
        state=state,
    )


def count(engine: Engine, table: type) -> int:
    with Session(engine) as s:
        return int(s.exec(select(func.count()).select_from(table)).one())


def test_every_write_is_idempotent(engine: Engine) -> None:
    env = ActivityEnvironment()
    registry = RegistryActivities(engine)
    notes = NotificationActivities(engine)
    for _ in range(3):  # the same attempt, retried
        first = env.run(registry.register_case, card("APL-2026-000001"))
        env.run(
            registry.record_event,
            EventWrite(
                card("APL-2026-000001", state="routed"),
                MoveRecord(1, "route", "routing-policy", "system", "registered", "routed", "2026-11-25T05:00:00+00:00"),
                "move-1",
            ),
        )
        env.run(
            notes.send_notification,
            NotificationRequest(
                "APL-2026-000001",
                "APL-2026-000001:acknowledgement:x",
                "a@b.kz",
                "acknowledgement",
                "kk",
                {
                    "reg_number": "APL-2026-000001",
                    "applicant_name": "A",
                    "received_at": "2026-11-25",
                    "deadline": "2026-12-15",
                    "executor": "",
                    "category": "housing",
                    "district": "almaly",
                },
            ),
        )
        proposal = ProposalRequest(
            "APL-2026-000001", "APL-2026-000001:disc", "land-dept", "2026-12-15", 2, "ru", {"category": "land"}
        )
        env.run(notes.draft_disciplinary_proposal, proposal)
    assert first.possible_repeat_of == []
    assert (count(engine, CaseRecord), count(engine, EventRecord)) == (1, 2)
    assert (count(engine, NotificationRecord), count(engine, DisciplinaryProposalRecord)) == (1, 1)
    with Session(engine) as s:
        row = s.get(CaseRecord, "APL-2026-000001")
        drafted = s.exec(select(DisciplinaryProposalRecord)).one()
        note = s.exec(select(NotificationRecord)).one()
    assert row is not None and row.state == "routed"
    assert "Е. Нурланова" in drafted.official and "2 рабочих" in drafted.body
    assert note.language == "kk" and "тіркелді" in note.subject
    # A second appeal of the same applicant while the first is open is related, not a repeat.
    second = env.run(registry.register_case, card("APL-2026-000002"))
    assert (second.possible_repeat_of, second.related_to) == ([], ["APL-2026-000001"])
    assert env.run(registry.register_case, card("APL-2026-000002")).related_to == ["APL-2026-000001"]  # a retry
    third = env.run(registry.register_case, card("APL-2026-000003", identity="050440400018"))
    assert third.possible_repeat_of == []


def test_an_activity_cancelled_while_it_waits_for_the_write_lock_does_not_keep_the_lock(tmp_path: Path) -> None:
    """Found by the lifecycle benchmark: every activity thread stuck on the registry's write lock,
    held by no one. The SDK cancels a sync activity (a local activity past its timeout) by raising
    an exception in its thread; one raised just as the lock was acquired left it held for good,
    and every writer after it waited the full 30 s. The cancel is now held back until the lock
    is released."""
    import threading

    from temporalio.exceptions import CancelledError

    from models.registry import make_engine, write_lock

    engine = make_engine(f"sqlite:///{tmp_path}/registry.db")
    environment = ActivityEnvironment()
    outcome: list[str] = []

    def writer() -> None:
        with write_lock(engine):
            outcome.append("wrote")

    def activity_thread() -> None:
        try:
            environment.run(writer)
        except CancelledError:
            outcome.append("cancelled")

    with write_lock(engine):  # the lock is busy: the activity waits for it
        thread = threading.Thread(target=activity_thread)
        thread.start()
        assert waits_in_write_lock(thread), "the activity never reached the write lock"
        environment.cancel()  # raised in the activity's thread as soon as it runs Python again
    thread.join(5)
    assert not thread.is_alive()
    assert outcome == ["wrote", "cancelled"]  # the write finished, then the cancel came through
    free = threading.Event()
    threading.Thread(target=lambda: write_lock_is_free(engine, free)).start()
    assert free.wait(2), "the write lock is still held"


def waits_in_write_lock(thread: Any, timeout: float = 5.0) -> bool:
    """Whether `thread` waits for the write lock (the test holds it): its stack is read until its
    innermost frame is `write_lock` on the line that acquires, instead of sleeping and hoping."""
    import linecache
    import sys

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        frame = sys._current_frames().get(thread.ident)
        if frame is not None and frame.f_code.co_name == "write_lock":
            if "acquire(" in linecache.getline(frame.f_code.co_filename, frame.f_lineno):
                return True
        time.sleep(0.005)
    return False


def write_lock_is_free(engine: Any, free: Any) -> None:
    from models.registry import _WRITE_LOCKS

    if _WRITE_LOCKS[engine].acquire(timeout=1):
        _WRITE_LOCKS[engine].release()
        free.set()


def test_each_registry_run_is_on_the_database_it_names(engine: Engine, request: pytest.FixtureRequest) -> None:
    """The PostgreSQL runs of BOTH_REGISTRIES modules really run on PostgreSQL (not SQLite twice)."""
    assert engine.dialect.name == request.node.callspec.params["engine"]
    with Session(engine) as session:
        assert session.exec(select(func.count()).select_from(CaseRecord)).one() == 0


def test_numbers_taken_at_once_from_many_threads_are_all_different(tmp_path: Any) -> None:
    """Reproduction (bench/intake.py): 1,000 appeals registered at once, 140 of them got a number
    another had taken (the counter was read, then written)."""
    from concurrent.futures import ThreadPoolExecutor

    from models.registry import make_engine
    from tooling.numbering import allocate_number

    engine = make_engine(f"sqlite:///{tmp_path / 'numbers.db'}")
    with ThreadPoolExecutor(16) as pool:
        numbers = list(pool.map(lambda _: allocate_number(engine, "APL", 2026), range(400)))
    assert len(set(numbers)) == 400 and max(numbers) == "APL-2026-000400"
