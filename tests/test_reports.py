"""Reports through Temporal (issue 12): ReportWorkflow writes each kind from the registry, the
digest reaches each executor as a notice, bad requests fail plainly, and the CLI renders any
report for a chosen period, district and language."""

from __future__ import annotations

import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select
from temporalio.api.enums.v1 import EventType
from temporalio.client import Client, WorkflowFailureError
from temporalio.worker import Worker

from models.notices import ReportRequest, ReportResult
from models.registry import DocumentRecord, NotificationRecord
from tests.planted import seed_registry
from workflows.report import ReportWorkflow

BOTH_REGISTRIES = True  # each test using `engine` runs on SQLite and on PostgreSQL (tests/conftest.py)

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def reports_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Where the reports are written in a test (APPEALS_REPORTS_DIR)."""
    monkeypatch.setenv("APPEALS_REPORTS_DIR", str(tmp_path / "out"))
    return tmp_path / "out"


async def run_report(client: Client, worker: Worker, request: ReportRequest) -> ReportResult:
    return await client.execute_workflow(
        ReportWorkflow.run, request, id=f"report-{uuid.uuid4()}", task_queue=worker.task_queue
    )


async def test_report_workflow_writes_the_certificate_in_both_languages(
    client: Client, worker: Worker, engine: Engine, reports_dir: Path
) -> None:
    seed_registry(engine, "ru")
    result = await run_report(client, worker, ReportRequest("systemic", start="2026-01-01", end="2026-06-30"))
    assert result.summary["flagged"] == 2  # one group, counted once per language
    html = sorted(p for p in result.paths if p.endswith(".html"))
    assert [Path(p).name for p in html] == [
        "systemic-2026-01-01-2026-06-30-kk.html",
        "systemic-2026-01-01-2026-06-30-ru.html",
    ]
    assert all(Path(p).exists() for p in result.paths)
    with Session(engine) as session:
        kinds = session.exec(select(DocumentRecord.kind)).all()
    assert kinds == ["report_systemic", "report_systemic"]


async def test_district_cards_are_written_for_every_district_for_the_month_before(
    client: Client, worker: Worker, engine: Engine, reports_dir: Path
) -> None:
    seed_registry(engine, "kk")
    result = await run_report(client, worker, ReportRequest("district", language="kk", day="2026-02-03"))
    names = sorted(Path(p).name for p in result.paths if p.endswith(".html"))
    assert len(names) == 5 and names[0] == "district-almaly-2026-01-01-2026-01-31-kk.html"
    assert result.summary["total"] > 0


async def test_the_weekly_digest_tells_each_executor_once(
    client: Client, worker: Worker, engine: Engine, reports_dir: Path
) -> None:
    from models.registry import CaseRecord

    with Session(engine) as session:
        for number, executor, deadline, overdue in (
            ("APL-2026-000001", "housing-dept", "2026-03-02T18:30:00+05:00", True),
            ("APL-2026-000002", "housing-dept", "2026-03-04T18:30:00+05:00", False),  # due in 2 working days
            ("APL-2026-000003", "roads-dept", "2026-03-20T18:30:00+05:00", False),  # not yet at risk
        ):
            session.add(
                CaseRecord(
                    reg_number=number,
                    kind="appeal",
                    executor=executor,
                    deadline=deadline,
                    overdue=overdue,
                    state="under_consideration",
                )
            )
        session.commit()
    request = ReportRequest("digest", language="ru", day="2026-03-02")
    result = await run_report(client, worker, request)
    assert result.summary["notices"] == 1 and result.summary["cases"] == 2
    again = await run_report(client, worker, request)
    assert again.summary["notices"] == 0  # once per executor and day
    with Session(engine) as session:
        notices = session.exec(select(NotificationRecord).where(NotificationRecord.template == "weekly_digest")).all()
    assert [(n.recipient, n.key) for n in notices] == [("housing-dept", "digest-2026-03-02-housing-dept")]
    assert "APL-2026-000001: 2026-03-02 !" in notices[0].body and "APL-2026-000002" in notices[0].body


async def test_a_bad_report_request_fails_at_once_naming_the_field(client: Client, worker: Worker) -> None:
    """Bad fields fail the start (parsed at the boundary); a period that cannot be fails in the
    activity at once, not retried. Either way the message names the field, and no workflow task
    fails (a hostile start cannot wedge a report workflow)."""
    for request, message in (
        ({"kind": "weekly", "day": "2026-03-02"}, "kind: unknown value 'weekly'"),
        ({"kind": "systemic", "language": "en"}, "language: unknown value 'en'"),
        ({"kind": "systemic", "start": "2026-01-01"}, "start, end: give both"),
        ("garbage", "request: must be an object, got str"),
        ({"kind": ["systemic"]}, "kind:"),
        (ReportRequest("systemic", start="2026-06-30", end="2026-01-01"), "period: the end 2026-01-01 is before"),
        (
            {"kind": "district", "district": "../../etc", "start": "2026-01-01", "end": "2026-01-31"},
            "district: unknown",
        ),
        ({"kind": "systemic", "day": "not-a-dayT"}, "day: "),
        ({"kind": "systemic", "start": "2026-02-30", "end": "2026-03-01"}, "start: '2026-02-30' is not a date"),
    ):
        handle = await client.start_workflow(
            "ReportWorkflow", request, id=f"bad-{uuid.uuid4()}", task_queue=worker.task_queue
        )
        with pytest.raises(WorkflowFailureError) as failure:
            await handle.result()
        chain = f"{failure.value.cause} {getattr(failure.value.cause, 'cause', '')}"
        assert message in chain, chain
        events = [e async for e in handle.fetch_history_events()]
        assert not [e for e in events if e.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED]


def test_the_cli_renders_a_report_with_csv(engine: Engine, tmp_path: Path) -> None:
    seed_registry(engine, "ru")
    out = tmp_path / "cli"
    proc = subprocess.run(
        [sys.executable, "starter.py", "report", "performance", "--from", "2026-01-01", "--to", "2026-06-30"]
        + ["--district", "nauryzbay", "--lang", "kk", "--out", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**__import__("os").environ, "DATABASE_URL": str(engine.url)},
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    html = out / "performance-nauryzbay-2026-01-01-2026-06-30-kk.html"
    assert html.exists() and (out / "performance-nauryzbay-2026-01-01-2026-06-30-kk-executors.csv").exists()
    assert "Орындаушылардың" in html.read_text(encoding="utf-8")
    assert str(html) in proc.stdout
    bad = subprocess.run(
        [sys.executable, "starter.py", "report", "systemic", "--from", "2026-13-01", "--to", "2026-06-30"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**__import__("os").environ, "DATABASE_URL": str(engine.url)},
        timeout=120,
    )
    assert bad.returncode == 2 and "--from" in bad.stderr and "Traceback" not in bad.stderr


def test_a_worker_starts_without_the_analysis_libraries() -> None:
    """scipy and matplotlib (tens of MB, about a second to import) load when a report runs: a worker that
    never writes one keeps the memory the lifecycle benchmark measures (issue 11)."""
    heavy = "('sklearn', 'matplotlib', 'scipy', 'pymorphy3')"
    code = f"import sys, worker; print(sorted(m for m in {heavy} if m in sys.modules))"
    run = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "[]"
