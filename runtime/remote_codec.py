"""A codec that asks the codec server instead of holding the key: for CLI hosts in production.
Every encode carries the user's bearer token, so the codec server seals the moves for that user
(and refuses what the user may not claim); decode shows data only to a logged-in user."""

from __future__ import annotations

import asyncio
import json
import os
import urllib.error
import urllib.request
from collections.abc import Sequence
from pathlib import Path

from google.protobuf import json_format
from temporalio.api.common.v1 import Payload, Payloads
from temporalio.converter import PayloadCodec

CODEC_URL_ENV = "APPEALS_CODEC_URL"  # e.g. https://codec.akimat.kz: set on hosts without the key
SESSION_ENV = "APPEALS_SESSION_FILE"


def session_file() -> Path:
    return Path(os.environ.get(SESSION_ENV) or Path.home() / ".config" / "appeals" / "session.json")


def session_token() -> str:
    path = session_file()
    try:
        return str(json.loads(path.read_text(encoding="utf-8")).get("token", ""))
    except (OSError, ValueError):
        return ""


class CodecServerRefused(Exception):
    """The codec server said no (not logged in, a role the user does not hold, ...)."""


def call_codec_server(url: str, path: str, body: object, token: str = "") -> object:
    """POST JSON to the codec server; its refusal becomes CodecServerRefused with its message."""
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    request = urllib.request.Request(f"{url.rstrip('/')}{path}", json.dumps(body).encode(), headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.loads(response.read())
    except urllib.error.HTTPError as err:
        try:
            message = json.loads(err.read()).get("error", "")
        except ValueError:
            message = ""
        raise CodecServerRefused(f"codec server: {message or err.reason} ({err.code})") from None


class RemoteCodec(PayloadCodec):
    def __init__(self, url: str, token: str) -> None:
        self.url, self.token = url, token

    async def encode(self, payloads: Sequence[Payload]) -> list[Payload]:
        return await asyncio.to_thread(self._call, "/encode", payloads)

    async def decode(self, payloads: Sequence[Payload]) -> list[Payload]:
        return await asyncio.to_thread(self._call, "/decode", payloads)

    def _call(self, path: str, payloads: Sequence[Payload]) -> list[Payload]:
        body = json.loads(json_format.MessageToJson(Payloads(payloads=list(payloads))))
        answer = call_codec_server(self.url, path, body, self.token)
        if not isinstance(answer, dict):
            raise CodecServerRefused(f"codec server: unexpected answer to {path}")
        return list(json_format.ParseDict(answer, Payloads()).payloads)
