"""Codec server for the Temporal Web UI (`--ui-codec-endpoint`), and the point where operators
are authenticated.

The Web UI sends every Signal and Update input here (`/encode`) before sending it, and every
payload it shows (`/decode`). Both need a logged-in user: a session cookie from `/login` (the
embedded user directory; the UI's codec setting "include cross-origin credentials" must be on),
a session token from the CLI (`Authorization: Bearer`), or an OIDC access token in production
(the UI's "pass access token"). On `/encode` a move is sealed for the user (runtime/seal.py):
its actor is set to who logged in, a claim of another person or of a role they do not hold is
refused (403), and auditors may decode but never encode. A case's input (a start: an object with
`reg_number`) is sealed as registered by the user, who must hold a registering role. CORS admits only the UI's origins.

    python codec_server.py [--port 8081] [--origin http://127.0.0.1:8233] [--secure-cookie | --insecure-cookie]

Cookies are Secure by default unless every UI origin is plain http on this machine (the demo).
"""

from __future__ import annotations

import argparse
import asyncio
import hmac
import html
import json
import secrets
from collections.abc import Callable, Sequence
from http.cookies import SimpleCookie
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from google.protobuf import json_format
from sqlalchemy.engine import Engine
from temporalio.api.common.v1 import Payload, Payloads

from models.moves import MOVE_FIELDS
from models.registry import make_engine
from policies.loading import load_policy
from runtime.clock import utc_now
from runtime.codec import EncryptionCodec
from runtime.login_throttle import LoginThrottle
from runtime.oidc import OidcSettings, TokenError, oidc_settings, verify_token
from runtime.seal import Identity, SealError, seal_move, seal_registration
from runtime.users import DirectoryError, log_in, log_out, read_only, session_identity

DEFAULT_ORIGINS = ("http://127.0.0.1:8233", "http://localhost:8233")
MAX_BODY = 16 * 1024 * 1024
MAX_LOGIN_BODY = 4_096  # a user name and a password: read no more before anyone is authenticated
COOKIE = "appeals_session"
CSRF_COOKIE = "appeals_csrf"  # double-submit token of the log-in and log-out forms
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'"
    ),
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",  # not no-referrer: with it Chromium sends "Origin: null" on the form post
    "Cache-Control": "no-store",
}
LOGIN_PAGE = """<!doctype html><html lang="ru"><head><meta charset="utf-8"><title>Вход / Кіру</title>
<style>body{{font-family:sans-serif;max-width:28em;margin:4em auto}}label,input,button{{display:block;margin:.4em 0}}
input{{width:100%;padding:.4em}}.who{{padding:.6em;background:#eef}}.err{{color:#a00}}</style></head><body>
<h1>Обращения: вход оператора</h1>{status}
<form method="post" action="/login"><input type="hidden" name="csrf" value="{csrf}">
<label>Пользователь / Пайдаланушы <input name="user" autocomplete="username"></label>
<label>Пароль / Құпиясөз <input name="password" type="password" autocomplete="current-password"></label>
<button type="submit">Войти / Кіру</button></form>
<form method="post" action="/logout"><input type="hidden" name="csrf" value="{csrf}">
<button type="submit">Выйти / Шығу</button></form>
<p>В Temporal Web UI: Data Encoder settings → Remote Codec Endpoint = this server's address,
and switch on «Include cross-origin credentials».</p></body></html>"""


class Refusal(Exception):
    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code


class CodecService:
    """What the HTTP handler does, apart from HTTP: authenticate, seal, encode, decode."""

    def __init__(self, codec: EncryptionCodec, engine: Engine, oidc: OidcSettings | None) -> None:
        self.codec, self.engine, self.oidc = codec, engine, oidc

    def authenticate(self, authorization: str, cookie: str) -> tuple[Identity, str]:
        """(who, how) or Refusal(401)."""
        if authorization.startswith("Bearer "):
            token = authorization[len("Bearer ") :].strip()
            if token.count(".") == 2 and self.oidc is not None:
                try:
                    return verify_token(token, self.oidc), "oidc"
                except TokenError as err:
                    raise Refusal(401, str(err)) from None
            found = session_identity(self.engine, token)
            if found is None:
                raise Refusal(401, "not logged in: the session token is unknown or has expired")
            return found
        if cookie:
            found = session_identity(self.engine, cookie)
            if found is not None:
                return found
        raise Refusal(401, "not logged in: log in at this codec server's /login page (or send a token)")

    def encode(
        self, payloads: Sequence[Payload], who: Identity, method: str, namespace: str = "default"
    ) -> list[Payload]:
        if read_only(who):
            raise Refusal(403, f"{who.id} may read and decode, not make moves (roles: {', '.join(who.roles)})")
        sealed = [self._sealed(p, who, method, namespace) for p in payloads]
        return asyncio.run(self.codec.encode(sealed))

    def decode(self, payloads: Sequence[Payload]) -> list[Payload]:
        return asyncio.run(self.codec.decode(list(payloads)))

    @staticmethod
    def _sealed(payload: Payload, who: Identity, method: str, namespace: str) -> Payload:
        """A move (a JSON object with only move fields) sealed for `who`, for the case and trigger it
        names, or a case's input sealed as registered by `who`, in the UI's namespace
        (`X-Namespace`); anything else as it is."""
        if payload.metadata.get("encoding") != b"json/plain":
            return payload
        try:
            value = json.loads(payload.data)
        except ValueError:
            return payload
        if isinstance(value, dict) and "reg_number" in value and "trigger" not in value:
            # A case's input (Start Workflow in the Web UI): sealed as registered by `who`, who must
            # hold a registering role (policies/registration.yaml), or the case refuses the start.
            return CodecService._resealed(payload, lambda: seal_registration(value, who, method, namespace=namespace))
        if not isinstance(value, dict) or any(key not in MOVE_FIELDS for key in value):
            return payload
        return CodecService._resealed(payload, lambda: seal_move(value, who, method, namespace=namespace))

    @staticmethod
    def _resealed(payload: Payload, seal: Callable[[], dict[str, Any]]) -> Payload:
        """The payload with the value `seal` makes; its refusals as HTTP answers (403: not yours to
        seal; 400: the payload does not say what it is for)."""
        try:
            sealed = seal()
        except PermissionError as err:
            raise Refusal(403, str(err)) from None
        except SealError as err:
            raise Refusal(400, str(err)) from None
        return Payload(metadata=dict(payload.metadata), data=json.dumps(sealed, ensure_ascii=False).encode())


def make_handler(
    service: CodecService, origins: tuple[str, ...], secure_cookie: bool = False
) -> type[BaseHTTPRequestHandler]:
    hours = float(load_policy("identity")["session_hours"])
    throttle = LoginThrottle.from_policy()

    class Handler(BaseHTTPRequestHandler):
        def _security(self) -> None:
            for name, value in SECURITY_HEADERS.items():
                self.send_header(name, value)

        def _length(self, limit: int) -> int | None:
            """The body's declared length, checked before anything is read: a missing, negative or
            malformed Content-Length is refused (400), one over `limit` too (413)."""
            raw = self.headers.get("Content-Length", "0")
            try:
                length = int(raw)
            except ValueError:
                length = -1
            if length < 0:
                self._reply(400, {"error": f"Content-Length: {raw[:20]!r} is not a length"})
                return None
            if length > limit:
                self._reply(413, {"error": f"the body is larger than {limit} bytes"})
                return None
            return length

        def _own_origin(self) -> str:
            return f"{'https' if secure_cookie else 'http'}://{self.headers.get('Host', '')}"

        def _csrf_refusal(self, fields: dict[str, str]) -> str | None:
            """Why a log-in or log-out form post may come from another site (None: it does not). The
            browser names the page's origin; the form carries the token its page set as a cookie."""
            origin = self.headers.get("Origin")
            if origin is not None and origin != self._own_origin():
                return f"origin {origin[:100]} may not post this form"
            expected = self._cookie(CSRF_COOKIE)
            if not expected or not hmac.compare_digest(expected, fields.get("csrf", "")):
                return "the form's token is missing or stale: open the log-in page again"
            return None

        def _cors(self) -> None:
            origin = self.headers.get("Origin", "")
            if origin in origins:
                self.send_header("Access-Control-Allow-Origin", origin)
                self.send_header("Access-Control-Allow-Credentials", "true")
                self.send_header("Access-Control-Allow-Methods", "POST, OPTIONS")
                self.send_header(
                    "Access-Control-Allow-Headers", "Content-Type, X-Namespace, Authorization, Authorization-Extras"
                )
                self.send_header("Vary", "Origin")

        def do_OPTIONS(self) -> None:  # noqa: N802 (the http.server API)
            self.send_response(200 if self.headers.get("Origin", "") in origins else 403)
            self._cors()
            self.end_headers()

        def do_GET(self) -> None:  # noqa: N802
            path = urlsplit(self.path).path
            if path == "/login":
                self._login_page()
            elif path == "/whoami":
                try:
                    who, how = self._who()
                except Refusal as err:
                    self._reply(err.code, {"error": str(err)})
                    return
                self._reply(200, {"id": who.id, "name": who.name, "roles": who.roles, "unit": who.unit, "method": how})
            else:
                self._reply(404, {"error": "GET /login or /whoami; POST /login, /logout, /encode, /decode"})

        def do_POST(self) -> None:  # noqa: N802
            path = urlsplit(self.path).path  # the Web UI adds ?preserveStorageRefs=true
            origin = self.headers.get("Origin")
            if path in ("/login", "/logout"):
                self._login(path)
                return
            if path == "/whoami":
                self.do_GET()
                return
            if path not in ("/encode", "/decode"):
                self._reply(404, {"error": "POST /encode or /decode"})
                return
            if origin is not None and origin not in origins:
                self._reply(403, {"error": f"origin {origin} is not allowed"})
                return
            length = self._length(MAX_BODY)
            if length is None:
                return
            try:
                who, how = self._who()
                payloads = list(json_format.Parse(self.rfile.read(length), Payloads()).payloads)
                if path == "/encode":
                    namespace = self.headers.get("X-Namespace", "") or "default"
                    result = service.encode(payloads, who, how, namespace[:200])
                else:
                    result = service.decode(payloads)
            except Refusal as err:
                self._reply(err.code, {"error": str(err)})
                return
            except Exception as err:  # malformed input: a clear 400, never a stack trace
                self._reply(400, {"error": f"{type(err).__name__}: {err}"})
                return
            self._reply(200, json.loads(json_format.MessageToJson(Payloads(payloads=result))))

        def _who(self) -> tuple[Identity, str]:
            return service.authenticate(self.headers.get("Authorization", ""), self._cookie())

        def _cookie(self, name: str = COOKIE) -> str:
            jar: SimpleCookie = SimpleCookie()
            try:
                jar.load(self.headers.get("Cookie", ""))
            except Exception:
                return ""
            morsel = jar.get(name)
            return morsel.value if morsel else ""

        def _login(self, path: str) -> None:
            length = self._length(MAX_LOGIN_BODY)
            if length is None:
                return
            body = self.rfile.read(length).decode(errors="replace")
            as_json = self.headers.get("Content-Type", "").startswith("application/json")
            try:
                fields = json.loads(body or "{}") if as_json else {k: v[0] for k, v in parse_qs(body).items()}
                if not isinstance(fields, dict):
                    raise ValueError("not an object")
            except ValueError:
                self._reply(400, {"error": "body: send a JSON object {user, password} or the log-in form"})
                return
            fields = {str(k): str(v) for k, v in fields.items()}
            # A JSON post cannot come from another site's form (it needs a CORS preflight, which only
            # the UI's origins pass); a form post is checked for its origin and its token.
            refusal = None if as_json else self._csrf_refusal(fields)
            if refusal:
                self._reply(403, {"error": refusal})
                return
            if path == "/logout":
                log_out(service.engine, self._cookie())
                token = self.headers.get("Authorization", "").removeprefix("Bearer ").strip()
                if token:
                    log_out(service.engine, token)
                self._login_page("<p class=who>Вы вышли / Сіз шықтыңыз.</p>", clear=True)
                return
            user, password = fields.get("user", ""), fields.get("password", "")
            address, now = self.client_address[0], utc_now()
            until = throttle.locked(user, address, now)
            if until is not None:
                why = f"log-in locked after repeated failures; try again after {until.isoformat()[:19]} UTC"
                if as_json:
                    self._reply(429, {"error": why})
                else:
                    self._login_page(f"<p class=err>{html.escape(why)}</p>", code=429)
                return
            try:
                token = log_in(service.engine, user, password, "cli" if as_json else "ui_session")
                throttle.succeeded(user, address)
            except DirectoryError as err:
                throttle.failed(user, address, now)
                if as_json:
                    self._reply(401, {"error": str(err)})
                else:
                    self._login_page(f"<p class=err>{html.escape(str(err))}</p>", code=401)
                return
            if as_json:  # the CLI keeps the token itself
                self._reply(200, {"token": token, "user": user})
                return
            self._login_page(f"<p class=who>Вы вошли как / Сіз кірдіңіз: {html.escape(user)}</p>", token=token)

        def _login_page(self, status: str = "", *, code: int = 200, token: str = "", clear: bool = False) -> None:
            if not status:
                found = session_identity(service.engine, self._cookie())
                status = f"<p class=who>{html.escape(found[0].name)} ({html.escape(found[0].id)})</p>" if found else ""
            csrf = secrets.token_urlsafe(24)
            data = LOGIN_PAGE.format(status=status, csrf=csrf).encode()
            secure = "; Secure" if secure_cookie else ""
            self.send_response(code)
            if token or clear:
                attributes = f"HttpOnly; SameSite=Lax; Path=/; Max-Age={0 if clear else int(hours * 3600)}"
                self.send_header("Set-Cookie", f"{COOKIE}={token}; {attributes}{secure}")
            self.send_header("Set-Cookie", f"{CSRF_COOKIE}={csrf}; HttpOnly; SameSite=Strict; Path=/{secure}")
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self._security()
            self.end_headers()
            self.wfile.write(data)

        def _reply(self, code: int, body: dict[str, Any]) -> None:
            data = json.dumps(body, ensure_ascii=False).encode()
            self.send_response(code)
            self._cors()
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self._security()
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:  # quiet: payloads, cookies and tokens are secrets
            return

    return Handler


def serve(
    port: int,
    origins: tuple[str, ...] = DEFAULT_ORIGINS,
    host: str = "127.0.0.1",
    *,
    engine: Engine | None = None,
    secure_cookie: bool = False,
) -> ThreadingHTTPServer:
    service = CodecService(EncryptionCodec(tolerant=False), engine or make_engine(), oidc_settings())
    return ThreadingHTTPServer((host, port), make_handler(service, origins, secure_cookie))


def secure_by_default(origins: tuple[str, ...], insecure: bool) -> bool:
    """Cookies are Secure (sent over https only) unless every UI origin is plain http on this
    machine (the local demo) or the operator says otherwise (`--insecure-cookie`)."""
    local = all(
        urlsplit(o).scheme == "http" and urlsplit(o).hostname in ("127.0.0.1", "localhost", "::1") for o in origins
    )
    return not (insecure or local)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=8081)
    parser.add_argument("--origin", action="append", help="allowed UI origin (repeatable)")
    parser.add_argument("--secure-cookie", action="store_true", help="mark cookies Secure even for local origins")
    parser.add_argument("--insecure-cookie", action="store_true", help="plain http outside this machine (not advised)")
    args = parser.parse_args()
    origins = tuple(args.origin) if args.origin else DEFAULT_ORIGINS
    secure = args.secure_cookie or secure_by_default(origins, args.insecure_cookie)
    server = serve(args.port, origins, secure_cookie=secure)
    cookies = "Secure" if secure else "plain (local)"
    print(f"codec server on http://127.0.0.1:{args.port} for {', '.join(origins)}; cookies {cookies}")
    print(f"operators log in at http://127.0.0.1:{args.port}/login")
    server.serve_forever()
