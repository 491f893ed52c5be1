"""`starter.py outbox`: pending and failed deliveries, by case; a failed notice sent again."""

from __future__ import annotations

import asyncio
from pathlib import Path

import typer
from rich.markup import escape
from rich.table import Table as RichTable

from cli.core import local
from cli.output import CliError, out
from cli.session import logged_in
from models.registry import NotificationRecord, registry_engine
from policies.calendar import local_today
from tooling.client import connect
from tooling.outbox import PENDING, OutboxError, pending, release_held, resend_letters
from tooling.paper import post_letter, print_bundle

outbox_app = typer.Typer(no_args_is_help=True, help="Letters and notices waiting or failed in the outbox (issue 24).")


@outbox_app.command("list")
def list_(
    case: str = typer.Option("", help="one case's notices"),
    status: list[str] = typer.Option([], help="queued, failed or held (repeatable; default: all three)"),
) -> None:
    """What has not left yet: queued (and why it waits), failed (and why), held."""
    unknown = [s for s in status if s not in PENDING]
    if unknown:
        raise CliError(f"status: one of {', '.join(PENDING)}, not {', '.join(unknown)}")
    rows = pending(registry_engine(), case, tuple(status) or PENDING)
    table = RichTable("case", "notice", "to", "status", "tries", "why", "written")
    for r in rows:
        cells = (
            r.reg_number,
            r.template,
            r.recipient,
            r.status,
            str(r.attempts),
            r.last_error[:80],
            local(r.created_at),
        )
        table.add_row(*(escape(c) for c in cells))
    out.print(table if rows else "nothing waits in the outbox")


@outbox_app.command("resend")
def resend_(
    case: str,
    key: str = typer.Option("", help="one notice (default: every failed notice of the case)"),
    to: str = typer.Option("", help="a corrected address: e-mail, phone or postal address"),
) -> None:
    """Send a failed notice again, after fixing its cause: the case's move resend_notice (an open
    appeal), else recorded in the registry with who did it."""
    who, how = logged_in()

    async def go() -> list[str]:
        return await resend_letters(connect, registry_engine(), who, how, case, key, to)

    try:
        keys = asyncio.run(go())
    except OutboxError as err:
        raise CliError(str(err)) from None
    out.print(f"queued again: {', '.join(keys)}")


@outbox_app.command("release")
def release() -> None:
    """Send the notices written before delivery existed (an upgrade left them held)."""
    who, _ = logged_in()
    try:
        count = release_held(registry_engine(), who)
    except OutboxError as err:
        raise CliError(str(err)) from None
    out.print(f"{count} held notices queued")


@outbox_app.command("paper")
def paper(out_dir: Path = typer.Option(Path("reports") / "paper", "--out", help="where the bundle is written")) -> None:
    """The registry office's bundle: a register list and every letter waiting for the post (PDF)."""
    path, count = print_bundle(registry_engine(), local_today(), out_dir)
    out.print(f"{count} letters for the post: {path}" if path else "no letter waits for the post")


@outbox_app.command("posted")
def posted(
    key: str = typer.Argument(..., help="the letter's key (outbox list shows the waiting ones)"),
    tracking: str = typer.Option(..., help="the post's tracking number"),
) -> None:
    """Record that a paper letter was posted (recorded with who did it)."""
    who, how = logged_in()

    async def go() -> NotificationRecord:
        return await post_letter(connect, registry_engine(), who, how, key, tracking)

    try:
        notice = asyncio.run(go())
    except OutboxError as err:
        raise CliError(str(err)) from None
    out.print(f"{notice.reg_number}: {notice.template} posted, tracking {tracking}")
