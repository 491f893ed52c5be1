"""Operators' identity from the CLI: the user directory (`users add|list|disable|enable|passwd`)
and the CLI's own session (`login`, `logout`, `whoami`). A move sent by the CLI is sealed for
the logged-in user; the CLI cannot claim a person or a role the user does not hold."""

from __future__ import annotations

import json
import os
import sys

import typer

from cli.output import CliError, out
from cli.session import logged_in
from models.registry import registry_engine
from runtime.remote_codec import CODEC_URL_ENV, CodecServerRefused, call_codec_server, session_file
from tooling.users import (
    DirectoryError,
    add_user,
    list_users,
    log_in,
    log_out,
    set_disabled,
    set_password,
)

users_app = typer.Typer(no_args_is_help=True, help="The user directory of the embedded default.")


def _password(prompt: str) -> str:
    """From the terminal (hidden), or one line on stdin when piped (scripts, tests)."""
    if sys.stdin.isatty():
        return str(typer.prompt(prompt, hide_input=True))
    return sys.stdin.readline().rstrip("\n")


def _directory(call: object) -> None:
    try:
        call()  # type: ignore[operator]
    except DirectoryError as error:
        raise CliError(str(error)) from None


@users_app.command("add")
def users_add(
    user_id: str,
    name: str = typer.Option(..., help="display name, shown in every move the user makes"),
    role: list[str] = typer.Option(..., help="a role (repeatable): registrar, controller, executor, head, ..."),
    unit: str = typer.Option("", help="the unit own-only roles act for (an executor's department)"),
    email: str = typer.Option("", help="where the user's staff notices go (reminders, escalations, the digest)"),
) -> None:
    """Add a user; the password is asked for (or read from stdin)."""
    password = _password("password")
    _directory(lambda: add_user(registry_engine(), user_id, name, list(role), unit, password, email))
    out.print(f"user {user_id} added ({', '.join(role)}{', unit ' + unit if unit else ''})")


@users_app.command("list")
def users_list() -> None:
    for user in list_users(registry_engine()):
        state = "DISABLED" if user.disabled else "active"
        out.print(f"{user.id}\t{user.name}\t{user.roles}\t{user.unit or '-'}\t{state}")


@users_app.command("disable")
def users_disable(user_id: str) -> None:
    """Disable a user: their sessions end now, and they cannot log in."""
    _directory(lambda: set_disabled(registry_engine(), user_id, True))
    out.print(f"user {user_id} disabled")


@users_app.command("enable")
def users_enable(user_id: str) -> None:
    _directory(lambda: set_disabled(registry_engine(), user_id, False))
    out.print(f"user {user_id} enabled")


@users_app.command("passwd")
def users_passwd(user_id: str) -> None:
    """Set a new password (asked for, or read from stdin)."""
    password = _password("new password")
    _directory(lambda: set_password(registry_engine(), user_id, password))
    out.print(f"password of {user_id} changed")


def login(
    user_id: str = typer.Argument("", help="your user id (not with --access-token)"),
    access_token: bool = typer.Option(
        False, "--access-token", help="read an OIDC access token from stdin instead (production, APPEALS_CODEC_URL)"
    ),
) -> None:
    """Log in (password asked for, or read from stdin); the session is kept in APPEALS_SESSION_FILE."""
    remote = os.environ.get(CODEC_URL_ENV, "")
    if access_token:
        if not remote:
            raise CliError(f"--access-token: only with {CODEC_URL_ENV} (the codec server verifies the token)")
        token = sys.stdin.readline().strip()
        try:
            who = call_codec_server(remote, "/whoami", None, token)
        except CodecServerRefused as error:
            raise CliError(str(error), 1) from None
        user_id = str(who.get("id", "")) if isinstance(who, dict) else ""
        _save_session(user_id, token)
        out.print(f"logged in as {user_id} (access token)")
        return
    if not user_id:
        raise CliError("user: give your user id (or --access-token)")
    password = _password("password")
    try:
        if remote:  # a host without the key: the codec server checks the password and keeps the session
            answer = call_codec_server(remote, "/login", {"user": user_id, "password": password})
            token = str(answer["token"]) if isinstance(answer, dict) else ""
        else:
            token = log_in(registry_engine(), user_id, password, "cli")
    except (DirectoryError, CodecServerRefused) as error:
        raise CliError(str(error), 1) from None
    _save_session(user_id, token)
    out.print(f"logged in as {user_id}")


def _save_session(user_id: str, token: str) -> None:
    path = session_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"user": user_id, "token": token}), encoding="utf-8")
    path.chmod(0o600)


def logout() -> None:
    """End the CLI's session."""
    path = session_file()
    if path.exists():
        log_out(registry_engine(), json.loads(path.read_text(encoding="utf-8")).get("token", ""))
        path.unlink()
    out.print("logged out")


def whoami() -> None:
    who, how = logged_in()
    out.print(f"{who.id} ({who.name}) roles {', '.join(who.roles)} unit {who.unit or '-'} via {how}")
