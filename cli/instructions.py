"""`starter.py instruction ...`: every step of controlling a Presidential instruction."""

from __future__ import annotations

import asyncio
from typing import Any

import typer
from rich.table import Table

from cli.core import ACTOR, ROLE, print_status, register_kind, send_move
from cli.output import out
from models.case_status import CaseStatus
from runtime.clock import utc_now
from tooling.client import TASK_QUEUE, connect
from tooling.schedules import HALF_YEAR_SCHEDULE_ID, ensure_half_year_schedule
from workflows.instruction_table import INSTRUCTION_TABLE
from workflows.kinds import placeholder_number

instruction_app = typer.Typer(
    no_args_is_help=True, help="Control of instructions of the President and the Presidential Administration."
)
KIND_APP = instruction_app  # the kind's commands under its name (cli/main.py)


def _move(number: str, trigger: str, actor: str, role: str, **fields: Any) -> CaseStatus:
    st = send_move(number, {"trigger": trigger, "actor": {"id": actor, "role": role}, **fields}, INSTRUCTION_TABLE)
    out.print(f"{number}: {st.state}, term {st.deadline}, period {st.instruction.period}")
    return st


@instruction_app.command()
def register(
    issuer: str = typer.Option(..., help="president, state_adviser, administration, appeals_department, akim"),
    issuer_official: str = typer.Option(..., help="who gave the instruction and where"),
    text: str = typer.Option(...),
    first_term: str = typer.Option(..., help="YYYY-MM-DD"),
    control: str = typer.Option("once", help="once or monthly"),
    periods: int = typer.Option(1, help="monthly: number of monthly reports"),
    executor: list[str] = typer.Option([], help="executor (repeatable; the first named coordinates)"),
    related: list[str] = typer.Option([], help="related appeal number (repeatable)"),
    number: str = typer.Option("", help="default: next PRI number from the registry"),
) -> None:
    """Put an instruction under control (starts an InstructionWorkflow)."""
    raw = {
        "reg_number": number or placeholder_number("instruction"),
        "issuer": issuer,
        "issuer_official": issuer_official,
        "text": text,
        "control": control,
        "first_term": first_term,
        "periods": periods,
        "executors": executor,
        "related_appeals": related,
        "received_at": utc_now().isoformat(),
    }
    register_kind("instruction", raw, number=number)


@instruction_app.command()
def assign(
    number: str,
    executor: list[str] = typer.Option(..., help="repeatable; the first named coordinates"),
    actor: str = ACTOR,
) -> None:
    """Assign executors (controller)."""
    _move(number, "assign", actor, "controller", details={"executors": executor})


@instruction_app.command()
def report(
    number: str,
    actor: str = typer.Option("", help="the executor reporting: you (the logged-in user)"),
    text: str = typer.Option(...),
) -> None:
    """An executor's interim report for the current period."""
    _move(number, "report", actor, "executor", answer_text=text)


@instruction_app.command()
def consolidate(
    number: str,
    actor: str = typer.Option("", help="the lead executor: you (the logged-in user)"),
    text: str = typer.Option(...),
) -> None:
    """The lead executor's consolidated report."""
    _move(number, "submit_consolidated", actor, "executor", answer_text=text)


@instruction_app.command("return")
def return_(
    number: str,
    actor: str = ACTOR,
    reason: str = typer.Option(...),
    role: str = ROLE,
    new_term: str = typer.Option("", help="YYYY-MM-DD"),
) -> None:
    """Return for finalization with a new term (policy term if none is given)."""
    _move(number, "return_for_finalization", actor, role, reason=reason, new_deadline=new_term)


@instruction_app.command()
def extend(
    number: str,
    actor: str = typer.Option("", help="the executor asking: you (the logged-in user)"),
    new_term: str = typer.Option(...),
    reason: str = typer.Option(...),
) -> None:
    """Ask the issuer in writing for a later term."""
    _move(number, "request_extension", actor, "executor", new_deadline=new_term, reason=reason)


@instruction_app.command("decide-extension")
def decide_extension(
    number: str,
    actor: str = ACTOR,
    approve: bool = typer.Option(..., "--approve/--refuse"),
    document: str = typer.Option(..., help="the number of the issuer's decision (the incoming document)"),
    document_date: str = typer.Option(..., help="its date, YYYY-MM-DD"),
    role: str = typer.Option("", help="issuer (its own office), or controller recording the issuer's decision"),
    reason: str = typer.Option(""),
) -> None:
    """Record the issuer's decision on the extension request. The issuer is the instruction's own;
    a user in the role issuer decides only for their own office's instructions (the akim's), the
    controller records any issuer's decision from its document (number and date)."""
    details = {"document_number": document, "document_date": document_date}
    _move(number, "approve_extension" if approve else "refuse_extension", actor, role, reason=reason, details=details)


@instruction_app.command()
def verify(
    number: str,
    actor: str = ACTOR,
    date: str = typer.Option(..., help="YYYY-MM-DD of the visit"),
    place: str = typer.Option(...),
) -> None:
    """Schedule an on-site verification."""
    _move(number, "schedule_verification", actor, "controller", new_deadline=date, details={"place": place})


@instruction_app.command()
def findings(
    number: str,
    actor: str = ACTOR,
    text: str = typer.Option(...),
    poor: bool = typer.Option(False, "--poor", help="poor execution: returns an answered instruction"),
    poor_executor: list[str] = typer.Option([], help="executor found poor (repeatable)"),
) -> None:
    """Record the findings of a verification."""
    _move(
        number,
        "record_findings",
        actor,
        "controller",
        answer_text=text,
        details={"verdict": "poor" if poor else "satisfactory", "poor_executors": poor_executor},
    )


@instruction_app.command()
def proposal(
    number: str,
    key: str = typer.Option(...),
    actor: str = typer.Option("", help="the head: you (the logged-in user)"),
    approve: bool = typer.Option(..., "--approve/--reject"),
    reason: str = typer.Option(""),
) -> None:
    """The head's decision on a disciplinary proposal (approved: it is sent)."""
    _move(number, "approve_proposal" if approve else "reject_proposal", actor, "head", target=key, reason=reason)


@instruction_app.command()
def lift(
    number: str,
    actor: str = ACTOR,
    conclusion: str = typer.Option(...),
    role: str = ROLE,
) -> None:
    """Lift control by decision, with the conclusion (seed 9.7)."""
    _move(number, "lift_control", actor, role, answer_text=conclusion)


@instruction_app.command()
def transfer(
    number: str,
    actor: str = ACTOR,
    to: str = typer.Option(...),
    reason: str = typer.Option(...),
) -> None:
    """Transfer control to another body."""
    _move(number, "transfer", actor, "controller", target=to, reason=reason)


@instruction_app.command()
def show(number: str) -> None:
    """An instruction: state, term, period, each executor's reports and lateness, proposals, trail."""

    async def go() -> CaseStatus:
        return await (await connect()).get_workflow_handle(number).query("status", result_type=CaseStatus)

    st = asyncio.run(go())
    print_status(st)
    out.print(f"period {st.instruction.period}, runs {st.runs}")
    table = Table("executor", "reports", "last period", "late terms", "poor findings", "proposed")
    for t in st.instruction.executors:
        table.add_row(
            t.executor,
            str(t.reports),
            str(t.last_period_reported),
            str(t.late_terms),
            str(t.poor_findings),
            "yes" if t.proposed else "",
        )
    out.print(table)
    for p in st.instruction.proposals:
        out.print(f"proposal {p.key}: {', '.join(p.executors)} — {p.status} (decide by {p.decide_by[:10]})")


@instruction_app.command("schedule-report")
def schedule_report(trigger: bool = typer.Option(False, "--now", help="also run the report now")) -> None:
    """Create the half-year report schedule (idempotent); --now runs it at once."""

    async def go() -> bool:
        client = await connect()
        created = await ensure_half_year_schedule(client, TASK_QUEUE)
        if trigger:
            await client.get_schedule_handle(HALF_YEAR_SCHEDULE_ID).trigger()
        return created

    created = asyncio.run(go())
    out.print(
        f"schedule {HALF_YEAR_SCHEDULE_ID}: {'created' if created else 'already there'}"
        + ("; report started" if trigger else "")
    )
