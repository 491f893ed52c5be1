"""The workbench's log-in by the organisation's identity provider: OpenID Connect's authorization
code flow with PKCE. The browser is sent to the provider with a fresh state, nonce and code
challenge (kept in a short-lived HttpOnly cookie); the provider sends it back with a code, which
this server exchanges for an ID token; the token is verified (signature by the provider's JWKS,
issuer, audience = our client id, expiry, nonce) and its groups mapped to roles
(policies/identity.yaml), and a session opens for that user as for an embedded one."""

from __future__ import annotations

import base64
import hashlib
import html
import json
import secrets
from typing import Any
from urllib.parse import urlencode

import httpx
from sqlalchemy.engine import Engine
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from policies.loading import load_policy
from tooling.oidc import OidcClient, OidcSettings, TokenError, verify_token
from tooling.users import open_session

FLOW_COOKIE = "appeals_oidc_flow"
FLOW_SECONDS = 600  # the time a user has at the provider's log-in page
TIMEOUT = httpx.Timeout(10.0)


def _challenge(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def _safe_next(onward: str) -> str:
    return onward if onward.startswith("/work") and "//" not in onward else "/work"


def refused(why: str, code: int) -> Response:
    """The log-in page's words for a failed provider log-in: what went wrong, and the way back."""
    body = (
        '<!doctype html><html lang="ru"><head><meta charset="utf-8"><title>Вход / Кіру</title></head><body>'
        f'<p class="err" role="status">Вход не выполнен / Кіру орындалмады: {html.escape(why)}</p>'
        '<p><a href="/login">Вход / Кіру</a></p></body></html>'
    )
    return HTMLResponse(body, status_code=code)


def oidc_routes(engine: Engine, client: OidcClient, session_cookie: Any, secure_cookie: bool) -> list[Route]:
    """`session_cookie(response, token)` sets the log-in's own session cookie (web/login_routes.py)."""
    discovered: dict[str, Any] = {}

    async def provider() -> dict[str, Any]:
        """The provider's discovery document, fetched once (its endpoints and JWKS)."""
        if not discovered:
            async with httpx.AsyncClient(timeout=TIMEOUT) as http:
                answer = await http.get(f"{client.issuer}/.well-known/openid-configuration")
                answer.raise_for_status()
                discovered.update(answer.json())
        return discovered

    def redirect_uri(request: Request) -> str:
        return client.redirect_uri or str(request.url_for("oidc_callback"))

    async def start(request: Request) -> Response:
        try:
            endpoints = await provider()
        except (httpx.HTTPError, ValueError) as err:
            return refused(f"the identity provider does not answer ({type(err).__name__})", 503)
        state, nonce, verifier = (secrets.token_urlsafe(32) for _ in range(3))
        query = urlencode(
            {
                "response_type": "code",
                "client_id": client.client_id,
                "redirect_uri": redirect_uri(request),
                "scope": load_policy("identity")["oidc"]["login_scope"],
                "state": state,
                "nonce": nonce,
                "code_challenge": _challenge(verifier),
                "code_challenge_method": "S256",
            }
        )
        response = RedirectResponse(f"{endpoints['authorization_endpoint']}?{query}", status_code=303)
        flow = json.dumps(
            {"state": state, "nonce": nonce, "verifier": verifier, "next": request.query_params.get("next", "")}
        )
        # Lax: the provider's redirect back is a top-level GET from another site, which must carry it.
        response.set_cookie(
            FLOW_COOKIE, flow, max_age=FLOW_SECONDS, httponly=True, samesite="lax", secure=secure_cookie
        )
        return response

    async def callback(request: Request) -> Response:
        try:
            flow = json.loads(request.cookies.get(FLOW_COOKIE, "") or "{}")
        except ValueError:
            flow = {}
        state = request.query_params.get("state", "")
        if not flow.get("state") or not secrets.compare_digest(str(flow["state"]), state):
            return refused("this log-in was not started here, or it took too long: start it again", 400)
        if request.query_params.get("error"):
            return refused(f"the identity provider refused: {request.query_params.get('error')}", 401)
        form = {
            "grant_type": "authorization_code",
            "code": request.query_params.get("code", ""),
            "redirect_uri": redirect_uri(request),
            "client_id": client.client_id,
            "code_verifier": str(flow.get("verifier", "")),
        }
        try:
            endpoints = await provider()
            async with httpx.AsyncClient(timeout=TIMEOUT) as http:
                if client.client_secret:  # a confidential client authenticates (client_secret_basic)
                    auth = httpx.BasicAuth(client.client_id, client.client_secret)
                    answer = await http.post(endpoints["token_endpoint"], data=form, auth=auth)
                else:  # a public client: PKCE alone
                    answer = await http.post(endpoints["token_endpoint"], data=form)
            if answer.status_code != 200:
                return refused(f"the identity provider did not give a token (HTTP {answer.status_code})", 401)
            id_token = str(answer.json().get("id_token", ""))
            checks = OidcSettings(client.issuer, client.client_id, client.jwks or str(endpoints["jwks_uri"]))
            who = await run_in_threadpool(verify_token, id_token, checks, str(flow.get("nonce", "")))
        except TokenError as err:
            return refused(str(err), 401)
        except (httpx.HTTPError, ValueError, KeyError) as err:
            return refused(f"the identity provider does not answer ({type(err).__name__})", 503)
        token = await run_in_threadpool(open_session, engine, who, "oidc")
        response = RedirectResponse(_safe_next(str(flow.get("next", ""))), status_code=303)
        session_cookie(response, token)
        response.delete_cookie(FLOW_COOKIE)
        return response

    return [
        Route("/login/oidc", start, methods=["GET"]),
        Route("/login/oidc/callback", callback, methods=["GET"], name="oidc_callback"),
    ]
