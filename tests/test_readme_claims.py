"""What the README and the documents under docs/ tell a new operator, pinned to what the software
does (issue 14)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from temporalio.client import Client, WorkflowUpdateFailedError
from temporalio.worker import Worker

from cli import demo_cases as demo
from models.moves import ANSWER_CHARACTERS
from tests.factories import appeal_dict
from tests.scenario import move, sealed, start_appeal, status, until_state
from workflows.case_host import refusal_line

ROOT = Path(__file__).resolve().parent.parent
README = "\n".join(
    path.read_text(encoding="utf-8") for path in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
)
PROSE = " ".join(README.split())  # their words, whatever the line breaks and indentation


def says(phrase: str) -> bool:
    """Whether the documents say `phrase` (re-wrapping a paragraph does not break the check)."""
    return " ".join(phrase.split()) in PROSE


def test_the_answer_characters_the_readme_lists_are_the_ones_accepted() -> None:
    listed = re.search(r"`answer_character` is one of\s+(.+?)\s+\(the last two", README, re.DOTALL)
    assert listed is not None
    assert re.findall(r"`(\w+)`", listed.group(1)) == list(ANSWER_CHARACTERS)
    assert "explained\\|satisfied\\|partially_satisfied\\|refused" in README  # the CLI's `move` row


def test_an_appeal_without_any_contact_is_registered_as_anonymous_as_the_readme_says() -> None:
    """Issue 21.7: registration is mandatory; before, `register` refused an appeal with no contact."""
    from models.appeal import parse_appeal

    assert says("with no contact at all (nowhere to send the answer) or no name, the appeal is registered")
    appeal = parse_appeal(appeal_dict(contacts={}))
    assert appeal.is_anonymous()
    run = subprocess.run(  # a wrong value is still refused before anything is sent
        [sys.executable, "starter.py", "register", "--type", "application", "--category", "housing"]
        + ["--district", "almaly", "--text", "Прошу отремонтировать крышу.", "--name", "Иван"]
        + ["--iin", "123", "--email", "ivan@example.kz"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        env=dict(os.environ, TEMPORAL_ADDRESS="127.0.0.1:1"),
    )
    assert run.returncode == 2, run.stdout + run.stderr
    assert "applicant.iin" in run.stdout + run.stderr


# The demo at every local hour of days of every kind (issue 20: a run at 20:52 UTC, 01:52 in Almaty,
# told another story; one at 19:00-24:00 UTC wrote reports on the wrong day). A weekday, a Friday,
# a Saturday, a Sunday, Independence Day, the day after it, New Year's Eve, New Year's Day.
DEMO_DAYS = [
    "2026-12-02",
    "2026-12-04",
    "2026-12-05",
    "2026-12-06",
    "2026-12-16",
    "2026-12-18",
    "2026-12-31",
    "2027-01-01",
]
EVERY_HOUR = [(day, hour) for day in DEMO_DAYS for hour in range(24)]


def local_moment(day: str, hour: int, minute: int = 30) -> datetime:
    """A moment given in Almaty's local time, in UTC (as the wall clock would read it)."""
    from policies.calendar import local_zone

    return datetime.fromisoformat(f"{day}T{hour:02d}:{minute:02d}:00").replace(tzinfo=local_zone()).astimezone(UTC)


@pytest.mark.parametrize(("day", "hour"), EVERY_HOUR)
def test_the_demo_story_is_the_one_the_readme_tells_at_every_local_hour(day: str, hour: int) -> None:
    now = local_moment(day, hour)
    story = demo.late_story(now)
    legal = [(kind, at - now) for kind, at in story if kind in ("reminder", "escalation", "disciplinary")]
    assert [kind for kind, _ in legal] == ["reminder", "escalation", "disciplinary"]  # one reminder
    reminder, escalation, proposal = (after for _, after in legal)
    assert timedelta(minutes=1) <= reminder <= timedelta(minutes=2)
    assert timedelta(minutes=2) <= escalation <= timedelta(minutes=4)
    assert timedelta(minutes=4) <= proposal <= timedelta(minutes=6)
    assert [kind for kind, at in story if at <= now] == ["forward_escalation"]  # "at once the head is alerted"
    assert demo.first_term_point(now) - now >= timedelta(minutes=10)  # the others: within their terms


def test_the_readme_tells_the_demo_story() -> None:
    assert says("its executor gets **one reminder**")
    assert says("one working day lasts one minute")


@pytest.mark.parametrize(("day", "hour"), EVERY_HOUR)
def test_the_demo_reports_cover_what_the_demo_registers_at_every_local_hour(day: str, hour: int) -> None:
    from policies.calendar import local_date

    now = local_moment(day, hour)
    first, last = demo.report_period(now)
    received_on = local_date(now.isoformat())  # how the registry files a receipt made now
    assert first.isoformat() <= received_on <= last.isoformat()
    assert last.isoformat() == received_on and first.day == 1


def test_a_refusal_is_one_readable_log_line() -> None:
    assert refusal_line("APL-1", "route", "", "", "payload: is empty;\n send a JSON object") == (
        "APL-1: refused 'route' (no actor given): payload: is empty; send a JSON object"
    )
    assert refusal_line("APL-1", "approve", "a.exec", "executor", "role 'executor' may not trigger 'approve'") == (
        "APL-1: refused 'approve' (executor a.exec): role 'executor' may not trigger 'approve'"
    )


async def test_the_status_lists_refused_signals_but_not_updates_refused_by_the_validator(
    client: Client, worker: Worker
) -> None:
    assert says("not** listed in the status")
    handle = await start_appeal(client, worker, appeal_dict())
    await until_state(handle, "routed")
    with pytest.raises(WorkflowUpdateFailedError):
        await move(handle, "approve", "ctl-1", "registrar")
    await handle.signal("approve", await sealed(handle, "approve", {"actor": {"id": "reg-1", "role": "registrar"}}))
    st = await status(handle)
    while not st.refusals:
        st = await status(handle)
    assert [(r.trigger, r.actor_id) for r in st.refusals] == [("approve", "reg-1")]


def test_the_demo_reception_gives_instructions_the_policy_allows_with_terms_past_the_demo() -> None:
    from policies.loading import load_policy

    longest = int(load_policy("receptions")["instruction_max_working_days"])
    for instruction in demo.RECEPTION_INSTRUCTIONS:
        assert 10 <= int(instruction["term_working_days"]) <= longest  # ten minutes and more, within policy
