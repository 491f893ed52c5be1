"""Replaying recorded histories against the current workflow code (auditors, the replay tests,
the replay benchmark): one replayer and one replay worker for many histories.

A replay decrypts what the history holds but never needs to encrypt what the code produces: the
commands are compared by kind and id, and their payloads are thrown away. So the replay's codec
decrypts only (re-encrypting every command was 17% of replay time, issue 11).
"""

from __future__ import annotations

import asyncio
import json
import multiprocessing
import os
from collections.abc import AsyncIterator, Iterable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from google.protobuf import json_format
from temporalio.api.common.v1 import Payload
from temporalio.api.history.v1 import History
from temporalio.client import WorkflowHistory
from temporalio.converter import PayloadCodec
from temporalio.worker import Replayer, UnsandboxedWorkflowRunner

from runtime.codec import EncryptionCodec
from runtime.history_json import parse_into
from tooling.client import data_converter


class DecryptOnlyCodec(PayloadCodec):
    """Decrypts as the worker does; leaves what the replayed code encodes as it is."""

    def __init__(self) -> None:
        self.inner = EncryptionCodec()

    async def encode(self, payloads: Sequence[Payload]) -> list[Payload]:
        return list(payloads)

    async def decode(self, payloads: Sequence[Payload]) -> list[Payload]:
        return await self.inner.decode(payloads)


@dataclass
class ReplayOutcome:
    workflow_id: str
    workflow_type: str
    failure: str  # "" when the history replays cleanly


def workflow_id_of(path: Path) -> str:
    """`<path>__<workflow id>.json` (the test corpus) or `<workflow id>__<run id>.json` (export)."""
    name = path.stem
    from workflows.kinds import PREFIXES

    if name.count("__") == 1 and not name.startswith(PREFIXES):
        return name.split("__")[1]
    return name.split("__")[0]


def load_history(path: Path) -> WorkflowHistory:
    """A history exported as JSON, read by the fast reader (`runtime.history_json`). A file that
    reader cannot take goes to `ParseDict`, and an older export with the SDK's enum spelling to
    `WorkflowHistory.from_json`, which rewrites the enums first."""
    text = path.read_text(encoding="utf-8")
    data = json.loads(text)
    history = History()
    try:
        parse_into(data, history)
    except (KeyError, ValueError, TypeError, AttributeError):
        history = History()
        try:
            json_format.ParseDict(data, history, ignore_unknown_fields=True)
        except json_format.ParseError:
            return WorkflowHistory.from_json(workflow_id_of(path), text)
    return WorkflowHistory(workflow_id_of(path), list(history.events))


def replayer() -> Replayer:
    """The replayer. A replay compares the commands the current code issues with those in the
    history, so it needs no sandbox: the sandbox guards live runs against non-deterministic
    calls (the worker keeps it, and tests check what workflows import). Without it, each replayed
    workflow skips the sandbox's per-run set-up and its per-activation serialization hops."""
    from tooling.client import temporal_namespace
    from workflows.kinds import WORKFLOWS

    # The histories' namespace (TEMPORAL_NAMESPACE): a seal is bound to the namespace it was made
    # in, and a case checks it against its own (issue 20); the SDK's default is "ReplayNamespace".
    return Replayer(
        namespace=temporal_namespace(),
        workflows=WORKFLOWS,
        data_converter=data_converter(DecryptOnlyCodec()),
        workflow_runner=UnsandboxedWorkflowRunner(),
    )


async def replay_all(histories: Iterable[WorkflowHistory]) -> AsyncIterator[ReplayOutcome]:
    """Each history's outcome, in order, from one replay worker."""
    listed = list(histories)

    async def source() -> AsyncIterator[WorkflowHistory]:
        for history in listed:
            yield history

    async with replayer().workflow_replay_iterator(source()) as replayed:
        index = 0
        async for result in replayed:
            history = listed[index]
            index += 1
            started = history.events[0].workflow_execution_started_event_attributes if history.events else None
            yield ReplayOutcome(
                history.workflow_id,
                started.workflow_type.name if started else "",
                str(result.replay_failure) if result.replay_failure else "",
            )


CHUNK = 50  # histories per replayer in a replay process


def replay_chunk(paths: list[str]) -> list[ReplayOutcome]:
    """Load and replay `paths` with one replayer (what each replay process runs)."""

    async def go() -> list[ReplayOutcome]:
        return [outcome async for outcome in replay_all(load_history(Path(path)) for path in paths)]

    return asyncio.run(go())


def replay_files(paths: Sequence[Path], jobs: int = 0) -> Iterator[list[tuple[Path, ReplayOutcome]]]:
    """Each file's outcome, in order, in batches as they finish. `jobs` processes (default: one
    per core) each load and replay chunks of the files: loading the JSON and replaying are both
    CPU-bound Python, so a second core doubles the rate. Processes are spawned, not forked: the
    SDK's core runs threads that a fork would not carry over."""
    files = [str(path) for path in paths]
    chunks = [files[i : i + CHUNK] for i in range(0, len(files), CHUNK)]
    jobs = min(jobs or os.cpu_count() or 1, len(chunks))
    if jobs <= 1:
        for chunk in chunks:
            yield [(Path(p), outcome) for p, outcome in zip(chunk, replay_chunk(chunk), strict=True)]
        return
    with ProcessPoolExecutor(jobs, mp_context=multiprocessing.get_context("spawn")) as pool:
        for chunk, outcomes in zip(chunks, pool.map(replay_chunk, chunks), strict=True):
            yield [(Path(p), outcome) for p, outcome in zip(chunk, outcomes, strict=True)]
