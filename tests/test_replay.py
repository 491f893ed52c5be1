"""Every recorded history under tests/histories/ replays against the current workflow code."""

from __future__ import annotations

from pathlib import Path

import pytest

from tooling.replay import load_history, replayer
from tooling.trail import LOCAL_ACTIVITY_MARKER

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
    result = await replayer().replay_workflow(load_history(path), raise_on_replay_failure=False)
    assert result.replay_failure is None, f"{path.name}: {result.replay_failure}"


async def test_replay_detects_a_changed_workflow() -> None:
    """The check can fail: a history whose first activity differs from what the code schedules
    (a local activity's marker in current histories, a scheduled activity in older ones)."""
    for prefix in ("appeal_happy_path", "v3_appeal_happy_path"):
        path = next(p for p in HISTORIES if p.stem.startswith(prefix))
        history = load_history(path)
        for event in history.events:
            if event.HasField("activity_task_scheduled_event_attributes"):
                event.activity_task_scheduled_event_attributes.activity_type.name = "some_other_activity"
                break
            marker = event.marker_recorded_event_attributes
            if event.HasField("marker_recorded_event_attributes") and marker.marker_name == LOCAL_ACTIVITY_MARKER:
                data = marker.details["data"].payloads[0]
                data.data = data.data.replace(b'"activity_type":"', b'"activity_type":"some_other_')
                break
        result = await replayer().replay_workflow(history, raise_on_replay_failure=False)
        assert result.replay_failure is not None and "ondeterminism" in str(result.replay_failure), prefix


def test_replay_across_processes_keeps_each_outcome_with_its_file(tmp_path: Path) -> None:
    """`starter.py audit replay` spreads chunks of files over processes: every outcome comes back with
    its own file, in order, and a changed history among them is reported where it is."""
    from tooling.replay import CHUNK, replay_files

    files = [HISTORIES[i % len(HISTORIES)] for i in range(CHUNK + 10)]  # two chunks, two processes
    happy = next(p for p in HISTORIES if p.stem.startswith("appeal_happy_path"))
    broken = tmp_path / happy.name
    broken.write_text(
        happy.read_text(encoding="utf-8").replace(
            f'"markerName": "{LOCAL_ACTIVITY_MARKER}"', '"markerName": "renamed"', 1
        ),
        encoding="utf-8",
    )
    files[CHUNK + 3] = broken
    results = [(path, outcome) for batch in replay_files(files, jobs=2) for path, outcome in batch]
    assert [path for path, _ in results] == files
    failed = [path for path, outcome in results if outcome.failure]
    assert failed == [broken]


@pytest.mark.parametrize("path", HISTORIES, ids=[p.stem.split("__")[0] for p in HISTORIES])
def test_the_fast_reader_reads_what_parse_dict_reads(path: Path) -> None:
    """`runtime.history_json` gives the very message `json_format.ParseDict` gives."""
    import json

    from google.protobuf import json_format
    from temporalio.api.history.v1 import History

    from runtime.history_json import parse_into

    data = json.loads(path.read_text(encoding="utf-8"))
    expected, fast = History(), History()
    json_format.ParseDict(data, expected, ignore_unknown_fields=True)
    parse_into(data, fast)
    assert fast == expected
    assert fast.SerializeToString(deterministic=True) == expected.SerializeToString(deterministic=True)


def test_the_fast_reader_handles_the_rarer_json_forms() -> None:
    """Numbers as strings or numbers, enums by name or number, unpadded URL-safe base64, maps,
    well-known types, empty sub-messages (present, not absent) and unknown or null fields."""
    from google.protobuf import json_format
    from temporalio.api.history.v1 import HistoryEvent

    from runtime.history_json import parse_into

    data = {
        "eventId": "7",
        "eventTime": "2026-11-26T02:00:00.123Z",
        "eventType": 10,
        "taskId": 9,
        "someFutureField": {"x": 1},
        "workerMayIgnore": None,
        "workflowExecutionStartedEventAttributes": {
            "workflowType": {"name": "AppealWorkflow"},
            "workflowRunTimeout": "3.5s",
            "input": {"payloads": [{"metadata": {"encoding": "anNvbi9wbGFpbg"}, "data": "_-8"}]},
            "memo": {"fields": {"k": {"data": "AA=="}}},
            "retryPolicy": {},
            "attempt": 2,
        },
    }
    expected, fast = HistoryEvent(), HistoryEvent()
    json_format.ParseDict(data, expected, ignore_unknown_fields=True)
    parse_into(data, fast)
    assert fast == expected
    assert fast.workflow_execution_started_event_attributes.HasField("retry_policy")
    assert fast.workflow_execution_started_event_attributes.input.payloads[0].data == b"\xff\xef"


async def test_the_trail_does_not_mark_signals_between_cases_as_refused_moves() -> None:
    """Issue 21: the trail filtered a stale internal signal name, so a reception's instruction_news
    showed as "refused (no move followed)" (11 false red entries on one recorded reception)."""
    from tooling.client import data_converter
    from tooling.replay import load_history
    from tooling.trail import read_trail

    path = next((Path(__file__).parent / "histories").glob("reception_with_instructions__RCP-*.json"))
    trail = await read_trail(load_history(path), data_converter())
    news = [e for e in trail.entries if "instruction_news" in e.summary]
    assert news and not any("refused" in e.summary for e in news)
