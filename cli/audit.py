"""Auditors' command line: export and replay histories, audit trails, compliance checks.

    python starter.py audit export  (--workflow ID | --query "CaseKind = 'appeal'") [--out audit-histories]
    python starter.py audit replay  PATH...            (files or folders of exported histories)
    python starter.py audit trail   --workflow ID [--html trail.html]
    python starter.py audit compliance [--skip-workflows]

Exit code 1 when a replay fails, the trail and the registry disagree, or compliance finds anything.
"""

from __future__ import annotations

import asyncio
import json
import time
from datetime import date, datetime
from pathlib import Path
from typing import Any

import typer
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from rich.table import Table
from sqlmodel import Session, select
from temporalio.client import Client, WorkflowHistory
from temporalio.service import RPCError, RPCStatusCode

from activities.letters import environment
from activities.registry import OUTSIDE_RESET
from cli.output import CliError, err, out
from models.intake import IntakeRecord
from models.registry import CaseRecord, EventRecord, registry_engine
from policies import calendar
from policies.appeals import appeal_rules
from policies.permissions import permission_matrix
from policies.terms import control_rules, term_working_days
from tooling.client import connect, data_converter
from tooling.replay import replay_files
from tooling.trail import Trail, read_trail
from workflows.kinds import KINDS, kind_of_card

app = typer.Typer(add_completion=False, no_args_is_help=True, help=__doc__)


async def _histories(client: Client, workflow: str, query: str) -> list[WorkflowHistory]:
    if workflow:
        return [await client.get_workflow_handle(workflow).fetch_history()]
    if not query:
        raise CliError("give --workflow ID or --query 'visibility query'")
    found = []
    async for execution in client.list_workflows(query):
        found.append(await client.get_workflow_handle(execution.id, run_id=execution.run_id).fetch_history())
    return found


@app.command()
def export(
    workflow: str = typer.Option(""),
    query: str = typer.Option(""),
    out_dir: Path = typer.Option(Path("audit-histories"), "--out"),
) -> None:
    """Export histories (payloads stay encrypted) to JSON files named <workflow id>__<run id>.json."""

    async def go() -> int:
        client = await connect()
        histories = await _histories(client, workflow, query)
        out_dir.mkdir(parents=True, exist_ok=True)
        for history in histories:
            run_id = history.events[0].workflow_execution_started_event_attributes.original_execution_run_id
            (out_dir / f"{history.workflow_id}__{run_id}.json").write_text(history.to_json(), encoding="utf-8")
        return len(histories)

    count = asyncio.run(go())
    out.print(f"exported {count} histories to {out_dir}")


def history_files(paths: list[Path]) -> list[Path]:
    files: list[Path] = []
    for path in paths:
        files += sorted(path.glob("*.json")) if path.is_dir() else [path]
    return files


@app.command()
def replay(
    paths: list[Path],
    jobs: int = typer.Option(0, help="replay processes (0: one per core)", min=0, max=64),
) -> None:
    """Replay exported histories against the current code; report each, fail on any failure."""

    files = history_files(paths)
    if not files:
        raise CliError("paths: no history files found")

    def go() -> list[tuple[str, str]]:
        results = []
        with Progress(TextColumn("replaying"), BarColumn(), MofNCompleteColumn(), console=err) as progress:
            task = progress.add_task("replay", total=len(files))
            # One replayer per chunk of histories, chunks spread over the cores.
            for batch in replay_files(files, jobs):
                results += [(path.name, outcome.failure) for path, outcome in batch]
                progress.advance(task, len(batch))
        return results

    started = time.perf_counter()
    results = go()
    seconds = time.perf_counter() - started
    table = Table("history", "replay")
    for name, failure in results:
        table.add_row(name, f"[red]FAILED[/red] {failure[:300]}" if failure else "clean")
    out.print(table)
    failed = sum(1 for _, f in results if f)
    out.print(f"{len(results) - failed} clean, {failed} failed ({len(results) / max(seconds, 1e-9):.1f} histories/s)")
    if failed:
        raise CliError(f"{failed} history(ies) do not replay with the current code", 1)


def cross_check(trail: Trail, engine: Any) -> list[str]:
    """Registry events the history did not write, and writes the registry lacks: audit findings."""
    with Session(engine) as session:
        keys = set(session.exec(select(EventRecord.key).where(EventRecord.reg_number == trail.workflow_id)).all())
    findings = [f"registry lacks event {k!r} that the history wrote" for k in sorted(trail.registry_keys - keys)]
    findings += [f"registry has event {k!r} that no history wrote" for k in sorted(keys - trail.registry_keys)]
    return findings


def trail_page(result: Trail, findings: list[str]) -> str:
    """The auditor's HTML file of a trail: every value from a move escaped (a reason is text)."""
    return environment().get_template("audit_trail.html.j2").render(trail=result, findings=findings)


@app.command()
def trail(
    workflow: str = typer.Option(...),
    html: Path | None = typer.Option(None, help="also write an HTML report"),
    registry_check: bool = typer.Option(True, "--registry-check/--no-registry-check"),
) -> None:
    """The audit trail of one workflow (all its runs), read from its history, checked against the registry."""

    async def go() -> Trail:
        client = await connect()
        handle = client.get_workflow_handle(workflow)
        run_ids = []
        run_id = (await handle.describe()).run_id
        while run_id:
            run_ids.append(run_id)
            first = (await client.get_workflow_handle(workflow, run_id=run_id).fetch_history()).events[0]
            run_id = first.workflow_execution_started_event_attributes.continued_execution_run_id
        whole = Trail(workflow, "")
        for rid in reversed(run_ids):
            part = await read_trail(
                await client.get_workflow_handle(workflow, run_id=rid).fetch_history(), data_converter()
            )
            whole.workflow_type = part.workflow_type
            whole.entries += part.entries
            whole.registry_keys |= part.registry_keys
        return whole

    result = asyncio.run(go())
    findings = cross_check(result, registry_engine()) if registry_check else []
    table = Table("when", "what", "summary", "who", "role", "from", "to")
    for e in result.entries:  # values from moves are text, never console markup
        style = "red" if e.kind == "refused" else ""
        cells = (e.at[:19], e.kind, e.summary, e.actor, e.role, e.from_state, e.to_state)
        table.add_row(*(escape(cell) for cell in cells), style=style)
    out.print(f"[bold]{escape(result.workflow_id)}[/bold] ({escape(result.workflow_type)})")
    out.print(table)
    for finding in findings:
        out.print(f"[red]finding[/red]: {escape(finding)}")
    if html:
        html.write_text(trail_page(result, findings), encoding="utf-8")
        out.print(f"wrote {html}")
    if findings:
        raise CliError(f"{len(findings)} difference(s) between the history and the registry", 1)


def compliance_findings(engine: Any, existing: set[str] | None) -> list[tuple[str, str, str]]:
    """(case, rule, detail) for every breach of office-work rules found in the registry (seed 10.1)."""
    findings: list[tuple[str, str, str]] = []
    rules = control_rules()
    with Session(engine) as session:
        cards = {c.reg_number: c for c in session.exec(select(CaseRecord)).all()}
        events = session.exec(select(EventRecord)).all()
    matrices = {kind.name: permission_matrix(kind.name) for kind in KINDS}
    answered: dict[str, str] = {}
    measured: dict[str, tuple[str, str, bool]] = {}
    undelivered: dict[str, str] = {}  # approved (table v7), its delivery not yet recorded
    signed: set[str] = set()  # approved under table v7: measured by the delivery, never by the first answer
    for e in events:
        if e.trigger == OUTSIDE_RESET:  # recorded by the reset run itself (issue 20)
            findings.append((e.reg_number, "reset outside the engine", f"{e.at[:19]}: {e.detail}"))
            continue
        card = cards.get(e.reg_number)
        kind = kind_of_card(card.kind if card is not None else "").name
        if e.actor_role != "system" and e.trigger != "register" and e.seq > 0 and not e.auth:
            findings.append(
                (
                    e.reg_number,
                    "move by an unauthenticated or unknown actor",
                    f"{e.actor_id}/{e.actor_role}: {e.trigger} (self-declared, no seal)",
                )
            )
        if e.actor_role != "system" and e.trigger != "register" and not matrices[kind].allows(e.actor_role, e.trigger):
            findings.append(
                (e.reg_number, "move by a role the policy does not allow", f"{e.actor_id}/{e.actor_role}: {e.trigger}")
            )
        detail = json.loads(e.detail or "{}")
        if e.trigger in ("forward", "forward_part") and detail.get("forward_late") == "yes":
            part = " (part of the questions)" if e.trigger == "forward_part" else ""
            findings.append(
                (e.reg_number, "forwarded later than 3 working days", f"due {detail.get('forward_by')}{part}")
            )
        if e.trigger == "submit_answer" and e.reg_number not in answered:
            answered[e.reg_number] = e.at
        if e.trigger == "approve" and "late" in detail:  # tables v2-v6: measured when the answer was approved
            measured[e.reg_number] = (e.at, str(detail.get("legal_term", "")), detail["late"] == "yes")
        if e.trigger == "approve" and "approved_late" in detail:  # table v7: approved, given when delivered
            undelivered[e.reg_number] = e.at
            signed.add(e.reg_number)
        if e.trigger == "record_delivery" and "late" in detail:  # table v7: the delivery against the legal term
            at = str(detail.get("delivered_at", e.at))
            measured[e.reg_number] = (at, str(detail.get("legal_term", "")), detail["late"] == "yes")
            undelivered.pop(e.reg_number, None)
        if e.trigger == "extend_deadline" and " -> " in str(detail.get("deadline", "")):
            # An extension is decided while the term runs (issue 21; APPC art. 76): one decided
            # after the term it extends erased a missed term (table versions before 5 let it).
            term = str(detail["deadline"]).split(" -> ")[0]
            decided = calendar.local_date(e.at)
            if term and decided > term:
                findings.append(
                    (e.reg_number, "extension decided after the term", f"term {term}, decided on {decided}")
                )
        if e.trigger == "extend_deadline" and card is not None and card.kind == "appeal":
            new = detail.get("deadline", "").split(" -> ")[-1]
            # The limit the case ran under (its policy snapshot, recorded with the move since issue
            # 21); today's policy only for moves recorded before.
            recorded = str(detail.get("extension_limit", ""))
            limit = date.fromisoformat(recorded) if recorded else extension_limit(card, rules.extension_max_months)
            if new and datetime.fromisoformat(new).date() > limit:
                findings.append((e.reg_number, "extension beyond the policy limit", f"{new} > {limit}"))
    for number, (at, term, late) in measured.items():
        if late:  # against the legal term as it stood: original or formally extended, never internal
            findings.append((number, "answered after the term", f"answered {at[:16]}, term {term}"))
    for number, at in undelivered.items():
        card = cards.get(number)
        if card is not None and card.overdue and card.state != "closed":
            findings.append(
                (
                    number,
                    "answer not delivered by the term",
                    f"approved {at[:16]}, term {card.deadline}: the answer counts when it reaches the applicant",
                )
            )
    for number, at in answered.items():
        card = cards.get(number)
        if number in measured or number in signed or not card or not card.deadline:
            continue
        if card.kind in ("appeal", "reception_instruction"):  # table v1 cases: the first answer, the card's term
            end = calendar.end_of_day(datetime.fromisoformat(card.deadline).date())
            if datetime.fromisoformat(at) >= end:
                findings.append((number, "answered after the term", f"answered {at[:16]}, term {card.deadline}"))
    for number, card in cards.items():
        if card.overdue and card.state not in ("answered", "closed") and card.kind != "reception":
            findings.append(
                (
                    number,
                    "open past the term",
                    f"term {card.deadline}, state {card.state} (APPC: a missed term is deemed a refusal)",
                )
            )
    with Session(engine) as session:  # a channel's registration whose start was never confirmed (issue 25)
        pending = session.exec(select(IntakeRecord).where(IntakeRecord.state == "pending")).all()
    for row in pending:
        if row.reg_number not in cards:
            findings.append(
                (
                    row.reg_number,
                    "number taken by a channel's registration that never started",
                    f"{row.channel} {row.external_id[:60]} at {row.created_at.isoformat()[:16]}: "
                    "the channel was told to send it again (503); the number stays unused until it does",
                )
            )
    if existing is not None:
        for number in cards:
            if number not in existing:
                findings.append((number, "registry row with no workflow", "no Temporal workflow has this id"))
    return findings


def extension_limit(card: CaseRecord, months: int) -> date:
    """The latest legal term an extension may set (policies/appeals.yaml extension.counted_from)."""
    received = calendar.receipt_moment(card.received_at)
    original = calendar.due_date(received, term_working_days(card.appeal_type))
    counted_from = appeal_rules().extension_counted_from
    return calendar.extension_limit(calendar.registration_day(received), original, months, counted_from)


OUTSIDE_RULES = ("registration refused", "closed outside the engine", "intervention outside the engine")


async def outside_findings(client: Client) -> list[tuple[str, str, str]]:
    """What was done to cases through Temporal rather than by the engine's moves (issue 20): starts
    refused as unsealed, cases terminated or cancelled, and refused interventions a case lists."""
    from models.case_status import CaseStatus
    from workflows.kinds import BY_WORKFLOW
    from workflows.registration import REFUSED_REGISTRATION

    found: list[tuple[str, str, str]] = []
    async for w in client.list_workflows(f"CaseState = '{REFUSED_REGISTRATION}'"):
        found.append(
            (w.id, "registration refused", f"started {w.start_time:%Y-%m-%d %H:%M} UTC without a registrar's seal")
        )
    kinds = " OR ".join(f"WorkflowType = '{name}'" for name in BY_WORKFLOW)
    closed = f"({kinds}) AND (ExecutionStatus = 'Terminated' OR ExecutionStatus = 'Canceled')"
    async for w in client.list_workflows(closed):
        when = f"{w.close_time:%Y-%m-%d %H:%M} UTC" if w.close_time else "?"
        found.append((w.id, "closed outside the engine", f"{w.status.name.lower() if w.status else '?'} at {when}"))
    async for w in client.list_workflows(f"({kinds}) AND CaseAttention = true AND ExecutionStatus = 'Running'"):
        st = await client.get_workflow_handle(w.id).query("status", result_type=CaseStatus)
        found.extend(
            (w.id, "intervention outside the engine", what)
            for what in st.outside_interventions
            if "reset through Temporal" not in what  # the registry lists resets (the reset run records them)
        )
    return found


@app.command()
def compliance(skip_workflows: bool = typer.Option(False, help="do not look each case up in Temporal")) -> None:
    """Office-work compliance over the registry and Temporal (seed 10.1), and what was done to cases
    through Temporal rather than by their moves; exit 1 on any finding."""
    engine = registry_engine()
    existing: set[str] | None = None
    outside: list[tuple[str, str, str]] = []
    if not skip_workflows:

        async def from_temporal() -> list[tuple[str, str, str]]:
            return await outside_findings(await connect())

        outside = asyncio.run(from_temporal())

        async def go() -> set[str]:
            client = await connect()
            with Session(engine) as session:
                numbers = list(session.exec(select(CaseRecord.reg_number)).all())
            found = set()
            for number in numbers:
                try:
                    await client.get_workflow_handle(number).describe()
                    found.add(number)
                except RPCError as error:
                    if error.status != RPCStatusCode.NOT_FOUND:
                        raise
            return found

        existing = asyncio.run(go())
    findings = compliance_findings(engine, existing) + outside
    summary: dict[str, int] = {}
    for _, rule, _ in findings:
        summary[rule] = summary.get(rule, 0) + 1
    table = Table("rule", "findings")
    for rule in (
        "answered after the term",
        "open past the term",
        "extension beyond the policy limit",
        "extension decided after the term",
        "forwarded later than 3 working days",
        "move by a role the policy does not allow",
        "registry row with no workflow",
        "reset outside the engine",
        *OUTSIDE_RULES,
    ):
        table.add_row(rule, str(summary.get(rule, 0)))
    out.print(table)
    for number, rule, detail in findings:
        out.print(f"{escape(number)}: {rule}: {escape(detail)}")
    if findings:
        raise CliError(f"{len(findings)} compliance finding(s)", 1)
