"""The registry's schema is Alembic's (issue 13): the models and the migrations agree, and a
registry of the previous release, with data, is upgraded in place with nothing lost. On SQLite
and on PostgreSQL."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine, inspect, text
from sqlmodel import SQLModel

from models.migrations import BASELINE, head, upgrade
from models.registry import make_engine
from models.registry_writes import InstructionDetail, parse_detail

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(params=["sqlite", "postgresql"])
def raw_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database nobody has migrated yet."""
    if request.param == "postgresql":
        from tests.postgres import fresh_database

        yield fresh_database(request.getfixturevalue("postgres_admin"))
    else:
        yield f"sqlite:///{tmp_path / 'registry.db'}"


def test_the_models_and_the_migrations_agree(raw_url: str) -> None:
    engine = make_engine(raw_url)
    with engine.connect() as conn:
        differences = compare_metadata(MigrationContext.configure(conn), SQLModel.metadata)
        assert differences == [], differences
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar_one() == head()
    engine.dispose()


def test_a_previous_release_registry_is_upgraded_with_nothing_lost(raw_url: str) -> None:
    # The previous release made its tables with create_all: the baseline's schema, no version table.
    engine = create_engine(raw_url)
    upgrade(engine, BASELINE)
    with engine.begin() as conn:
        conn.execute(text("DROP TABLE alembic_version"))
        conn.execute(
            text(
                "INSERT INTO cases (reg_number, kind, appeal_type, channel, language, category, district, "
                "applicant_kind, applicant_identity, applicant_name, applicants_count, addressee, received_at, "
                "state, executor, deadline, overdue, possible_repeat_of, closure_reason, answer_character, parent, "
                "workflow_run, related_to, answered_late, answer_excerpt, created_at, updated_at) VALUES "
                "('APL-2026-000001', 'appeal', 'complaint', 'paper', 'kk', 'roads', 'medeu', 'person', "
                "'850315300009', 'Ержан', 1, 'Аким', '2026-03-02T10:00:00+05:00', 'closed', 'roads-dept', "
                "'2026-03-20', :no, '', 'answered', 'satisfied', '', 'run-1', '', :no, 'Жол жөнделді.', "
                "'2026-03-02 05:00:00', '2026-03-05 05:00:00')"
            ),
            {"no": False},
        )
        conn.execute(  # an instruction as the release before issue 22 wrote it: its issuer in `category`
            text(
                "INSERT INTO cases (reg_number, kind, appeal_type, channel, language, category, district, "
                "applicant_kind, applicant_identity, applicant_name, applicants_count, addressee, received_at, "
                "state, executor, deadline, overdue, possible_repeat_of, closure_reason, answer_character, parent, "
                "workflow_run, related_to, answered_late, answer_excerpt, created_at, updated_at) VALUES "
                "('PRI-2026-000001', 'instruction', 'monthly', 'presidential_control', 'ru', 'president', '', "
                "'issuer', '', 'Руководитель АП', 1, '', '2026-03-02T10:00:00+05:00', 'routed', 'housing-dept', "
                "'2026-04-02', :no, '', '', '', '', 'run-2', '', :no, '', "
                "'2026-03-02 05:00:00', '2026-03-05 05:00:00')"
            ),
            {"no": False},
        )
        conn.execute(
            text(
                "INSERT INTO events (reg_number, key, seq, trigger, actor_id, actor_role, from_state, to_state, at, "
                "reason, detail, actor_name, auth, recorded_at) VALUES ('APL-2026-000001', 'register', 0, "
                "'register', 'registrar', 'registrar', '', 'registered', '2026-03-02T10:00:00+05:00', '', '{}', "
                "'', '', '2026-03-02 05:00:00')"
            )
        )
        conn.execute(  # a notice the outbox kept before anything delivered (issue 24)
            text(
                "INSERT INTO notifications (key, reg_number, recipient, template, language, subject, body, "
                "created_at, sent) VALUES ('APL-2026-000001:answer_letter:1', 'APL-2026-000001', 'e@x.kz', "
                "'answer_letter', 'kk', 'Жауап', 'Жол жөнделді.', '2026-03-05 05:00:00', :no)"
            ),
            {"no": False},
        )
    assert inspect(engine).get_table_names()  # the old registry is there
    engine.dispose()

    upgraded = make_engine(raw_url)  # what the worker does at start
    with upgraded.connect() as conn:
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar_one() == head()
        card = conn.execute(text("SELECT * FROM cases WHERE kind = 'appeal'")).mappings().one()
        instruction = conn.execute(text("SELECT * FROM cases WHERE kind = 'instruction'")).mappings().one()
        assert (instruction["category"], instruction["appeal_type"]) == ("", "")  # not a catalogue value
        assert parse_detail(instruction["detail"]) == InstructionDetail("president", "monthly", "Руководитель АП")
        assert card["detail"] == ""  # an appeal's columns are all its own
        assert (card["reg_number"], card["applicant_name"], card["answer_excerpt"]) == (
            "APL-2026-000001",
            "Ержан",
            "Жол жөнделді.",
        )
        assert (card["summary"], card["received_on"], card["under_control"], card["answer_working_days"]) == (
            "",
            "",
            False,
            None,
        )
        notice = conn.execute(text("SELECT status, attempts, body FROM notifications")).one()
        assert tuple(notice) == ("held", 0, "Жол жөнделді.")  # not mailed at once on upgrade: released by hand
        event = conn.execute(text("SELECT trigger, quality_rating FROM events")).one()
        assert tuple(event) == ("register", None)
        assert compare_metadata(MigrationContext.configure(conn), SQLModel.metadata) == []
    upgraded.dispose()


def test_db_upgrade_from_the_cli(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'registry.db'}"
    run = subprocess.run(
        [sys.executable, "starter.py", "db", "upgrade"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**__import__("os").environ, "DATABASE_URL": url},
        timeout=120,
    )
    assert run.returncode == 0, run.stderr
    assert f"at revision {head()}" in run.stdout
