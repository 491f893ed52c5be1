"""The workbench's log-in by the organisation's identity provider (issue 23, part 1), against a real
OpenID provider (`oidc-provider-mock`: authlib's authorization server on a local port) and driven in
Chromium: the user goes to the provider, comes back logged in as the ID token says (name, role from
the provider's group, unit), and the workbench shows their cases. A callback this server did not
start, a user whose groups grant no role, and a token meant for another client open nothing."""

from __future__ import annotations

import re
import threading
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from sqlmodel import Session, select

import web.serve as web_server
from models.users import SessionRecord
from tests.conftest import Served
from tests.test_web_ui import browser_installed, free_port  # noqa: F401  (the fixture applies here)
from tests.test_workbench import browsing
from tooling.oidc import OidcClient

EXECUTOR = {
    "preferred_username": "aliya.k",
    "name": "Алия Касымова",
    "groups": ["appeals-executors", "someone-elses-group"],
    "department": "housing-dept",
}
STRANGER = {"preferred_username": "guest", "name": "Гость", "groups": ["canteen"]}


@dataclass
class Site:
    url: str
    provider: str
    served: Served


@pytest.fixture
def provider() -> Iterator[str]:
    from oidc_provider_mock import User, run_server_in_thread

    users = [User(sub="aliya", claims=EXECUTOR), User(sub="guest", claims=STRANGER)]
    with run_server_in_thread(user_claims=users, require_nonce=True) as server:
        yield f"http://localhost:{server.server_port}"


@pytest.fixture
async def site(provider: str, served: Served) -> AsyncIterator[Site]:
    port = free_port()
    client = OidcClient(issuer=provider, client_id="workbench", client_secret="s3cret", redirect_uri="", jwks="")
    http = web_server.serve(port, (), engine=served.engine, oidc_login=client)
    threading.Thread(target=http.serve_forever, daemon=True).start()
    try:
        yield Site(f"http://127.0.0.1:{port}", provider, served)
    finally:
        http.shutdown()


async def through_provider(page: Any, site: Site, user: str) -> None:
    """From a workbench page to the provider's log-in and back, as `user`."""
    await page.goto(f"{site.url}/work")
    await page.get_by_role("link", name=re.compile("учётную запись организации")).click()
    await page.wait_for_url(re.compile(re.escape(site.provider)))
    await page.get_by_role("button", name=user, exact=True).click()


async def test_a_user_of_the_identity_provider_logs_in_to_the_workbench(site: Site) -> None:
    async with browsing() as page:
        await through_provider(page, site, "aliya")
        await page.wait_for_load_state()
        assert page.url == f"{site.url}/work", await page.content()
        header = await page.locator("header").inner_text()
        assert "Алия Касымова" in header and "исполнитель" in header and "Управление жилищной политики" in header
        assert "Мои дела" in await page.locator("h1").inner_text()
    with Session(site.served.engine) as s:
        opened = s.exec(select(SessionRecord).where(SessionRecord.method == "oidc")).all()
    assert [(o.user_id, o.identity and "appeals-executors" not in o.identity) for o in opened] == [("aliya.k", True)]


async def test_a_user_whose_groups_grant_no_role_is_refused_in_words(site: Site) -> None:
    async with browsing() as page:
        await through_provider(page, site, "guest")
        refusal = await page.locator("[role=status]").inner_text()
        assert "none of the user's groups maps to a role" in refusal
        assert "/work" not in page.url  # not let in
    with Session(site.served.engine) as s:
        assert s.exec(select(SessionRecord)).all() == []


async def test_a_callback_this_server_did_not_start_opens_nothing(site: Site) -> None:
    async with httpx.AsyncClient(base_url=site.url) as http:
        forged = await http.get("/login/oidc/callback", params={"code": "stolen", "state": "guessed"})
        assert forged.status_code == 400 and "was not started here" in forged.text
        started = await http.get("/login/oidc", params={"next": "/work"})
        assert started.status_code == 303 and "code_challenge_method=S256" in started.headers["location"]
        flow = started.cookies.get("appeals_oidc_flow")
        assert flow is not None
        http.cookies.set("appeals_oidc_flow", flow)
        other_state = await http.get("/login/oidc/callback", params={"code": "x", "state": "not-the-one"})
        assert other_state.status_code == 400
    with Session(site.served.engine) as s:
        assert s.exec(select(SessionRecord)).all() == []


def test_an_id_token_for_another_client_or_with_another_nonce_proves_nothing(provider: str) -> None:
    """The token checks themselves: audience (our client id) and nonce (this log-in's)."""
    import base64
    import hashlib
    import secrets
    from urllib.parse import parse_qs, urlsplit

    from tooling.oidc import OidcSettings, TokenError, verify_token

    verifier, nonce = secrets.token_urlsafe(32), secrets.token_urlsafe(16)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    with httpx.Client(base_url=provider, follow_redirects=False) as http:
        query = {
            "response_type": "code",
            "client_id": "another-app",
            "redirect_uri": "http://127.0.0.1:9/cb",
            "scope": "openid profile",
            "state": "s",
            "nonce": nonce,
            "code_challenge": challenge,
            "code_challenge_method": "S256",
        }
        granted = http.post("/oauth2/authorize", params=query, data={"sub": "aliya"})
        code = parse_qs(urlsplit(granted.headers["location"]).query)["code"][0]
        form = {"grant_type": "authorization_code", "code": code, "redirect_uri": query["redirect_uri"]}
        tokens = http.post("/oauth2/token", data={**form, "code_verifier": verifier}, auth=("another-app", "any"))
        assert "id_token" in tokens.json(), tokens.text
        id_token = tokens.json()["id_token"]
    jwks = f"{provider}/jwks"
    assert verify_token(id_token, OidcSettings(provider, "another-app", jwks), nonce).name == "Алия Касымова"
    with pytest.raises(TokenError, match="Audience"):
        verify_token(id_token, OidcSettings(provider, "workbench", jwks), nonce)
    with pytest.raises(TokenError, match="nonce"):
        verify_token(id_token, OidcSettings(provider, "another-app", jwks), "another log-in's nonce")
