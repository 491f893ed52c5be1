"""Driving one appeal through a real server in tests: start, move, read back."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from temporalio.client import Client, WorkflowHandle, WorkflowUpdateFailedError
from temporalio.worker import Worker

from models.case_status import CaseStatus
from runtime.clock import utc_now
from tooling.client import transition
from tooling.seal import seal_as_named, seal_registration, staff
from workflows.appeal import AppealWorkflow

# The tests' registrar: the test process holds the codec key, and seals a registration as the codec
# server seals a logged-in registrar's (issue 20: an unsealed start registers nothing).
REGISTRAR = staff("reg-1", "registrar")


async def registration(client: Client, arg: dict[str, Any]) -> dict[str, Any]:
    """A case's input sealed as registered by the tests' registrar, at the server's time."""
    return seal_registration(arg, REGISTRAR, "test", await server_now(client), namespace=client.namespace)


def keyless(client: Client) -> Client:
    """The same connection without the codec key: what the bare `temporal` CLI or a stranger is."""
    from tooling.client import data_converter

    config = client.config()
    config["data_converter"] = data_converter(encrypt=False)
    return Client(**config)


async def start_appeal(client: Client, worker: Worker, appeal: dict[str, Any]) -> WorkflowHandle[Any, CaseStatus]:
    return await client.start_workflow(
        AppealWorkflow.run, await registration(client, appeal), id=appeal["reg_number"], task_queue=worker.task_queue
    )


async def status(handle: WorkflowHandle[Any, Any]) -> CaseStatus:
    return await handle.query("status", result_type=CaseStatus)


async def server_now(client: Client) -> datetime:
    """The server's clock: the time-skipping server's own time (it runs ahead of the wall clock)."""
    from google.protobuf.empty_pb2 import Empty

    try:
        stamp = await client.test_service.get_current_time(Empty())
        return stamp.time.ToDatetime(tzinfo=UTC)
    except Exception:  # a dev server: its clock is the wall clock
        return utc_now()


async def sealed(handle: WorkflowHandle[Any, Any], trigger: str, payload: dict[str, Any]) -> dict[str, Any]:
    """A signal payload sealed for the actor it names, for this case and trigger (as the codec
    server seals a logged-in user's move made from the case card's payload)."""
    return seal_as_named(payload, "test", await server_now(handle._client), case=handle.id, trigger=trigger)  # noqa: SLF001


async def move(handle: WorkflowHandle[Any, Any], trigger: str, actor_id: str, role: str, **fields: Any) -> CaseStatus:
    now = await server_now(handle._client)  # noqa: SLF001
    result: CaseStatus = await transition(
        handle, trigger, staff(actor_id, role), role, method="test", now=now, **fields
    )
    return result


async def accepted(client: Client, worker: Worker, executor: str, **appeal: Any) -> WorkflowHandle[Any, CaseStatus]:
    """An appeal (`appeal_dict` with these fields) registered, routed and taken into work."""
    from tests.factories import appeal_dict

    handle = await start_appeal(client, worker, appeal_dict(**appeal))
    await move(handle, "accept", executor, "executor")
    return handle


async def answer(
    handle: WorkflowHandle[Any, Any], executor: str, text: str, character: str = "explained"
) -> CaseStatus:
    """The executor's `submit_answer`: the answer's text and character."""
    return await move(handle, "submit_answer", executor, "executor", answer_text=text, answer_character=character)


async def refused(handle: WorkflowHandle[Any, Any], trigger: str, actor_id: str, role: str, **fields: Any) -> str:
    """Make a move that must be refused; the refusal's reason (the Update's failure). Tests then
    make the move as it should be: "refused, then made"."""
    with pytest.raises(WorkflowUpdateFailedError) as caught:
        await move(handle, trigger, actor_id, role, **fields)
    return str(caught.value.cause)


async def until_state(handle: WorkflowHandle[Any, Any], state: str, within: float = 20.0) -> CaseStatus:
    """The case's status once it reaches `state` (bounded: fails instead of waiting for ever; the
    bound is generous, for a 2-core machine running the whole suite)."""
    import asyncio
    import time

    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        st = await status(handle)
        if st.state == state:
            return st
        await asyncio.sleep(0.02)
    raise AssertionError(f"{handle.id} never reached {state!r}; {await history_summary(handle)}")


async def history_summary(handle: WorkflowHandle[Any, Any]) -> str:
    """The history in brief (event types, failures and markers' activity types), for a failure
    message: what a case was doing when a test gave up on it."""
    parts: list[str] = []
    async for event in handle.fetch_history_events():
        kind = event.WhichOneof("attributes") or "?"
        text = kind.removesuffix("_event_attributes")
        attrs = getattr(event, kind)
        if hasattr(attrs, "failure") and attrs.HasField("failure"):
            text += f"({attrs.failure.message[:200]})"
        if kind == "marker_recorded_event_attributes" and "data" in attrs.details:
            text += f"({attrs.details['data'].payloads[0].data[:80]!r})"
        parts.append(text)
    return "history: " + ", ".join(parts)


def worker_for(client: Client, engine: Any, queue: str, workflows: list[type], pool: Any) -> Worker:
    """Our worker for the given workflow classes (tests that deploy a variant of a kind: a changed
    table, a planted bug)."""
    from worker import build_worker

    return build_worker(client, engine, task_queue=queue, pool=pool, workflows=workflows)


def registry_snapshot(engine: Any, reg_number: str) -> tuple[Any, ...]:
    """Everything the registry holds about one case, to compare before and after a refused move."""
    from sqlmodel import Session, select

    from models.registry import CaseRecord, DisciplinaryProposalRecord, EventRecord, NotificationRecord

    with Session(engine) as s:
        card = s.get(CaseRecord, reg_number)
        card_data = card.model_dump(exclude={"updated_at"}) if card else None
        events = [
            (e.key, e.trigger, e.to_state)
            for e in s.exec(select(EventRecord).where(EventRecord.reg_number == reg_number))
        ]
        notes = [n.key for n in s.exec(select(NotificationRecord).where(NotificationRecord.reg_number == reg_number))]
        props = [
            p.key
            for p in s.exec(
                select(DisciplinaryProposalRecord).where(DisciplinaryProposalRecord.reg_number == reg_number)
            )
        ]
    return card_data, events, notes, props


def valid_details(table: Any, trigger: str) -> dict[str, Any] | None:
    """A minimal `details` that parses for the trigger's schema (None when it takes none)."""
    import dataclasses
    import typing

    schema = table.details_schema(trigger)
    if schema is None:
        return None
    hints = typing.get_type_hints(schema)
    out: dict[str, Any] = {}
    for f in dataclasses.fields(schema):
        if f.default is not dataclasses.MISSING or f.default_factory is not dataclasses.MISSING:
            continue
        hint = hints[f.name]
        if typing.get_origin(hint) is typing.Literal:
            out[f.name] = typing.get_args(hint)[0]
        elif f.metadata.get("pattern") == r"\d{4}-\d{2}-\d{2}":  # a date
            out[f.name] = "2026-01-05"
        elif hint is int:
            out[f.name] = max(f.metadata.get("min") or 0, 1)
        else:
            out[f.name] = "x"
    return out


POSTED = "RA000000001KZ"  # a post's tracking number


async def approve_and_deliver(
    handle: WorkflowHandle[Any, Any], actor_id: str = "head-1", role: str = "head", **fields: Any
) -> CaseStatus:
    """Approve the answer and record its delivery (table v7: the appeal stays answered until the
    letter reaches the applicant): the registry office hands the letter over (`mark_posted`), and
    the appeal closes as answered. The e-mail and SMS paths are tests/test_delivery_law.py's."""
    approved = await move(handle, "approve", actor_id, role, **fields)
    if approved.state == "closed" or not approved.appeal.answer_letter:
        return approved
    return await hand_over(handle, approved)


async def hand_over(handle: WorkflowHandle[Any, Any], approved: CaseStatus | None = None, key: str = "") -> CaseStatus:
    """A letter (by default the approved answer's) handed over on paper by the registry office
    (`mark_posted`): it counts as delivered then."""
    key = key or (approved or await status(handle)).appeal.answer_letter
    return await move(handle, "mark_posted", "reg-1", "registrar", details={"notice": key, "tracking": POSTED})
