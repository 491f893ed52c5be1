"""Who the CLI acts for: the logged-in user of its session (the registry's, or the codec server's on
a host without the key)."""

from __future__ import annotations

import os

from cli.output import CliError
from models.registry import registry_engine
from runtime.remote_codec import CODEC_URL_ENV, CodecServerRefused, call_codec_server, session_token
from tooling.seal import Identity
from tooling.users import session_identity


def remote_codec() -> bool:
    """True on a host without the key: the codec server seals (and checks) every move."""
    return bool(os.environ.get(CODEC_URL_ENV, ""))


def logged_in() -> tuple[Identity, str]:
    """The CLI's user, from its live session; a clear error if there is none."""
    token = session_token()
    found = session_identity(registry_engine(), token) if not remote_codec() else None
    if remote_codec() and token:
        try:
            answer = call_codec_server(os.environ[CODEC_URL_ENV], "/whoami", None, token)
        except CodecServerRefused as error:
            raise CliError(f"{error}: run `python starter.py login USER`", 1) from None
        if isinstance(answer, dict):
            found = (Identity(answer["id"], answer["name"], list(answer["roles"]), answer["unit"]), answer["method"])
    if found is None:
        raise CliError("not logged in (or the session expired): run `python starter.py login USER`", 1)
    return found
