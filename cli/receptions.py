"""`starter.py reception ...`: book, schedule, hold, cancel, slots, show, report."""

from __future__ import annotations

import asyncio
import json
from datetime import date
from pathlib import Path
from typing import Any

import typer
from rich.table import Table

from activities.receptions import create_slots, district_figures, list_slots
from cli.core import ACTOR, ROLE, print_status, register_kind, send_move
from cli.output import out
from models.case_status import CaseStatus
from models.errors import InputError
from models.reception import parse_instructions
from models.registry import registry_engine
from runtime.clock import utc_now
from tooling.client import connect
from workflows.kinds import placeholder_number
from workflows.reception_table import RECEPTION_TABLE

reception_app = typer.Typer(no_args_is_help=True, help="Personal receptions of citizens (seed 6.1-6.6).")
KIND_APP = reception_app  # the kind's commands under its name (cli/main.py)


@reception_app.command()
def book(
    name: str = typer.Option(..., help="the citizen's full name"),
    iin: str = typer.Option(..., help="the citizen's IIN"),
    issue: str = typer.Option(..., help="the question to raise"),
    official: str = typer.Option(..., help="requested official (policies/receptions.yaml)"),
    category: str = typer.Option(...),
    district: str = typer.Option(...),
    email: str = typer.Option(""),
    phone: str = typer.Option(""),
    language: str = typer.Option("ru"),
    format: str = typer.Option("office", help="office, visiting or videoconference"),
    number: str = typer.Option("", help="default: next RCP number from the registry"),
) -> None:
    """Preliminary registration for a personal reception (starts a ReceptionWorkflow)."""
    raw = {
        "reg_number": number or placeholder_number("reception"),
        "citizen": {"kind": "person", "name": name, "iin": iin},
        "contacts": {"email": email, "phone": phone},
        "language": language,
        "issue": issue,
        "category": category,
        "district": district,
        "requested_official": official,
        "format": format,
        "received_at": utc_now().isoformat(),
    }
    register_kind("reception", raw, number=number)


@reception_app.command("create-slots")
def create_slots_(
    official: str = typer.Option(...),
    day: str = typer.Option(..., "--date", help="YYYY-MM-DD"),
    first: str = typer.Option("10:00", "--from"),
    last: str = typer.Option("12:00", "--to"),
    minutes: int = typer.Option(20),
    kind: str = typer.Option("office", help="office, visiting (needs --district) or videoconference"),
    district: str = typer.Option(""),
    place: str = typer.Option(""),
    link: str = typer.Option(""),
) -> None:
    """Open reception slots for an official (a visiting reception: a batch in a district on a date)."""
    try:
        when = date.fromisoformat(day)
    except ValueError:
        raise InputError("date", f"not a date (YYYY-MM-DD): {day!r}") from None
    made = create_slots(
        registry_engine(), official, when, first, last, minutes, kind=kind, district=district, place=place, link=link
    )
    out.print(f"{len(made)} slot(s): " + ", ".join(f"#{s.slot_id} {s.local}" for s in made))


@reception_app.command()
def slots(
    official: str = typer.Option(""),
    day: str = typer.Option("", "--date"),
    district: str = typer.Option(""),
    free: bool = typer.Option(False, "--free", help="only free slots"),
) -> None:
    """List reception slots and who booked them."""
    rows = list_slots(registry_engine(), official, date.fromisoformat(day) if day else None, free, district)
    table = Table("slot", "official", "start (local)", "format", "district", "place", "booked by")
    for slot, holder in rows:
        table.add_row(str(slot.slot_id), slot.official, slot.local, slot.format, slot.district, slot.place, holder)
    out.print(table)


def _actor(actor: str, role: str) -> dict[str, str]:
    return {"id": actor, "role": role}


@reception_app.command()
def schedule(
    number: str,
    slot: int = typer.Option(..., help="slot number (see `reception slots --free`)"),
    actor: str = ACTOR,
    role: str = ROLE,
    participant: list[str] = typer.Option([], help="invite someone (repeatable)"),
    link: str = typer.Option("", help="videoconference link"),
    reschedule: bool = typer.Option(False, help="move an already scheduled reception"),
) -> None:
    """Book a slot for a reception (refused if the slot is taken)."""
    details: dict[str, Any] = {"participants": participant}
    if link:
        details["link"] = link
    st = send_move(
        number,
        {
            "trigger": "reschedule" if reschedule else "schedule",
            "actor": _actor(actor, role),
            "target": str(slot),
            "details": details,
        },
        RECEPTION_TABLE,
    )
    out.print(f"{number}: {st.state}, {st.executor} at {st.deadline}")


@reception_app.command()
def hold(
    number: str,
    actor: str = typer.Option("", help="the official who held the reception: you (the logged-in user)"),
    outcome: str = typer.Option(..., help="what was decided"),
    instruction: list[str] = typer.Option([], help="EXECUTOR:WORKING_DAYS:TEXT (repeatable)"),
    instructions_file: Path | None = typer.Option(None, help="JSON list of {executor, text, term_working_days}"),
) -> None:
    """Record that the reception was held, with its outcome and the instructions given."""
    specs: list[dict[str, Any]] = []
    if instructions_file:
        specs = json.loads(instructions_file.read_text(encoding="utf-8"))
    for i, item in enumerate(instruction, start=1):
        parts = item.split(":", 2)
        if len(parts) != 3 or not parts[1].isdigit():
            raise InputError(f"instruction[{i}]", "write it as EXECUTOR:WORKING_DAYS:TEXT")
        specs.append({"executor": parts[0], "term_working_days": int(parts[1]), "text": parts[2]})
    parse_instructions(specs)
    st = send_move(
        number,
        {
            "trigger": "hold",
            "actor": _actor(actor, "official"),
            "answer_text": outcome,
            "details": {"instructions": specs},
        },
        RECEPTION_TABLE,
    )
    out.print(f"{number}: {st.state}; instructions: " + ", ".join(i.reg_number for i in st.reception.instructions))


@reception_app.command()
def cancel(
    number: str,
    actor: str = ACTOR,
    reason: str = typer.Option(...),
    role: str = ROLE,
) -> None:
    """Cancel a reception at the citizen's request (frees the slot)."""
    st = send_move(number, {"trigger": "cancel", "actor": _actor(actor, role), "reason": reason}, RECEPTION_TABLE)
    out.print(f"{number}: {st.state} ({st.closure_reason})")


@reception_app.command()
def show(number: str) -> None:
    """A reception with its slot and the state of every instruction."""

    async def go() -> tuple[CaseStatus, list[CaseStatus]]:
        client = await connect()
        st = await client.get_workflow_handle(number).query("status", result_type=CaseStatus)
        children = [
            await client.get_workflow_handle(i.reg_number).query("status", result_type=CaseStatus)
            for i in st.reception.instructions
        ]
        return st, children

    st, children = asyncio.run(go())
    print_status(st)
    slot = st.reception.slot
    if slot:
        out.print(f"slot #{slot.slot_id}: {slot.local} {slot.format} {slot.place} {slot.link}")
    table = Table("instruction", "executor", "state", "deadline", "overdue", "closed")
    for child in children:
        table.add_row(
            child.reg_number,
            child.executor,
            child.state,
            child.deadline,
            "YES" if child.overdue else "",
            child.closure_reason,
        )
    out.print(table)


@reception_app.command()
def report() -> None:
    """Monitoring per district: receptions, held, instructions given, executed on time, overdue."""
    table = Table("district", "receptions", "held", "instructions", "executed on time", "overdue")
    for f in district_figures(registry_engine()):
        table.add_row(
            f.district, str(f.receptions), str(f.held), str(f.instructions), str(f.executed_on_time), str(f.overdue)
        )
    out.print(table)
