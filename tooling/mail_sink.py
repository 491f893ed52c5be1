"""The demo's mailbox: a real SMTP server on this machine (aiosmtpd) that keeps every message it
receives in a Maildir folder, so the demo's letters and notices can be read as their recipients
would get them (`make demo` prints where). Not for production: it accepts mail for anyone."""

from __future__ import annotations

import mailbox
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Mailbox

DEMO_MAIL_PORT = 8025


def start_mail_sink(folder: Path, port: int = DEMO_MAIL_PORT) -> Controller:
    """Serve SMTP on 127.0.0.1:`port`, each message into `folder` (a Maildir: new/ holds them)."""
    folder.parent.mkdir(parents=True, exist_ok=True)
    mailbox.Maildir(str(folder), create=True)
    server = Controller(Mailbox(folder), hostname="127.0.0.1", port=port)
    server.start()
    return server


def messages(folder: Path) -> list[Any]:
    """What the sink has received, oldest first."""
    box = mailbox.Maildir(str(folder), create=False)
    return sorted(box, key=lambda m: m.get_date())
