"""Registering appeals: one from the command line (`register`) or many from a file (`import`),
parsed and checked as the workflow will check them, each sealed for the logged-in registrar."""

from __future__ import annotations

import asyncio
import csv
import json
from pathlib import Path
from typing import Any

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from temporalio.client import Client
from temporalio.exceptions import WorkflowAlreadyStartedError

from cli.core import registrar
from cli.output import CliError, err, fail, out
from models.appeal import AppealInput
from models.errors import InputError
from models.registry import registry_engine
from policies.calendar import local_year
from runtime.clock import utc_now
from tooling.client import TASK_QUEUE, connect, start_case
from tooling.numbering import allocate_number
from tooling.registering import checked
from tooling.seal import Identity
from workflows.kinds import BY_NAME, placeholder_number


def validated(raw: dict[str, Any]) -> AppealInput:
    """Everything the workflow would refuse, refused here before anything starts."""
    appeal: AppealInput = checked(BY_NAME["appeal"], raw)
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
