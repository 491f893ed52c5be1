"""One time-skipping server per test module; each test gets its own task queue and registry."""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
import uuid
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session
from temporalio.client import (
    Client,
    Interceptor,
    OutboundInterceptor,
    StartWorkflowInput,
    WorkflowHandle,
)
from temporalio.service import RPCError
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from models.registry import make_engine
from runtime.registration import register_search_attributes
from tooling import devserver
from tooling.client import TASK_QUEUE, data_converter
from worker import build_worker

BIN = Path(sys.executable).parent
# A fixed key, for tests only (committed): the replay corpus was recorded with it.
os.environ.setdefault("APPEALS_CODEC_KEY_FILE", str(Path(__file__).resolve().parent / "codec-test-key.json"))
# The seal signing key of the tests (committed, tests only): this process and its CLI subprocesses
# seal as the codec server does; the working tree's .keys are never read.
os.environ.setdefault("APPEALS_SEAL_KEY_FILE", str(Path(__file__).resolve().parent / "seal-test-key.json"))
os.environ.setdefault("APPEALS_SEAL_PUBLIC_FILE", str(Path(tempfile.mkdtemp(prefix="appeals-seal-")) / "public.json"))
# The CLI in-process and in subprocesses falls back to DATABASE_URL: never the working tree's registry.db.
os.environ.setdefault("DATABASE_URL", f"sqlite:///{tempfile.mkdtemp(prefix='appeals-tests-')}/registry.db")


@pytest.fixture(scope="module")
async def env() -> AsyncIterator[WorkflowEnvironment]:
    """One time-skipping server per test module. Its clock only moves forward, by every skip of
    every test; over the whole suite it was seen to pass the year 2100, where an appeal's receipt
    date is refused (an appeal's dates are kept within 2000-2100), so no server outlives a module."""
    environment = await WorkflowEnvironment.start_time_skipping(
        test_server_existing_path=str(BIN / "temporal-test-server"), data_converter=data_converter()
    )
    await register_search_attributes(environment.client)
    yield environment
    await environment.shutdown()


@pytest.fixture(autouse=True)
async def server_clock(request: pytest.FixtureRequest) -> None:
    """New appeals are received at the server's current time, which time skipping moves on."""
    from tests import factories

    if "env" in request.fixturenames:
        environment: WorkflowEnvironment = request.getfixturevalue("env")
        factories.clock_now = await environment.get_current_time()
    else:
        factories.clock_now = None


class StartRecorder(Interceptor):
    """Remembers every workflow a test starts, so the test's leftovers can be terminated."""

    def __init__(self) -> None:
        self.ids: list[str] = []

    def intercept_client(self, next: OutboundInterceptor) -> OutboundInterceptor:
        recorder = self

        class Outbound(OutboundInterceptor):
            async def start_workflow(self, input: StartWorkflowInput) -> WorkflowHandle[Any, Any]:
                recorder.ids.append(input.id)
                return await super().start_workflow(input)

        return Outbound(next)


@pytest.fixture
def recorder() -> StartRecorder:
    return StartRecorder()


@pytest.fixture
def client(env: WorkflowEnvironment, recorder: StartRecorder) -> Client:
    config = env.client.config()
    config["interceptors"] = [*config["interceptors"], recorder]
    return Client(**config)


REGISTRIES = ("sqlite", "postgresql")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Modules that set `BOTH_REGISTRIES = True` run each test using `engine` on SQLite and on
    PostgreSQL: one code path, two databases (issue 13)."""
    if "engine" in metafunc.fixturenames and getattr(metafunc.module, "BOTH_REGISTRIES", False):
        metafunc.parametrize("engine", REGISTRIES, indirect=True)


def require(available: bool, what: str, install: str) -> None:
    """A test needs something from the system's package manager. Its absence is a failure, here as
    in CI (.ci/run installs it): a test that is skipped proves nothing, and a missing install step
    must never pass as green."""
    if not available:
        pytest.fail(f"{what} is not installed ({install}; .ci/run installs it): this test cannot run without it")


@pytest.fixture(scope="session")
def postgres_admin() -> Iterator[str]:
    """A throw-away PostgreSQL server for the session (tests/postgres.py)."""
    from tests.postgres import binaries, throwaway_server

    require(binaries() is not None, "PostgreSQL", "apt-get install postgresql")
    with throwaway_server() as url:
        yield url


@pytest.fixture
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    if getattr(request, "param", "sqlite") == "postgresql":
        from tests.postgres import fresh_database

        eng = make_engine(fresh_database(request.getfixturevalue("postgres_admin")))
    else:
        eng = make_engine(f"sqlite:///{tmp_path / 'registry.db'}")
    yield eng
    eng.dispose()


@pytest.fixture(scope="session")
def pool() -> Iterator[ThreadPoolExecutor]:
    with ThreadPoolExecutor(max_workers=8) as executor:
        yield executor


@pytest.fixture
async def worker(
    client: Client, engine: Engine, pool: ThreadPoolExecutor, recorder: StartRecorder
) -> AsyncIterator[Worker]:
    w = build_worker(client, engine, task_queue=f"tq-{uuid.uuid4()}", pool=pool)
    async with w:
        yield w
        if not os.environ.get("NO_CLEANUP"):
            await close_open_cases(client, engine, recorder.ids)


def history_is_idle(events: Any) -> bool:
    """No activity and no workflow task in flight, or the workflow has ended."""
    open_activities: set[int] = set()
    task_open = False
    for event in events:
        kind = event.WhichOneof("attributes")
        if kind == "activity_task_scheduled_event_attributes":
            open_activities.add(event.event_id)
        elif kind in (
            "activity_task_completed_event_attributes",
            "activity_task_failed_event_attributes",
            "activity_task_timed_out_event_attributes",
            "activity_task_canceled_event_attributes",
        ):
            open_activities.discard(getattr(event, kind).scheduled_event_id)
        elif kind == "workflow_task_scheduled_event_attributes":
            task_open = True
        elif kind in (
            "workflow_task_completed_event_attributes",
            "workflow_task_failed_event_attributes",
            "workflow_task_timed_out_event_attributes",
        ):
            task_open = False
        elif (
            kind
            and kind.startswith("workflow_execution_")
            and kind.split("_")[2] in ("completed", "failed", "terminated", "timed", "canceled", "continued")
        ):
            return True
    return not open_activities and not task_open


async def close_open_cases(client: Client, engine: Engine, started: list[str]) -> None:
    """Terminate what a test left running: the shared time-skipping server does not skip time while
    a workflow whose worker is gone has an activity or task outstanding, which would stall later tests."""
    from sqlmodel import Session, select

    from models.registry import CaseRecord

    with Session(engine) as session:
        numbers = list(session.exec(select(CaseRecord.reg_number).where(CaseRecord.state != "closed")))
    for number in reversed(dict.fromkeys([*started, *numbers])):  # children (registered later) first
        handle = client.get_workflow_handle(number)
        try:
            # The test server keeps time locked for a workflow terminated while it had a workflow
            # task or an activity in flight: wait until its history shows it idle first.
            for _ in range(200):
                history = await handle.fetch_history()
                if history_is_idle(history.events):
                    break
                await asyncio.sleep(0.02)
            await handle.terminate("test finished")
        except RPCError:
            pass  # already closed


TEST_PASSWORD = "test-password-1"  # every test user's (tests only)


@dataclass
class Served:
    """A worker on the dev server with its own registry, and the environment for CLI processes."""

    engine: Engine
    env: dict[str, str]
    home: Path

    def as_user(self, user_id: str, role: str, unit: str = "") -> dict[str, str]:
        """The CLI environment of `user_id`, logged in (created in the directory on first use,
        holding `role`; the unit defaults to the id, as test executors are named after theirs)."""
        import json

        from models.users import UserRecord
        from tooling.users import add_user, log_in

        with Session(self.engine) as s:
            known = s.get(UserRecord, user_id) is not None
        if not known:
            add_user(self.engine, user_id, user_id, [role], unit or user_id, TEST_PASSWORD)
        session = self.home / f"session-{user_id}.json"
        token = log_in(self.engine, user_id, TEST_PASSWORD, "cli")
        session.write_text(json.dumps({"user": user_id, "token": token}), encoding="utf-8")
        return dict(self.env, APPEALS_SESSION_FILE=str(session))


@pytest.fixture
async def served(dev_env: WorkflowEnvironment, tmp_path: Path) -> AsyncIterator[Served]:
    db = f"sqlite:///{tmp_path / 'registry.db'}"
    engine = make_engine(db)
    env = dict(os.environ, TEMPORAL_ADDRESS=dev_env.client.service_client.config.target_host, DATABASE_URL=db)
    with ThreadPoolExecutor(8) as pool:
        async with build_worker(dev_env.client, engine, task_queue=TASK_QUEUE, pool=pool):
            yield Served(engine, env, tmp_path)


@pytest.fixture(scope="module")
async def dev_env() -> AsyncIterator[WorkflowEnvironment]:
    env = await devserver.local_environment(data_converter=data_converter())
    added = await register_search_attributes(env.client)
    assert "CaseState" in added  # the worker's start-up registration works on a bare server
    yield env
    await env.shutdown()


_exit_status = 0
_skipped: list[str] = []


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.skipped:
        _skipped.append(report.nodeid)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """A skipped test proves nothing: the run fails if any test was skipped, whatever the reason."""
    global _exit_status
    if _skipped and exitstatus == 0:
        session.exitstatus = 1
        print(f"\n{len(_skipped)} test(s) skipped (a skip proves nothing): " + ", ".join(_skipped[:10]))
    _exit_status = int(session.exitstatus)


def pytest_unconfigure(config: pytest.Config) -> None:
    # The Temporal SDK's native runtime sometimes crashes at interpreter exit (sdk-python #300),
    # which would turn a green run into exit code 139: leave with pytest's own status instead.
    if os.environ.get("APPEALS_HARD_EXIT", "1") == "1":
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(_exit_status)
