"""An audit trail read from a workflow history itself (not from the registry)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from temporalio.api.common.v1 import Payloads
from temporalio.client import WorkflowHistory
from temporalio.converter import DataConverter

from models.activity_names import COMMIT_MOVE, RECORD_EVENT, REGISTER_CASE

LOCAL_ACTIVITY_MARKER = "core_local_activity"  # the marker the SDK's core records per local activity


@dataclass
class TrailEntry:
    at: str
    kind: str  # started, signal, update, update_refused, move, system_event, deadline, timer, activity, refused, end
    summary: str
    actor: str = ""
    role: str = ""
    from_state: str = ""
    to_state: str = ""


@dataclass
class Trail:
    workflow_id: str
    workflow_type: str
    entries: list[TrailEntry] = field(default_factory=list)
    registry_keys: set[str] = field(default_factory=set)  # keys the history wrote to the registry


async def _decode(converter: DataConverter, payloads: Payloads) -> list[Any]:
    if not payloads.payloads:
        return []
    return await converter.decode(payloads.payloads)


def _actor(value: Any) -> tuple[str, str]:
    if isinstance(value, dict) and isinstance(value.get("seal"), dict):  # proven by the codec server
        return str(value["seal"].get("id", "")), str(value["seal"].get("role", ""))
    if isinstance(value, dict) and isinstance(value.get("actor"), dict):
        return str(value["actor"].get("id", "")), str(value["actor"].get("role", ""))
    return "", ""


def _proof(value: Any) -> str:
    """How the sender of a signal or Update was authenticated, as the trail shows it."""
    seal = value.get("seal") if isinstance(value, dict) else None
    if isinstance(seal, dict):
        return f" [{seal.get('method', '')}: {seal.get('name', '')}]"
    return " [not authenticated]" if isinstance(value, dict) and value.get("actor") else ""


def internal_signals() -> set[str]:
    """Signals the cases send each other (never operators' moves), from every kind's workflow."""
    from workflows.kinds import KINDS

    return {name for kind in KINDS for name in kind.workflow.INTERNAL_SIGNALS}


async def read_trail(history: WorkflowHistory, converter: DataConverter) -> Trail:
    """Every accepted and refused move (actor, role, time, from, to), deadline changes, timers fired,
    activities and their results, as the history records them."""
    events = history.events
    trail = Trail(history.workflow_id, "")
    scheduled: dict[int, tuple[str, Any]] = {}
    signals: list[TrailEntry] = []
    for event in events:
        at = event.event_time.ToDatetime().isoformat() + "Z"
        kind = event.WhichOneof("attributes")
        if kind == "workflow_execution_started_event_attributes":
            attrs: Any = event.workflow_execution_started_event_attributes
            trail.workflow_type = attrs.workflow_type.name
            carried = " (continued from an earlier run)" if attrs.continued_execution_run_id else ""
            trail.entries.append(TrailEntry(at, "started", f"{attrs.workflow_type.name} started{carried}"))
        elif kind == "workflow_execution_signaled_event_attributes":
            attrs = event.workflow_execution_signaled_event_attributes
            args = await _decode(converter, attrs.input)
            actor, role = _actor(args[0] if args else None)
            proof = _proof(args[0] if args else None)
            entry = TrailEntry(at, "signal", f"signal {attrs.signal_name}{proof}", actor, role)
            trail.entries.append(entry)
            if attrs.signal_name not in internal_signals():
                signals.append(entry)  # an operator's move: a registry write should follow it
        elif kind == "workflow_execution_update_accepted_event_attributes":
            attrs = event.workflow_execution_update_accepted_event_attributes
            args = await _decode(converter, attrs.accepted_request.input.args)
            actor, role = _actor(args[0] if args else None)
            trigger = args[0].get("trigger", "") if args and isinstance(args[0], dict) else ""
            proof = _proof(args[0] if args else None)
            trail.entries.append(
                TrailEntry(at, "update", f"update {attrs.accepted_request.input.name}: {trigger}{proof}", actor, role)
            )
        elif kind == "workflow_execution_update_completed_event_attributes":
            outcome = event.workflow_execution_update_completed_event_attributes.outcome
            if outcome.HasField("failure"):
                trail.entries.append(TrailEntry(at, "refused", f"update refused: {outcome.failure.message}"))
        elif kind == "activity_task_scheduled_event_attributes":
            attrs = event.activity_task_scheduled_event_attributes
            args = await _decode(converter, attrs.input)
            scheduled[event.event_id] = (attrs.activity_type.name, args[0] if args else None)
            _registry_write(trail, signals, attrs.activity_type.name, args[0] if args else None, at)
        elif kind == "activity_task_completed_event_attributes":
            attrs = event.activity_task_completed_event_attributes
            name, _ = scheduled.get(attrs.scheduled_event_id, ("?", None))
            result = await _decode(converter, attrs.result)
            _completed(trail, name, result[0] if result else None, at)
        elif kind == "marker_recorded_event_attributes" and (
            event.marker_recorded_event_attributes.marker_name == LOCAL_ACTIVITY_MARKER
        ):
            # A local activity: one marker holds its type and its result (not its input), so the
            # registry write is read from `record_event`'s receipt.
            details = event.marker_recorded_event_attributes.details
            data = await _decode(converter, details["data"]) if "data" in details else []
            name = str(data[0].get("activity_type", "?")) if data and isinstance(data[0], dict) else "?"
            result = await _decode(converter, details["result"]) if "result" in details else []
            value = result[0] if result else None
            if event.marker_recorded_event_attributes.HasField("failure"):
                failure = event.marker_recorded_event_attributes.failure
                trail.entries.append(TrailEntry(at, "activity", f"{name} failed: {failure.message}"))
                continue
            _registry_write(trail, signals, name, value, at)
            _completed(trail, name, value, at)
        elif kind == "activity_task_failed_event_attributes":
            attrs = event.activity_task_failed_event_attributes
            name, _ = scheduled.get(attrs.scheduled_event_id, ("?", None))
            trail.entries.append(TrailEntry(at, "activity", f"{name} failed: {attrs.failure.message}"))
        elif kind == "timer_fired_event_attributes":
            trail.entries.append(TrailEntry(at, "timer", "a deadline timer fired"))
        elif (
            kind
            and kind.startswith("workflow_execution_")
            and kind.split("_")[2] in ("completed", "failed", "terminated", "continued", "timed", "canceled")
        ):
            trail.entries.append(
                TrailEntry(
                    at,
                    "end",
                    kind.removeprefix("workflow_execution_").removesuffix("_event_attributes").replace("_", " "),
                )
            )
    for entry in signals:
        if entry.kind == "signal":
            entry.kind = "refused"
            entry.summary += ": refused (no move followed)"
    return trail


def _registry_write(trail: Trail, signals: list[TrailEntry], name: str, write: Any, at: str) -> None:
    """A registry write the history made: `record_event`'s input (server-side activity) or its
    receipt (local activity) both hold the key and the move."""
    if name == REGISTER_CASE.name:
        trail.registry_keys.add("register")
    if name not in (RECORD_EVENT.name, COMMIT_MOVE.name) or not isinstance(write, dict):
        return
    record, key = write.get("record", {}), str(write.get("key", ""))
    trail.registry_keys.add(key)
    is_move = int(record.get("seq", 0)) > 0
    trail.entries.append(
        TrailEntry(
            str(record.get("at", at)),
            "move" if is_move else "system_event",
            f"{record.get('trigger')}"
            + (f" ({record.get('reason')})" if record.get("reason") else "")
            + (f" [{record.get('auth')}: {record.get('actor_name')}]" if record.get("auth") else ""),
            str(record.get("actor_id", "")),
            str(record.get("actor_role", "")),
            str(record.get("from_state", "")),
            str(record.get("to_state", "")),
        )
    )
    if is_move:
        for pending in signals:
            if (
                pending.summary.startswith(f"signal {record.get('trigger')}")
                and pending.actor == record.get("actor_id")
                and pending.kind == "signal"
            ):
                pending.kind = "signal_accepted"
                break


def _completed(trail: Trail, name: str, value: Any, at: str) -> None:
    """An activity's result, as the trail shows it (a registry write shows as its move)."""
    if isinstance(value, dict) and "due_date" in value:
        trail.entries.append(TrailEntry(at, "deadline", f"term set to {value['due_date']} ({name})"))
    elif name not in (RECORD_EVENT.name, COMMIT_MOVE.name):
        shown = value if not isinstance(value, dict) else {k: v for k, v in value.items() if k != "points"}
        trail.entries.append(TrailEntry(at, "activity", f"{name} -> {str(shown)[:160]}"))
