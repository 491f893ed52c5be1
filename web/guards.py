"""What every route of the web application shares: security headers on every answer, bodies read
only within a limit, JSON errors, and the CSRF check of form posts."""

from __future__ import annotations

import hmac
from typing import Any

from starlette.datastructures import MutableHeaders
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'"
    ),
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",  # not no-referrer: with it Chromium sends "Origin: null" on the form post
    "Cache-Control": "no-store",
}
CSRF_COOKIE = "appeals_csrf"  # double-submit token of the form posts


class SecurityHeaders:
    """Adds SECURITY_HEADERS to every answer, refusals and errors included (a pure ASGI
    middleware: it does not buffer bodies)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in SECURITY_HEADERS.items():
                    headers.setdefault(name, value)
            await send(message)

        await self.app(scope, receive, with_headers)


class BodyTooLarge(Exception):
    def __init__(self, limit: int) -> None:
        super().__init__(f"the body is larger than {limit} bytes")


def error(code: int, message: str, **extra: Any) -> JSONResponse:
    return JSONResponse({"error": message, **extra}, status_code=code)


async def read_body(request: Request, limit: int) -> bytes:
    """The body, never more than `limit` bytes read: a declared length over the limit is refused
    before anything is read, a chunked body as soon as it passes the limit (BodyTooLarge). The
    server (h11) has already refused a negative or malformed Content-Length."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise BodyTooLarge(limit)
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge(limit)
        chunks.append(chunk)
    return b"".join(chunks)


def own_origin(request: Request, secure: bool) -> str:
    """This application's origin as the browser names it: the Host it asked for, over https when
    cookies are Secure (behind the department's TLS proxy)."""
    return f"{'https' if secure else 'http'}://{request.headers.get('host', '')}"


def csrf_refusal(request: Request, fields: dict[str, str], secure: bool) -> str | None:
    """Why a form post may come from another site (None: it does not). The browser names the page's
    origin; the form carries the token its page set as a cookie (double submit)."""
    origin = request.headers.get("origin")
    if origin is not None and origin != own_origin(request, secure):
        return f"origin {origin[:100]} may not post this form"
    expected = request.cookies.get(CSRF_COOKIE, "")
    if not expected or not hmac.compare_digest(expected.encode(), fields.get("csrf", "").encode()):
        return "the form's token is missing or stale: open the log-in page again"
    return None
