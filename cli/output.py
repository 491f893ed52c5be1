"""The CLI's consoles and its one error type: every command ends a refusal or bad input with one
line and an exit code (cli/main.py), never a traceback."""

from __future__ import annotations

import sys

from rich.console import Console

out = Console(width=None if sys.stdout.isatty() else 200)
err = Console(stderr=True, soft_wrap=True)


class CliError(Exception):
    def __init__(self, message: str, code: int = 2) -> None:
        super().__init__(message)
        self.code = code


def fail(message: str, code: int = 2) -> None:
    raise CliError(message, code)
