"""One time-skipping server per session; each test gets its own task queue and registry."""

from __future__ import annotations

import os
import sys
import uuid
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from models.registry import make_engine
from runtime.client import data_converter
from runtime.registration import register_search_attributes
from worker import build_worker

BIN = Path(sys.executable).parent


@pytest.fixture(scope="session")
async def env() -> AsyncIterator[WorkflowEnvironment]:
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


@pytest.fixture
def client(env: WorkflowEnvironment) -> Client:
    return env.client


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    eng = make_engine(f"sqlite:///{tmp_path / 'registry.db'}")
    yield eng
    eng.dispose()


@pytest.fixture(scope="session")
def pool() -> Iterator[ThreadPoolExecutor]:
    with ThreadPoolExecutor(max_workers=8) as executor:
        yield executor


@pytest.fixture
async def worker(client: Client, engine: Engine, pool: ThreadPoolExecutor) -> AsyncIterator[Worker]:
    w = build_worker(client, engine, task_queue=f"tq-{uuid.uuid4()}", pool=pool)
    async with w:
        yield w


_exit_status = 0


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    global _exit_status
    _exit_status = int(exitstatus)


def pytest_unconfigure(config: pytest.Config) -> None:
    # The Temporal SDK's native runtime sometimes crashes at interpreter exit (sdk-python #300),
    # which would turn a green run into exit code 139: leave with pytest's own status instead.
    if os.environ.get("APPEALS_HARD_EXIT", "1") == "1":
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(_exit_status)
