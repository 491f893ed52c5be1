"""`starter.py channels`: the intake's channels (issue 25), a portal's or an app's service identity
and its API key. The key is printed once; only its SHA-256 is kept."""

from __future__ import annotations

import re

import typer
from rich.markup import escape
from rich.table import Table as RichTable
from sqlmodel import Session, select

from cli.output import CliError, out
from models.appeal import CHANNELS
from models.intake import ChannelRecord
from models.registry import registry_engine, write_lock
from tooling.intake import add_channel

channels_app = typer.Typer(no_args_is_help=True, help="The channels that register appeals through the intake API.")
CHANNEL_ID = re.compile(r"^[a-z0-9][a-z0-9-]{1,39}$")


@channels_app.command("add")
def channels_add(
    channel_id: str,
    name: str = typer.Option(..., help='shown in the trail: "registered via NAME"'),
    appeal_channel: str = typer.Option("electronic", help=f"the appeals' channel field: {', '.join(CHANNELS)}"),
    oauth_client: str = typer.Option("", help="its client id at the identity provider (client-credentials tokens)"),
) -> None:
    """Add a channel (or give an existing one a new key: the old key stops working)."""
    if not CHANNEL_ID.match(channel_id):
        raise CliError("channel_id: 2-40 lowercase letters, digits and dashes, e.g. egov-portal")
    try:
        key = add_channel(registry_engine(), channel_id, name, appeal_channel, oauth_client)
    except ValueError as err:
        raise CliError(str(err)) from None
    out.print(f"channel {escape(channel_id)}: its API key, shown once (keep it in the channel's secret store):")
    print(key)


@channels_app.command("list")
def channels_list() -> None:
    with Session(registry_engine()) as session:
        rows = session.exec(select(ChannelRecord).order_by(ChannelRecord.id)).all()
    table = RichTable("channel", "name", "appeals' channel", "state")
    for row in rows:
        table.add_row(escape(row.id), escape(row.name), row.appeal_channel, "disabled" if row.disabled else "enabled")
    out.print(table if rows else "no channels")


@channels_app.command("disable")
def channels_disable(channel_id: str) -> None:
    """Stop a channel's key at once (a leaked key, a retired portal)."""
    engine = registry_engine()
    with write_lock(engine), Session(engine) as session:
        row = session.get(ChannelRecord, channel_id)
        if row is None:
            raise CliError(f"{channel_id}: no such channel")
        row.disabled = True
        session.add(row)
        session.commit()
    out.print(f"channel {escape(channel_id)} disabled")


@channels_app.command("mail")
def channels_mail(
    host: str = typer.Option("127.0.0.1", help="the address to listen on"),
    port: int = typer.Option(2525, help="the port (the department's mail server forwards the intake's mail here)"),
    lmtp: bool = typer.Option(False, help="speak LMTP (behind a mail server that delivers by LMTP)"),
) -> None:
    """Receive the intake mailbox's e-mails: each becomes a draft in the workbench's «Входящие письма»."""
    import time

    from activities.mail_intake import serve

    controller = serve(registry_engine(), host, port, lmtp=lmtp)
    out.print(f"the intake mailbox listens on {host}:{port} ({'LMTP' if lmtp else 'SMTP'}); Ctrl-C stops it")
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        controller.stop()
