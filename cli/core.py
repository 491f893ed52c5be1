"""What every CLI command shares: the consoles, the one error type, printing a status, sending a move."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

import typer
from rich.markup import escape
from rich.table import Table as RichTable
from temporalio.client import WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError, WorkflowAlreadyStartedError
from temporalio.service import RPCError, RPCStatusCode

from cli.output import CliError, out
from cli.session import logged_in
from models.case_status import AppealFacts, CaseStatus
from models.moves import parse_move
from models.registry import registry_engine
from policies.calendar import local_zone
from tooling.client import connect, start_case
from tooling.registering import checked, numbered
from tooling.seal import Identity
from workflows.case_machine import Table
from workflows.kinds import BY_NAME


def local(moment: str) -> str:
    """A moment as the department reads it: local time (Almaty's zone, named in the table's head)."""
    try:
        parsed = datetime.fromisoformat(moment)
    except ValueError:
        return moment[:19]
    aware = parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    return aware.astimezone(local_zone()).strftime("%Y-%m-%d %H:%M")


def print_status(st: CaseStatus) -> None:
    """A case's status in the terminal. Every value that came from a move (reasons, names, messages)
    is escaped: `[link=...]` or `[red]` in a reason is shown as typed, never as console markup."""
    e = escape
    repeats = st.facts.possible_repeat_of if isinstance(st.facts, AppealFacts) else []
    out.print(
        f"[bold]{e(st.reg_number)}[/bold]  state [bold]{e(st.state)}[/bold]  deadline {e(st.deadline)}  "
        f"executor {e(st.executor or '-')}  overdue {'YES' if st.overdue else 'no'}"
        + (f"  closed: {e(st.closure_reason)}" if st.closure_reason else "")
        + (f"  possible repeat of {e(', '.join(repeats))}" if repeats else "")
    )
    table = RichTable("#", f"when ({local_zone()})", "who", "role", "trigger", "from", "to", "reason")
    for h in st.history:
        cells = (str(h.seq), local(h.at), h.actor_id, h.actor_role, h.trigger, h.from_state, h.to_state, h.reason)
        table.add_row(*(e(cell) for cell in cells))
    out.print(table)
    for t in st.timeline:
        out.print(f"  {e(local(t.at))}  {e(t.kind)}: {e(t.detail)}")
    for r in st.refusals:
        out.print(
            f"  [red]refused[/red] {e(local(r.at))} {e(r.trigger)} by {e(r.actor_id or '?')}/{e(r.actor_role or '?')}:"
            f" {e(r.message)}"
        )


# The options every move command takes: who makes it (only checked against the log-in) and as which role.
ACTOR: Any = typer.Option("", help="you (the logged-in user)")
ROLE: Any = typer.Option("", help="one of your roles (if you hold several)")


def registrar() -> tuple[Identity, str]:
    """The logged-in user, if they may register cases (policies/registration.yaml); else a one-line
    refusal (exit 1). Asked before a number is taken."""
    from policies.permissions import registering_roles

    who, method = logged_in()
    allowed = registering_roles()
    if not any(role in allowed for role in who.roles):
        raise CliError(f"refused: {who.id} may not register cases (registering is for: {', '.join(allowed)})", 1)
    return who, method


def register_kind(kind: str, raw: dict[str, Any], *, number: str) -> str:
    """Register a case of `kind`: its input checked as the workflow will check it
    (tooling/registering.py), the logged-in registrar, then the next number (unless `number` is
    given), the start, the number printed."""
    case = checked(BY_NAME[kind], raw)  # under the number given, or a placeholder until one is taken
    who, method = registrar()
    if not number:
        case = numbered(registry_engine(), BY_NAME[kind], raw)
    start_or_refuse(BY_NAME[kind].workflow.__name__, case, case.reg_number, who, method)
    out.print(case.reg_number)
    return str(case.reg_number)


def start_or_refuse(workflow: str, arg: Any, number: str, who: Identity, method: str) -> None:
    """Register a case (its input sealed as registered by `who`); a number already in use is
    refused in one line."""

    async def go() -> None:
        try:
            await start_case(await connect(), workflow, arg, number, who=who, method=method)
        except WorkflowAlreadyStartedError:
            raise CliError(f"reg_number: {number} is already registered (numbers are unique)") from None

    asyncio.run(go())


def send_move(number: str, payload: dict[str, Any], table: Table) -> CaseStatus:
    """Send one move as the `transition` Update; a refusal becomes a one-line error (exit 1).
    The payload is checked against the kind's table first, as the workflow will check it, and
    sealed for the logged-in user (a claim of another person or role is refused here)."""
    from tooling.client import execute_move, temporal_namespace
    from tooling.seal import seal_move

    parse_move({**payload, "actor": {"id": "-", "role": "-"}}, details_schema=table.details_schema)  # fields first
    who, method = logged_in()
    actor = payload.get("actor")
    claimed = {k: v for k, v in actor.items() if v} if isinstance(actor, dict) else {}
    try:
        payload = seal_move({**payload, "actor": claimed}, who, method, case=number, namespace=temporal_namespace())
    except PermissionError as error:
        raise CliError(f"refused: {error}", 1) from None
    parse_move(payload, details_schema=table.details_schema)

    async def go() -> CaseStatus:
        client = await connect()
        handle = client.get_workflow_handle(number)
        try:
            return await execute_move(handle, payload, CaseStatus)
        except WorkflowUpdateFailedError as error:
            cause = error.cause
            message = cause.message if isinstance(cause, ApplicationError) else str(cause)
            raise CliError(f"refused: {message}", 1) from None
        except RPCError as error:
            if "already completed" in str(error):
                raise CliError(f"refused: {number} is closed (its workflow has completed)", 1) from None
            if error.status == RPCStatusCode.NOT_FOUND:
                raise CliError(f"reg_number: no case {number}", 2) from None
            raise

    return asyncio.run(go())
