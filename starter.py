"""The operators' command line: register and import appeals, list, show, and make moves.

Every command talks to TEMPORAL_ADDRESS / TEMPORAL_NAMESPACE; `list` reads the registry at
DATABASE_URL. Bad input ends with one line naming the field and the rule, and exit code 2;
a refused move ends with its reason and exit code 1.
"""

from __future__ import annotations

import asyncio
import csv
import json
import os
import sys
from datetime import date
from pathlib import Path
from typing import Any

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from sqlmodel import Session, col, select
from temporalio.client import Client
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.service import RPCError

from cli_core import CliError, err, fail, out, print_status, registrar, send_move
from instruction_cli import instruction_app
from models.appeal import AppealInput, parse_appeal
from models.case_status import CaseStatus
from models.errors import InputError
from models.notices import ReportRequest
from models.registry import CaseRecord, registry_engine
from policies.catalogue import check_catalogue
from reception_cli import reception_app
from runtime.client import TASK_QUEUE, connect, start_case
from runtime.clock import local_year, utc_now
from runtime.numbering import allocate_number
from runtime.seal import Identity
from users_cli import login, logout, users_app, whoami
from workflows.kinds import BY_NAME, PREFIXES, kind_of_number, placeholder_number

app = typer.Typer(add_completion=False, no_args_is_help=True, help=__doc__)


def validated(raw: dict[str, Any]) -> AppealInput:
    """Everything the workflow would refuse, refused here before anything starts."""
    appeal = parse_appeal(raw)
    check_catalogue(appeal.type, appeal.category, appeal.district)
    return appeal


async def start_appeal(
    client: Client, appeal: AppealInput, who: Identity, method: str, task_queue: str = TASK_QUEUE
) -> None:
    try:
        await start_case(client, "AppealWorkflow", appeal, appeal.reg_number, task_queue, who=who, method=method)
    except WorkflowAlreadyStartedError:
        raise CliError(f"reg_number: {appeal.reg_number} is already registered (numbers are unique)", 2) from None


def describe_file(path: Path) -> dict[str, Any]:
    """Name, size and digest of an attachment (the file itself goes to the document store)."""
    import hashlib

    if not path.is_file():
        raise InputError("attachment", f"{path} is not a file")
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return {"name": path.name, "size_bytes": path.stat().st_size, "sha256": digest.hexdigest()}


def with_number(raw: dict[str, Any], prefix: str) -> dict[str, Any]:
    if not raw.get("reg_number"):
        raw = dict(raw, reg_number=allocate_number(registry_engine(), prefix, local_year()))
    return raw


@app.command()
def register(
    type: str = typer.Option(..., help="application, complaint, proposal, request, response, report"),
    category: str = typer.Option(..., help="category from policies/routing.yaml"),
    district: str = typer.Option(..., help="district from policies/routing.yaml"),
    text: str = typer.Option(..., help="the essence of the appeal"),
    channel: str = typer.Option("electronic"),
    language: str = typer.Option("ru", help="kk or ru"),
    applicant_kind: str = typer.Option("person", help="person, company or anonymous"),
    name: str = typer.Option("", help="applicant's full name or company name"),
    iin: str = typer.Option("", help="IIN of a person"),
    bin: str = typer.Option("", help="BIN of a company"),
    applicants_count: int = typer.Option(1, help="more than 1 for a collective appeal"),
    email: str = typer.Option("", help="at least one of --email, --phone, --address (unless anonymous)"),
    phone: str = typer.Option("", help="at least one of --email, --phone, --address (unless anonymous)"),
    address: str = typer.Option("", help="at least one of --email, --phone, --address (unless anonymous)"),
    addressee: str = typer.Option("Аким области"),
    received_at: str = typer.Option("", help="ISO date-time; default now"),
    number: str = typer.Option("", help="registration number; default: next from the registry"),
    prefix: str = typer.Option(BY_NAME["appeal"].prefix),
    attachment: list[Path] = typer.Option([], help="a file attached to the appeal (repeatable; size-limited)"),
) -> None:
    """Register one appeal and start its workflow."""
    raw: dict[str, Any] = {
        "reg_number": number,
        "type": type,
        "channel": channel,
        "language": language,
        "applicant": {
            "kind": applicant_kind,
            "name": name,
            "iin": iin,
            "bin": bin,
            "applicants_count": applicants_count,
        },
        "contacts": {"email": email, "phone": phone, "address": address},
        "addressee": addressee,
        "category": category,
        "district": district,
        "text": text,
        "received_at": received_at or utc_now().isoformat(),
        "attachments": [describe_file(path) for path in attachment],
    }
    validated(dict(raw, reg_number=number or placeholder_number("appeal")))  # refuse bad input before taking a number
    who, method = registrar()  # and someone who may not register
    appeal = validated(with_number(raw, prefix))

    async def go() -> None:
        await start_appeal(await connect(), appeal, who, method)

    asyncio.run(go())
    out.print(appeal.reg_number)


def read_rows(path: Path) -> list[dict[str, Any]]:
    """JSON (a list of appeals) or CSV (flat columns; applicant_*/contacts_* fill the nested parts)."""
    if not path.exists():
        fail(f"file: {path} does not exist")
    if path.suffix.lower() == ".json":
        data = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(data, list):
            fail("file: a JSON import must be a list of appeals")
        return list(data)
    if path.suffix.lower() == ".csv":
        rows = []
        with path.open(encoding="utf-8", newline="") as fh:
            for flat in csv.DictReader(fh):
                row: dict[str, Any] = {"applicant": {}, "contacts": {}}
                for key, value in flat.items():
                    if key.startswith("applicant_"):
                        sub = key.removeprefix("applicant_")
                        row["applicant"][sub] = int(value) if sub == "applicants_count" and value.isdigit() else value
                    elif key.startswith("contacts_"):
                        row["contacts"][key.removeprefix("contacts_")] = value
                    else:
                        row[key] = value
                rows.append(row)
        return rows
    fail(f"file: unknown format {path.suffix!r}; use .json or .csv")
    return []


@app.command("import")
def import_(
    path: Path, prefix: str = typer.Option(BY_NAME["appeal"].prefix), concurrency: int = typer.Option(20)
) -> None:
    """Register many appeals from a JSON or CSV file, with a progress bar; bad rows are listed, not skipped silently."""
    rows = read_rows(path)
    problems: list[str] = []
    good: list[dict[str, Any]] = []
    for index, raw in enumerate(rows, start=1):
        try:
            if not isinstance(raw, dict):
                raise InputError("row", "must be an object")
            validated(dict(raw, reg_number=raw.get("reg_number") or placeholder_number("appeal")))
            good.append(raw)
        except InputError as error:
            problems.append(f"row {index}: {error}")
    for problem in problems:  # bad rows are named before anything starts
        err.print(problem, markup=False)
    who, method = registrar() if good else (None, "")  # a registrar's log-in, before any number is taken
    appeals = [validated(with_number(raw, prefix)) for raw in good]

    async def go() -> None:
        client = await connect()
        gate = asyncio.Semaphore(concurrency)
        with Progress(
            TextColumn("registering"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), console=err
        ) as progress:
            task = progress.add_task("import", total=len(appeals))

            async def one(appeal: AppealInput) -> None:
                assert who is not None  # there are appeals: a registrar is logged in
                async with gate:
                    try:
                        await start_appeal(client, appeal, who, method)
                    except CliError as error:
                        problems.append(str(error))
                    progress.advance(task)

            await asyncio.gather(*(one(a) for a in appeals))

    refused_before = len(problems)
    asyncio.run(go())
    for problem in problems[refused_before:]:
        err.print(problem, markup=False)
    out.print(f"registered {len(appeals) - (len(problems) - refused_before)} of {len(rows)}")
    if problems:
        raise CliError(f"{len(problems)} row(s) refused", 2)


@app.command("list")
def list_(
    state: str = typer.Option("", help="filter by state"),
    executor: str = typer.Option("", help="filter by executor"),
    category: str = typer.Option(""),
    district: str = typer.Option(""),
    overdue: bool = typer.Option(False, "--overdue", help="only overdue"),
    limit: int = typer.Option(50),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """List appeals from the registry."""
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
        table.add_row(
            r.reg_number,
            r.appeal_type,
            r.state,
            r.executor,
            r.category,
            r.district,
            r.deadline,
            "yes" if r.overdue else "",
            r.possible_repeat_of,
        )
    out.print(table)


@app.command()
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


@app.command()
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


@app.command()
def diagrams(check: bool = typer.Option(False, "--check", help="fail if docs/states.md is stale")) -> None:
    """Regenerate docs/states.md (Mermaid diagrams and tables) from the transition tables."""
    from runtime.diagrams import DOC, states_document

    text = states_document()
    if check:
        if not DOC.exists() or DOC.read_text(encoding="utf-8") != text:
            fail("docs/states.md: stale; run `python starter.py diagrams`", 1)
        out.print("docs/states.md is current")
        return
    DOC.parent.mkdir(parents=True, exist_ok=True)
    DOC.write_text(text, encoding="utf-8")
    out.print(f"wrote {DOC}")


@app.command()
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


app.add_typer(db_app, name="db")
app.add_typer(reception_app, name="reception")
app.add_typer(instruction_app, name="instruction")
app.add_typer(users_app, name="users")
app.command()(login)
app.command()(logout)
app.command()(whoami)


def main(argv: list[str] | None = None) -> int:
    code = 0
    try:
        app(args=argv, standalone_mode=False)
    except CliError as error:
        err.print(f"error: {error}", markup=False, highlight=False)
        code = error.code
    except InputError as error:
        err.print(f"error: {error}", markup=False, highlight=False)
        code = 2
    except RPCError as error:
        err.print(f"error: Temporal at {os.environ.get('TEMPORAL_ADDRESS', 'localhost:7233')}: {error}", markup=False)
        code = 3
    except RuntimeError as error:
        if "client connect" not in str(error):
            raise
        address = os.environ.get("TEMPORAL_ADDRESS", "localhost:7233")
        err.print(f"error: cannot reach Temporal at {address} (is the server up? `make demo` starts one)", markup=False)
        code = 3
    except (typer.Abort, KeyboardInterrupt):
        code = 130
    except SystemExit as exit_:
        code = exit_.code if isinstance(exit_.code, int) else 0
    except Exception as error:  # click usage errors and the like: one line, never a traceback
        format_message = getattr(error, "format_message", None)
        message = format_message() if callable(format_message) else str(error)
        err.print(f"error: {message} ({type(error).__name__})", markup=False)
        code = 2
    return code


if __name__ == "__main__":
    status_code = main()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(status_code)  # the SDK's native runtime can crash at exit (sdk-python #300)
