"""Every recorded history under tests/histories/ replays against the current workflow code."""

from __future__ import annotations

from pathlib import Path

import pytest
from temporalio.client import WorkflowHistory
from temporalio.worker import Replayer

from runtime.client import data_converter
from workflows.kinds import WORKFLOWS

HISTORIES = sorted((Path(__file__).resolve().parent / "histories").glob("*.json"))


def test_corpus_covers_the_main_paths() -> None:
    names = {p.stem.split("__")[0] for p in HISTORIES}
    assert {
        "appeal_happy_path",
        "appeal_forwarded",
        "appeal_returned_for_finalization",
        "appeal_extended_then_overdue",
        "appeal_refusal_after_hearing",
    } <= names


@pytest.mark.parametrize("path", HISTORIES, ids=[p.stem.split("__")[0] for p in HISTORIES])
async def test_history_replays(path: Path) -> None:
    history = WorkflowHistory.from_json(path.stem.split("__")[1], path.read_text(encoding="utf-8"))
    replayer = Replayer(workflows=WORKFLOWS, data_converter=data_converter())
    result = await replayer.replay_workflow(history, raise_on_replay_failure=False)
    assert result.replay_failure is None, f"{path.name}: {result.replay_failure}"


async def test_replay_detects_a_changed_workflow() -> None:
    """The check can fail: a history whose first activity differs from what the code schedules."""
    path = next(p for p in HISTORIES if p.stem.startswith("appeal_happy_path"))
    history = WorkflowHistory.from_json(path.stem.split("__")[1], path.read_text(encoding="utf-8"))
    for event in history.events:
        if event.HasField("activity_task_scheduled_event_attributes"):
            event.activity_task_scheduled_event_attributes.activity_type.name = "some_other_activity"
            break
    result = await Replayer(workflows=WORKFLOWS, data_converter=data_converter()).replay_workflow(
        history, raise_on_replay_failure=False
    )
    assert result.replay_failure is not None and "ondeterminism" in str(result.replay_failure)
