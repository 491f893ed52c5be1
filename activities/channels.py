"""What every outbox channel (e-mail, SMS) shares: how a failed hand-over is told apart (one that
may pass later from one that will not pass as it is), and its secret read from a file or the
environment."""

from __future__ import annotations

import os
from pathlib import Path


class TemporaryFailure(Exception):
    """It may pass later: the server or gateway is down or busy (4xx, 429, 5xx of a gateway)."""


class PermanentFailure(Exception):
    """It will not pass as it is: 5xx of a mail server, an unknown or refused recipient, a 4xx of a gateway."""


def secret(file_env: str, env: str) -> str:
    """A password or token: the file `file_env` names (stripped), else the variable `env`, else ""."""
    path = os.environ.get(file_env, "")
    return Path(path).read_text(encoding="utf-8").strip() if path else os.environ.get(env, "")
