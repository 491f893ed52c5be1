"""Working with cases of every kind: list, status, move; the state diagrams, reports and the
registry's schema."""

from __future__ import annotations

import asyncio
import json
from datetime import date
from pathlib import Path
from typing import Any

import typer
from rich.progress import Progress
from rich.table import Table
from sqlmodel import Session, col, select

from cli.core import print_status, send_move
from cli.output import CliError, err, fail, out
from models.case_status import CaseStatus
from models.notices import ReportRequest
from models.registry import CaseRecord, registry_engine
from models.registry_writes import InstructionDetail, parse_detail
from runtime.clock import utc_now
from tooling.client import connect
from workflows.kinds import PREFIXES, kind_of_number


def list_(
    state: str = typer.Option("", help="filter by state"),
    executor: str = typer.Option("", help="filter by executor"),
    category: str = typer.Option(""),
    district: str = typer.Option(""),
    overdue: bool = typer.Option(False, "--overdue", help="only overdue"),
    limit: int = typer.Option(50),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """List cases from the registry (an instruction's type is its issuer and its control)."""
    query = select(CaseRecord).order_by(col(CaseRecord.created_at).desc()).limit(limit)
    for column, value in (
        (CaseRecord.state, state),
        (CaseRecord.executor, executor),
        (CaseRecord.category, category),
        (CaseRecord.district, district),
    ):
        if value:
            query = query.where(column == value)
    if overdue:
        query = query.where(col(CaseRecord.overdue).is_(True))
    with Session(registry_engine()) as session:
        rows = session.exec(query).all()
    if as_json:
        out.print_json(json.dumps([r.model_dump(mode="json") for r in rows], ensure_ascii=False))
        return
    table = Table("number", "type", "state", "executor", "category", "district", "deadline", "overdue", "repeat of")
    for r in rows:
        detail = parse_detail(r.detail)
        kind_type = f"{detail.issuer} {detail.control}" if isinstance(detail, InstructionDetail) else r.kind
        table.add_row(
            r.reg_number,
            r.appeal_type or kind_type,
            r.state,
            r.executor,
            r.category,
            r.district,
            r.deadline,
            "yes" if r.overdue else "",
            r.possible_repeat_of,
        )
    out.print(table)


def status(number: str, as_json: bool = typer.Option(False, "--json")) -> None:
    """Show one appeal's state, deadline, executor, history, timeline and refusals (a query)."""

    async def go() -> CaseStatus:
        client = await connect()
        return await client.get_workflow_handle(number).query("status", result_type=CaseStatus)

    st = asyncio.run(go())
    if as_json:
        from dataclasses import asdict

        out.print_json(json.dumps(asdict(st), ensure_ascii=False))
    else:
        print_status(st)


def move(
    number: str,
    trigger: str,
    actor: str = typer.Option("", help="you (the logged-in user); another id is refused"),
    role: str = typer.Option("", help="one of your roles (needed only if you hold several)"),
    reason: str = typer.Option(""),
    target: str = typer.Option("", help="executor (route, reassign), receiving body (forward) or slot (schedule)"),
    answer_text: str = typer.Option(""),
    answer_character: str = typer.Option("", help="explained, satisfied, partially_satisfied or refused"),
    new_deadline: str = typer.Option("", help="YYYY-MM-DD (extend_deadline)"),
    details: str = typer.Option("", help="a JSON object with the kind's own fields"),
) -> None:
    """Make any move of any kind of case as the logged-in user (sealed; sent as the `transition`
    Update, so a refusal is reported here)."""
    payload: dict[str, Any] = {
        "trigger": trigger,
        "actor": {"id": actor, "role": role},
        "reason": reason,
        "target": target,
        "answer_text": answer_text,
        "answer_character": answer_character,
        "new_deadline": new_deadline,
    }
    if details:
        try:
            payload["details"] = json.loads(details)
        except json.JSONDecodeError as error:
            raise CliError(f"details: not JSON ({error.msg})") from None

    kind = kind_of_number(number)
    if kind is None:
        forms = ", ".join(f"{prefix}-YYYY-NNNNNN" for prefix in PREFIXES)
        raise CliError(f"number: {number[:40]!r} is not a case number ({forms})")
    st = send_move(number, payload, kind.table)  # each kind's payloads checked against its own table
    out.print(f"{number}: {st.state} (deadline {st.deadline}, executor {st.executor or '-'})")


def docs(check: bool = typer.Option(False, "--check", help="fail if a generated document is stale")) -> None:
    """Regenerate the reference made from the code's own data: docs/states.md (diagrams), docs/moves.md
    (every move, its payload and who may make it) and docs/settings.md (every setting)."""
    from tooling.reference_docs import stale, write

    if check:
        old = stale()
        if old:
            fail(f"docs/{', docs/'.join(old)}: stale; run `python starter.py docs`", 1)
        out.print("the generated documents are current")
        return
    for path in write():
        out.print(f"wrote {path}")


def report(
    kind: str = typer.Argument(..., help="systemic | district | performance | half-year | digest"),
    start: str = typer.Option("", "--from", help="first day, YYYY-MM-DD (default: the period the kind covers)"),
    end: str = typer.Option("", "--to", help="last day, YYYY-MM-DD"),
    district: str = typer.Option("", help="one district (a district card for every district when omitted)"),
    lang: str = typer.Option("ru", "--lang", help="ru | kk | both"),
    out_dir: Path = typer.Option(Path("reports"), "--out", help="folder for the HTML and CSV files"),
) -> None:
    """Render a report for the akim from the registry (HTML with charts, CSV for each table)."""
    from activities.reports import scope_of
    from analysis.reports import KINDS, build
    from analysis.scope import LANGUAGES
    from policies.routing import districts

    if kind not in KINDS:
        fail(f"kind: {kind!r} is not one of {', '.join(KINDS)}")
    for option, value in (("--from", start), ("--to", end)):
        if value:
            try:
                date.fromisoformat(value)
            except ValueError:
                fail(f"{option}: {value!r} is not a date (YYYY-MM-DD)")
    if bool(start) != bool(end):
        fail("--from and --to: give both, or neither for the period the kind covers")
    if lang not in (*LANGUAGES, "both"):
        fail(f"--lang: {lang!r} is not one of ru, kk, both")
    if district and district not in districts():
        fail(f"--district: {district!r} is not one of {', '.join(districts())}")
    languages = list(LANGUAGES) if lang == "both" else [lang]
    names = [district] if district or kind != "district" else districts()
    engine = registry_engine()
    today = utc_now().isoformat()
    with Progress(console=err, transient=True) as progress:
        task = progress.add_task(f"{kind} report", total=len(names) * len(languages))
        for name in names:
            for language in languages:
                try:
                    scope = scope_of(ReportRequest(kind, language, name, today, start, end), name)
                    written = build(kind, engine, scope).write(out_dir)
                except ValueError as error:
                    fail(str(error))
                progress.advance(task)
                for path in written:
                    out.print(str(path))


db_app = typer.Typer(no_args_is_help=True, help="The registry's schema (Alembic migrations).")


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Bring the registry (DATABASE_URL) to the newest schema; the worker also does it at start."""
    from sqlalchemy import create_engine

    from models.migrations import upgrade
    from models.registry import database_url

    revision = upgrade(create_engine(database_url()))
    out.print(f"registry {database_url()} at revision {revision}")
