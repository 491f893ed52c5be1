"""The applicant's access to their appeal's status page (issue 25): a code only the acknowledgement
(and the channel that registered the appeal) gives out. It is an HMAC of the registration number
under a key of its own (160 bits shown, of 256), so nothing is stored per case, nothing secret goes
into a workflow's history, and a guessed number opens nothing."""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
from functools import cache
from pathlib import Path

KEY_FILE_ENV = "APPEALS_STATUS_KEY_FILE"
DEFAULT_KEY_FILE = Path(__file__).resolve().parent.parent / ".keys" / "status.key"
PUBLIC_URL_ENV = "APPEALS_PUBLIC_URL"
DEFAULT_PUBLIC_URL = "http://127.0.0.1:8081"  # the demo's web application
CODE_CHARS = 32  # base32: 160 bits (the issue asks at least 128)


@cache
def _key(path: str) -> bytes:
    file = Path(path)
    if not file.exists():
        file.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd = os.open(file, os.O_CREAT | os.O_WRONLY | os.O_EXCL, 0o600)  # never readable by others
        with os.fdopen(fd, "wb") as out:
            out.write(secrets.token_bytes(32))
    key = file.read_bytes()
    if len(key) != 32:
        raise ValueError(f"{path}: the status key must be 32 bytes")
    return key


def status_key() -> bytes:
    return _key(os.environ.get(KEY_FILE_ENV, str(DEFAULT_KEY_FILE)))


def access_code(reg_number: str) -> str:
    digest = hmac.new(status_key(), reg_number.encode(), hashlib.sha256).digest()
    return base64.b32encode(digest).decode().lower()[:CODE_CHARS]


def code_matches(reg_number: str, code: str) -> bool:
    return hmac.compare_digest(access_code(reg_number).encode(), code.strip().lower().encode())


def status_url(reg_number: str) -> str:
    base = os.environ.get(PUBLIC_URL_ENV, DEFAULT_PUBLIC_URL).rstrip("/")
    return f"{base}/status/{reg_number}?code={access_code(reg_number)}"
