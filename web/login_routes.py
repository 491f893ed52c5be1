"""The operators' log-in: the page and its form (for the Web UI's cookie), the JSON log-in of the
CLI (a bearer token), and log-out. Each form post is checked for its origin and its token; each
log-in attempt is throttled per account and per address (web/login_throttle.py); an unknown
user costs the same work as a known one (runtime/users.log_in)."""

from __future__ import annotations

import html
import json
import secrets
from urllib.parse import parse_qs, quote

from sqlalchemy.engine import Engine
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from policies.loading import load_policy
from runtime.clock import utc_now
from tooling.oidc import OidcClient
from tooling.users import DirectoryError, log_in, log_out, session_identity
from web.guards import CSRF_COOKIE, BodyTooLarge, csrf_refusal, error, read_body
from web.login_throttle import LoginThrottle
from web.oidc_login import oidc_routes

COOKIE = "appeals_session"
EXPIRED = "<p class=err>Вход не выполнен или сессия истекла / Кіру орындалмаған немесе сессия аяқталды.</p>"
MAX_LOGIN_BODY = 4_096  # a user name and a password: read no more before anyone is authenticated
LOGIN_PAGE = """<!doctype html><html lang="ru"><head><meta charset="utf-8"><title>Вход / Кіру</title>
<style>body{{font-family:sans-serif;max-width:28em;margin:4em auto}}label,input,button{{display:block;margin:.4em 0}}
input{{width:100%;padding:.4em}}.who{{padding:.6em;background:#eef}}.err{{color:#a00}}</style></head><body>
<h1>Обращения: вход оператора</h1>{status}
<p><a href="/work">Рабочее место / Жұмыс орны</a></p>{provider}
<form method="post" action="/login"><input type="hidden" name="csrf" value="{csrf}">
<input type="hidden" name="next" value="{next}">
<label>Пользователь / Пайдаланушы <input name="user" autocomplete="username"></label>
<label>Пароль / Құпиясөз <input name="password" type="password" autocomplete="current-password"></label>
<button type="submit">Войти / Кіру</button></form>
<form method="post" action="/logout"><input type="hidden" name="csrf" value="{csrf}">
<button type="submit">Выйти / Шығу</button></form>
<p>В Temporal Web UI: Data Encoder settings → Remote Codec Endpoint = this server's address,
and switch on «Include cross-origin credentials».</p></body></html>"""


PROVIDER_LINK = (
    '<p><a href="/login/oidc?next={next}">Войти через учётную запись организации / Ұйымның тіркелгісімен кіру</a></p>'
)


def login_routes(engine: Engine, secure_cookie: bool, oidc: OidcClient | None = None) -> list[Route]:
    hours = float(load_policy("identity")["session_hours"])
    throttle = LoginThrottle.from_policy()

    def session_cookie(response: Response, token: str, *, clear: bool = False) -> None:
        """The session's cookie: HttpOnly, for the policy's hours (cleared at log-out)."""
        age = 0 if clear else int(hours * 3600)
        response.set_cookie(COOKIE, token, max_age=age, httponly=True, samesite="lax", secure=secure_cookie)

    async def page(
        request: Request, status: str = "", *, code: int = 200, token: str = "", clear: bool = False
    ) -> Response:
        if not status:
            found = await run_in_threadpool(session_identity, engine, request.cookies.get(COOKIE, ""))
            status = f"<p class=who>{html.escape(found[0].name)} ({html.escape(found[0].id)})</p>" if found else ""
            if not found and request.query_params.get("next"):  # sent here by a workbench page
                status = EXPIRED
        csrf = secrets.token_urlsafe(24)
        onward = request.query_params.get("next", "")
        onward = html.escape(onward if onward.startswith("/work") else "")
        provider = PROVIDER_LINK.format(next=quote(html.unescape(onward))) if oidc else ""
        text = LOGIN_PAGE.format(status=status, csrf=csrf, next=onward, provider=provider)
        response = HTMLResponse(text, status_code=code)
        if token or clear:
            session_cookie(response, token, clear=clear)
        response.set_cookie(CSRF_COOKIE, csrf, httponly=True, samesite="strict", secure=secure_cookie)
        return response

    async def fields_of(request: Request) -> tuple[dict[str, str], bool]:
        """The posted fields and whether they came as JSON (ValueError: neither JSON nor a form)."""
        body = (await read_body(request, MAX_LOGIN_BODY)).decode(errors="replace")
        as_json = request.headers.get("content-type", "").startswith("application/json")
        fields = json.loads(body or "{}") if as_json else {k: v[0] for k, v in parse_qs(body).items()}
        if not isinstance(fields, dict):
            raise ValueError("not an object")
        return {str(k): str(v) for k, v in fields.items()}, as_json

    async def posted(request: Request) -> Response:
        try:
            fields, as_json = await fields_of(request)
        except BodyTooLarge as err:
            return error(413, str(err))
        except ValueError:
            return error(400, "body: send a JSON object {user, password} or the log-in form")
        # A JSON post cannot come from another site's form (it needs a CORS preflight, which only
        # the UI's origins pass); a form post is checked for its origin and its token.
        refusal = None if as_json else csrf_refusal(request, fields, secure_cookie)
        if refusal:
            return error(403, refusal)
        if request.url.path == "/logout":
            await run_in_threadpool(log_out, engine, request.cookies.get(COOKIE, ""))
            bearer = request.headers.get("authorization", "").removeprefix("Bearer ").strip()
            if bearer:
                await run_in_threadpool(log_out, engine, bearer)
            return await page(request, "<p class=who>Вы вышли / Сіз шықтыңыз.</p>", clear=True)
        user, password = fields.get("user", ""), fields.get("password", "")
        address, now = request.client.host if request.client else "", utc_now()
        until = throttle.locked(user, address, now)
        if until is not None:
            why = f"log-in locked after repeated failures; try again after {until.isoformat()[:19]} UTC"
            if as_json:
                return error(429, why)
            return await page(request, f"<p class=err>{html.escape(why)}</p>", code=429)
        try:  # Argon2 takes a third of a second: off the event loop
            token = await run_in_threadpool(log_in, engine, user, password, "cli" if as_json else "ui_session")
            throttle.succeeded(user, address)
        except DirectoryError as err:
            throttle.failed(user, address, now)
            if as_json:
                return error(401, str(err))
            return await page(request, f"<p class=err>{html.escape(str(err))}</p>", code=401)
        if as_json:  # the CLI keeps the token itself
            return Response(json.dumps({"token": token, "user": user}), media_type="application/json")
        onward = fields.get("next", "")
        if onward.startswith("/work") and "//" not in onward:  # back to the workbench page that asked
            redirect = RedirectResponse(onward, status_code=303)
            session_cookie(redirect, token)
            return redirect
        return await page(request, f"<p class=who>Вы вошли как / Сіз кірдіңіз: {html.escape(user)}</p>", token=token)

    async def shown(request: Request) -> Response:
        return await page(request)

    return [
        *(oidc_routes(engine, oidc, session_cookie, secure_cookie) if oidc else []),
        Route("/login", shown, methods=["GET"]),
        Route("/login", posted, methods=["POST"]),
        Route("/logout", posted, methods=["POST"]),
    ]
