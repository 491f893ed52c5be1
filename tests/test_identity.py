"""Issue 10: operators are who they authenticate as. The codec server logs users in and seals
their moves; the workflow counts only sealed moves; own-only roles act for their unit."""

from __future__ import annotations

import base64
import json
import socket
import urllib.error
import urllib.request
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from google.protobuf import json_format
from sqlalchemy.engine import Engine
from sqlmodel import Session, select
from temporalio.api.common.v1 import Payload
from temporalio.client import Client, WorkflowUpdateFailedError
from temporalio.common import RawValue
from temporalio.worker import Worker

import web.serve as codec_server
from models.registry import EventRecord
from runtime.clock import utc_now
from runtime.codec import EncryptionCodec
from tests.factories import appeal_dict
from tests.scenario import move, server_now, start_appeal, status, until_state
from tooling import users as users_module
from tooling.client import data_converter
from tooling.oidc import OidcSettings
from tooling.seal import Identity, seal_move
from tooling.users import add_user, log_in, set_disabled

UI = "http://127.0.0.1:8233"
PASSWORD = "correct horse battery"


@pytest.fixture
def directory(engine: Engine) -> Engine:
    add_user(engine, "a.seitkali", "А. Сейтқали", ["executor"], "housing-dept", PASSWORD)
    add_user(engine, "r.omarov", "Р. Омаров", ["executor"], "roads-dept", PASSWORD)
    add_user(engine, "s.karimov", "С. Каримов", ["head"], "", PASSWORD)
    add_user(engine, "auditor-1", "Аудитор", ["auditor"], "", PASSWORD)
    add_user(engine, "k.two", "К. Двое", ["controller", "registrar"], "", PASSWORD)
    return engine


@pytest.fixture
def codec(directory: Engine, tmp_path: Path) -> Iterator[tuple[str, OidcSettings]]:
    """The codec server in this process on a free port, with a local OIDC provider's JWKS."""
    oidc = OidcSettings("https://idp.test/realms/akimat", "appeals", str(tmp_path / "jwks.json"))
    service = codec_server.CodecService(EncryptionCodec(tolerant=False), directory, oidc)
    server = codec_server.serve(0, (UI,), service=service).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", oidc
    finally:
        server.shutdown()


def call(
    url: str, body: Any = None, *, token: str = "", cookie: str = "", form: bool = False, namespace: str = ""
) -> tuple[int, Any, Any]:
    headers = {"Origin": UI}
    if namespace:
        headers["X-Namespace"] = namespace
    if form:
        data = body.encode()
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    else:
        data = json.dumps(body).encode() if body is not None else None
        headers["Content-Type"] = "application/json"
    if token:
        headers["Authorization"] = f"Bearer {token}"
    if cookie:
        headers["Cookie"] = cookie
    request = urllib.request.Request(url, data=data, method="POST" if data is not None else "GET", headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            raw, code, hdrs = response.read(), response.status, response.headers
    except urllib.error.HTTPError as err:
        raw, code, hdrs = err.read(), err.code, err.headers
    try:
        return code, json.loads(raw), hdrs
    except ValueError:
        return code, raw.decode(), hdrs


def payloads(*values: Any, bound: bool = True) -> dict[str, Any]:
    """The codec protocol's body for these values; a move names its case and trigger (as the case
    card's payloads do) unless `bound` is off."""
    if bound:
        values = tuple(
            {"case": "APL-2026-000001", "trigger": "accept", **v} if isinstance(v, dict) else v for v in values
        )
    plain = [Payload(metadata={"encoding": b"json/plain"}, data=json.dumps(v).encode()) for v in values]
    return {"payloads": [json.loads(json_format.MessageToJson(p)) for p in plain]}


async def opened(body: dict[str, Any]) -> list[Any]:
    """What an encoded answer of the codec server holds (decrypted with the key, as the worker does)."""
    encoded = [json_format.ParseDict(p, Payload()) for p in body["payloads"]]
    return [json.loads(p.data) for p in await EncryptionCodec().decode(encoded)]


def login(base: str, user: str, password: str = PASSWORD) -> str:
    code, body, _ = call(f"{base}/login", {"user": user, "password": password})
    assert code == 200, body
    return str(body["token"])


# ---------------------------------------------------------------- the codec server


async def test_encode_and_decode_need_a_logged_in_user(codec: tuple[str, OidcSettings]) -> None:
    base, _ = codec
    for path in ("/encode", "/decode"):
        code, body, headers = call(f"{base}{path}", payloads({}))
        assert code == 401 and "not logged in" in body["error"]
        assert headers.get("Access-Control-Allow-Credentials") == "true"
    code, body, _ = call(f"{base}/login", {"user": "a.seitkali", "password": "wrong password!"})
    assert code == 401 and "log-in refused" in body["error"]


def form_login(
    base: str, user: str, password: str = PASSWORD, *, origin: str | None = None, token: str | None = None
) -> tuple[int, str, list[str]]:
    """The log-in form as a browser posts it: the page first (it sets the form's token as a cookie
    and in the form), then the post from the page's origin. (status, page, Set-Cookie headers)"""
    import re
    from urllib.parse import urlencode

    with urllib.request.urlopen(f"{base}/login", timeout=10) as page:
        csrf_cookie = next(c.split(";")[0] for c in page.headers.get_all("Set-Cookie") if c.startswith("appeals_csrf="))
        found = re.search(r'name="csrf" value="([^"]+)"', page.read().decode())
    assert found is not None
    fields = {"user": user, "password": password, "csrf": found.group(1) if token is None else token}
    headers = {"Origin": origin or base, "Cookie": csrf_cookie, "Content-Type": "application/x-www-form-urlencoded"}
    request = urllib.request.Request(f"{base}/login", data=urlencode(fields).encode(), method="POST", headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read().decode(), response.headers.get_all("Set-Cookie") or []
    except urllib.error.HTTPError as err:
        return err.code, err.read().decode(), err.headers.get_all("Set-Cookie") or []


async def test_the_ui_session_cookie_is_http_only_and_seals_the_users_moves(codec: tuple[str, OidcSettings]) -> None:
    base, _ = codec
    code, page, cookies = form_login(base, "a.seitkali")
    assert code == 200 and "a.seitkali" in page
    cookie = next(c for c in cookies if c.startswith("appeals_session="))
    assert "HttpOnly" in cookie and "samesite=lax" in cookie.lower() and "Max-Age=28800" in cookie
    session = cookie.split(";")[0]
    code, body, _ = call(f"{base}/encode", payloads({}, {"trigger": "accept"}), cookie=session)
    assert code == 200, body
    signal, update = await opened(body)
    for move_ in (signal, update):
        assert move_["actor"] == {"id": "a.seitkali", "role": "executor"}
        assert move_["seal"]["unit"] == "housing-dept" and move_["seal"]["method"] == "ui_session"
        assert move_["seal"]["name"] == "А. Сейтқали"
    code, who, _ = call(f"{base}/whoami", cookie=session)
    assert code == 200 and who["roles"] == ["executor"]
    code, decoded, _ = call(f"{base}/decode", body, cookie=session)
    assert code == 200 and len(decoded["payloads"]) == 2


async def test_a_move_that_names_no_case_or_trigger_is_not_sealed(codec: tuple[str, OidcSettings]) -> None:
    """A seal binds one case and one trigger (issue 20): the codec server cannot see the workflow id
    or the signal's name, so the move names them, or it is refused with the field named."""
    base, _ = codec
    token = login(base, "a.seitkali")
    code, body, _ = call(f"{base}/encode", payloads({"trigger": "accept"}, bound=False), token=token)
    assert code == 400 and body["error"].startswith("case: a move names its case"), body
    code, body, _ = call(f"{base}/encode", payloads({"case": "APL-2026-000001"}, bound=False), token=token)
    assert code == 400 and body["error"].startswith("trigger: a move names its trigger"), body
    code, body, _ = call(f"{base}/encode", payloads({}), token=token, namespace="appeals-prod")
    assert code == 200
    [sealed] = await opened(body)
    assert (sealed["seal"]["case"], sealed["seal"]["message"], sealed["seal"]["namespace"]) == (
        "APL-2026-000001",
        "accept",
        "appeals-prod",
    )


async def test_impersonation_is_refused_at_the_codec_server(codec: tuple[str, OidcSettings]) -> None:
    """The issue's reproduction at the door: an executor claims to be the head, or another person."""
    base, _ = codec
    token = login(base, "a.seitkali")
    code, body, _ = call(f"{base}/encode", payloads({"actor": {"id": "a.seitkali", "role": "head"}}), token=token)
    assert code == 403 and "does not hold the role 'head'" in body["error"]
    code, body, _ = call(f"{base}/encode", payloads({"actor": {"id": "anyone", "role": "head"}}), token=token)
    assert code == 403 and "cannot be made as 'anyone'" in body["error"]
    both = login(base, "k.two")  # holds two roles: must say which
    code, body, _ = call(f"{base}/encode", payloads({"trigger": "route"}), token=both)
    assert code == 403 and "several roles" in body["error"]
    code, body, _ = call(f"{base}/encode", payloads({"actor": {"role": "registrar"}}), token=both)
    assert code == 200 and (await opened(body))[0]["seal"]["role"] == "registrar"


async def test_auditors_decode_but_never_move(codec: tuple[str, OidcSettings]) -> None:
    base, _ = codec
    token = login(base, "auditor-1")
    [secret] = await EncryptionCodec().encode([Payload(metadata={"encoding": b"json/plain"}, data=b'"x"')])
    body = {"payloads": [json.loads(json_format.MessageToJson(secret))]}
    assert call(f"{base}/decode", body, token=token)[0] == 200
    code, refused, _ = call(f"{base}/encode", payloads({}), token=token)
    assert code == 403 and "not make moves" in refused["error"]


async def test_a_disabled_user_is_refused_at_once(codec: tuple[str, OidcSettings], directory: Engine) -> None:
    base, _ = codec
    token = login(base, "r.omarov")
    assert call(f"{base}/encode", payloads({}), token=token)[0] == 200
    set_disabled(directory, "r.omarov")
    code, body, _ = call(f"{base}/encode", payloads({}), token=token)
    assert code == 401
    code, body, _ = call(f"{base}/login", {"user": "r.omarov", "password": PASSWORD})
    assert code == 401


def provider(settings: OidcSettings) -> Any:
    """A local OIDC provider: an RSA key, its JWKS file, and a token factory."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key()))
    Path(settings.jwks).write_text(json.dumps({"keys": [{**public, "kid": "k1", "use": "sig"}]}), encoding="utf-8")

    def token(**claims: Any) -> str:
        now = utc_now()
        body = {
            "iss": settings.issuer,
            "aud": settings.audience,
            "sub": "u-42",
            "preferred_username": "b.omarov",
            "name": "Б. Омаров",
            "groups": ["appeals-executors"],
            "department": "utilities-dept",
            "iat": now,
            "exp": now + timedelta(minutes=5),
            **claims,
        }
        return jwt.encode(body, key, algorithm="RS256", headers={"kid": "k1"})

    return token


async def test_an_oidc_access_token_is_verified_and_mapped_to_roles(
    codec: tuple[str, OidcSettings], tmp_path: Path
) -> None:
    base, settings = codec
    token = provider(settings)
    code, body, _ = call(f"{base}/encode", payloads({}), token=token())
    assert code == 200, body
    seal = (await opened(body))[0]["seal"]
    stranger = OidcSettings(settings.issuer, settings.audience, str(tmp_path / "other.json"))
    assert (seal["id"], seal["role"], seal["unit"], seal["method"]) == (
        "b.omarov",
        "executor",
        "utilities-dept",
        "oidc",
    )
    past = utc_now() - timedelta(hours=1)
    for bad, why in (
        (token(exp=past), "expired"),
        (token(aud="other-app"), "InvalidAudience"),
        (token(iss="https://evil.test"), "InvalidIssuer"),
        (token(groups=["cleaners"]), "maps to a role"),
        (provider(stranger)(), "InvalidSignature"),  # the same claims, signed by a key the provider never had
    ):
        code, refused, _ = call(f"{base}/encode", payloads({}), token=bad)
        assert code == 401 and why in refused["error"], refused


# ---------------------------------------------------------------- the workflow counts only sealed moves


async def test_unsealed_moves_are_refused_and_recorded(client: Client, worker: Worker, engine: Engine) -> None:
    """The issue's reproduction through our own client: self-declared actors move nothing."""
    handle = await start_appeal(client, worker, appeal_dict())
    await until_state(handle, "routed")
    with pytest.raises(WorkflowUpdateFailedError) as update:
        await handle.execute_update(
            "transition", {"trigger": "accept", "actor": {"id": "housing-dept", "role": "executor"}}
        )
    assert "move not authenticated" in str(update.value.cause)
    await handle.signal("approve", {"actor": {"id": "anyone", "role": "head"}})
    # A complete seal typed by a client without the key (unencrypted, even claiming the mark).
    who = Identity("h", "Руководитель", ["head"], "")
    forged = seal_move({}, who, "ui_session", await server_now(client), case=handle.id, trigger="approve")
    config = client.config()
    config["data_converter"] = data_converter(encrypt=False)
    stranger = Client(**config).get_workflow_handle(handle.id)
    mark = Payload(metadata={"encoding": b"json/plain", "appeals-sealed": b"1"}, data=json.dumps(forged).encode())
    await stranger.signal("approve", RawValue(mark))
    await stranger.signal("approve", forged)
    for _ in range(100):
        st = await status(handle)
        if len(st.refusals) >= 3:
            break
    assert st.state == "routed" and [h.trigger for h in st.history] == ["route"]
    unsealed = "seal: was not sealed by the codec server (it arrived unencrypted)"
    unauthenticated = "move not authenticated: send it from the Web UI or the CLI after logging in"
    # (a seal's shape is refused as the signal arrives; authentication when the move is taken up)
    assert sorted((r.message, r.actor_id) for r in st.refusals) == sorted(
        [(unauthenticated, "anyone"), (unsealed, "h"), (unsealed, "h")]
    )  # who tried is shown


async def test_an_expired_seal_is_refused(client: Client, worker: Worker) -> None:
    handle = await start_appeal(client, worker, appeal_dict())
    await until_state(handle, "routed")
    who = Identity("housing-dept", "Жилищное управление", ["executor"], "housing-dept")
    stale = seal_move(
        {"trigger": "accept"}, who, "ui_session", await server_now(client) - timedelta(minutes=6), case=handle.id
    )
    with pytest.raises(WorkflowUpdateFailedError) as expired:
        await handle.execute_update("transition", stale)
    assert "is older than 300 s" in str(expired.value.cause)


async def test_an_executor_acts_for_their_unit_only(client: Client, worker: Worker, engine: Engine) -> None:
    handle = await start_appeal(client, worker, appeal_dict(category="housing"))
    await until_state(handle, "routed")
    now = await server_now(client)
    outsider = Identity("r.omarov", "Р. Омаров", ["executor"], "roads-dept")
    with pytest.raises(WorkflowUpdateFailedError) as foreign:
        await handle.execute_update(
            "transition", seal_move({"trigger": "accept"}, outsider, "ui_session", now, case=handle.id)
        )
    assert "may act only on cases assigned to them" in str(foreign.value.cause)
    insider = Identity("a.seitkali", "А. Сейтқали", ["executor"], "housing-dept")
    await handle.execute_update(
        "transition", seal_move({"trigger": "accept"}, insider, "ui_session", now, case=handle.id)
    )
    answer = {"trigger": "submit_answer", "answer_text": "Сделано.", "answer_character": "satisfied"}
    await handle.execute_update("transition", seal_move(answer, insider, "ui_session", now, case=handle.id))
    # The executor cannot approve their own answer: sealed as an executor, the role decides.
    with pytest.raises(WorkflowUpdateFailedError) as own:
        await handle.execute_update(
            "transition", seal_move({"trigger": "approve"}, insider, "ui_session", now, case=handle.id)
        )
    assert "role 'executor' may not trigger 'approve'" in str(own.value.cause)
    st = await move(handle, "approve", "head-1", "head")
    by = st.history[1]
    assert (by.actor_id, by.actor_name, by.auth) == ("a.seitkali", "А. Сейтқали", "ui_session")
    with Session(engine) as s:
        events = s.exec(select(EventRecord).where(EventRecord.reg_number == handle.id)).all()
    assert {(e.actor_id, e.actor_name, e.auth) for e in events if e.trigger == "accept"} == {
        ("a.seitkali", "А. Сейтқали", "ui_session")
    }


def test_the_cli_session_token_is_a_bearer_for_the_codec_server(directory: Engine) -> None:
    token = log_in(directory, "s.karimov", PASSWORD, "cli")
    assert base64.urlsafe_b64decode(token + "==")  # opaque, random
    service = codec_server.CodecService(EncryptionCodec(tolerant=False), directory, None)
    who, how = service.authenticate(f"Bearer {token}", "")
    assert (who.id, who.roles, how) == ("s.karimov", ["head"], "cli")


def self_signed(tmp_path: Path) -> tuple[Path, Path]:
    """A throwaway certificate and key (PEM), as a deployment's PKI would issue."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.x509.oid import NameOID

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "appeals-worker")])
    now = utc_now()
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = tmp_path / "client.pem", tmp_path / "client.key"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return cert_file, key_file


def test_the_connection_helper_configures_mutual_tls_and_a_token(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tooling.client import connection_options

    assert connection_options() == {}  # the embedded default: plain, no token
    cert, key = self_signed(tmp_path)
    monkeypatch.setenv("APPEALS_TLS_CERT", str(cert))
    with pytest.raises(ValueError, match="set both"):
        connection_options()
    monkeypatch.setenv("APPEALS_TLS_KEY", str(key))
    monkeypatch.setenv("APPEALS_TLS_CA", str(cert))
    monkeypatch.setenv("APPEALS_TLS_SERVER_NAME", "temporal.akimat.local")
    monkeypatch.setenv("APPEALS_TEMPORAL_TOKEN", "eyJ.test.token")
    options = connection_options()
    tls = options["tls"]
    assert tls.client_cert == cert.read_bytes() and tls.client_private_key == key.read_bytes()
    assert tls.server_root_ca_cert == cert.read_bytes() and tls.domain == "temporal.akimat.local"
    assert options["rpc_metadata"] == {"authorization": "Bearer eyJ.test.token"}


async def test_connect_uses_tls_when_configured(dev_env: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The dev server speaks plain gRPC: a client configured for TLS must fail to reach it,
    which shows every process's connection goes through the helper's TLS settings."""
    from tooling.client import connect

    address = dev_env.client.service_client.config.target_host
    assert (await connect(address)).service_client is not None  # plain: connects
    cert, key = self_signed(tmp_path)
    monkeypatch.setenv("APPEALS_TLS_CERT", str(cert))
    monkeypatch.setenv("APPEALS_TLS_KEY", str(key))
    monkeypatch.setenv("APPEALS_TLS_CA", str(cert))
    with pytest.raises(RuntimeError):
        await connect(address)


def test_the_cli_logs_in_with_an_oidc_access_token(codec: tuple[str, OidcSettings], tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    base, settings = codec
    token = provider(settings)
    env = dict(os.environ, APPEALS_CODEC_URL=base, APPEALS_SESSION_FILE=str(tmp_path / "session.json"))

    def cli(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
        root = Path(__file__).resolve().parent.parent
        command = [sys.executable, "starter.py", *args]
        return subprocess.run(command, cwd=root, input=stdin, capture_output=True, text=True, timeout=60, env=env)

    expired = cli("login", "--access-token", stdin=token(exp=utc_now() - timedelta(minutes=1)) + "\n")
    assert expired.returncode == 1 and "expired" in expired.stderr
    logged = cli("login", "--access-token", stdin=token() + "\n")
    assert logged.returncode == 0 and "b.omarov" in logged.stdout, logged.stderr
    who = cli("whoami")
    assert who.returncode == 0 and "b.omarov" in who.stdout and "via oidc" in who.stdout


# ---------------------------------------------------------------- the log-in on an open network (issue 20.4)


async def test_wrong_passwords_lock_the_account_and_then_the_right_one_is_refused(
    codec: tuple[str, OidcSettings],
) -> None:
    base, _ = codec
    for _ in range(5):
        code, body, _ = call(f"{base}/login", {"user": "a.seitkali", "password": "not the password"})
        assert code == 401 and "log-in refused" in body["error"]
    code, body, _ = call(f"{base}/login", {"user": "a.seitkali", "password": PASSWORD})
    assert code == 429 and "locked after repeated failures" in body["error"]
    code, body, _ = call(f"{base}/login", {"user": "r.omarov", "password": PASSWORD})  # another account: fine
    assert code == 200, body


async def test_many_accounts_tried_from_one_address_lock_that_address(codec: tuple[str, OidcSettings]) -> None:
    base, _ = codec
    for i in range(50):
        call(f"{base}/login", {"user": f"guess-{i}", "password": "x"})
    code, body, _ = call(f"{base}/login", {"user": "r.omarov", "password": PASSWORD})
    assert code == 429, body


def test_an_unknown_user_costs_the_same_password_check_as_a_known_one(
    directory: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    checked: list[str] = []
    real = users_module._hasher  # noqa: SLF001

    class Counting:
        def verify(self, hash_: str, password: str) -> bool:
            checked.append(hash_[:10])
            return real.verify(hash_, password)

        def hash(self, password: str) -> str:
            return real.hash(password)

    monkeypatch.setattr(users_module, "_hasher", Counting())
    for user in ("a.seitkali", "nobody-at-all"):
        with pytest.raises(users_module.DirectoryError):
            users_module.log_in(directory, user, "not the password", "cli")
    assert len(checked) == 2 and all(h.startswith("$argon2") for h in checked)  # one Argon2 check each


async def test_a_form_from_another_site_cannot_log_anyone_in(codec: tuple[str, OidcSettings]) -> None:
    base, _ = codec
    code, page, cookies = form_login(base, "a.seitkali", origin="https://evil.example")
    assert code == 403 and "may not post this form" in page and not any("appeals_session=" in c for c in cookies)
    code, page, cookies = form_login(base, "a.seitkali", token="forged")
    assert code == 403 and "token is missing or stale" in page
    code, page, cookies = form_login(base, "a.seitkali")  # from the page itself: logged in
    assert code == 200 and any(c.startswith("appeals_session=") for c in cookies)


@pytest.mark.parametrize(("length", "status"), [("-1", 400), ("99999999999", 413), ("abc", 400)])
async def test_a_body_length_is_checked_before_anything_is_read(
    codec: tuple[str, OidcSettings], length: str, status: int
) -> None:
    base, _ = codec
    where = urlsplit(base)
    for path in ("/login", "/encode"):
        with socket.create_connection((where.hostname, where.port), timeout=10) as raw:
            raw.sendall(
                f"POST {path} HTTP/1.1\r\nHost: {where.netloc}\r\nContent-Type: application/json\r\n"
                f"Content-Length: {length}\r\n\r\n".encode()
            )  # and no body: a server that waits for one never answers
            answer = raw.recv(4096).decode(errors="replace")
        assert answer.startswith(f"HTTP/1.0 {status}") or answer.startswith(f"HTTP/1.1 {status}"), answer[:200]


async def test_a_chunked_body_is_cut_off_at_the_limit(codec: tuple[str, OidcSettings]) -> None:
    """A body with no declared length (chunked) is read only up to the limit: a stranger's 64 KB
    log-in is refused once it passes 4 KB, before any user is looked up."""
    base, _ = codec
    where = urlsplit(base)
    chunk = b"x" * 8192
    with socket.create_connection((where.hostname, where.port), timeout=10) as raw:
        raw.sendall(
            f"POST /login HTTP/1.1\r\nHost: {where.netloc}\r\nContent-Type: application/json\r\n"
            "Transfer-Encoding: chunked\r\n\r\n".encode()
        )
        for _ in range(8):
            try:
                raw.sendall(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
            except OSError:  # the server answered and closed: the rest is never read
                break
        received = b""
        while b"bytes" not in received and (part := raw.recv(4096)):
            received += part
        answer = received.decode(errors="replace")
    assert answer.startswith("HTTP/1.1 413"), answer[:200]
    assert "larger than 4096 bytes" in answer


async def test_unknown_paths_and_methods_get_json_refusals_with_the_headers(codec: tuple[str, OidcSettings]) -> None:
    base, _ = codec
    code, body, headers = call(f"{base}/admin")
    assert code == 404 and "/encode" in body["error"] and headers["Cache-Control"] == "no-store"
    request = urllib.request.Request(f"{base}/encode", method="PUT", data=b"{}")
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=10)
    assert refused.value.code == 405 and "PUT is not served" in json.loads(refused.value.read())["error"]
    assert "frame-ancestors 'none'" in refused.value.headers["Content-Security-Policy"]


async def test_every_answer_carries_the_security_headers(codec: tuple[str, OidcSettings]) -> None:
    base, _ = codec
    for url, body in ((f"{base}/login", None), (f"{base}/whoami", None), (f"{base}/encode", {"payloads": []})):
        _, _, headers = call(url, body)
        assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
        assert headers["X-Frame-Options"] == "DENY" and headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Cache-Control"] == "no-store"


@pytest.mark.parametrize(
    ("origins", "insecure", "secure"),
    [
        (("http://127.0.0.1:8233", "http://localhost:8233"), False, False),  # the local demo
        (("https://temporal.akimat.kz",), False, True),
        (("http://temporal.akimat.kz",), False, True),  # plain http elsewhere: still Secure, unless...
        (("http://temporal.akimat.kz",), True, False),  # ...the operator says so
    ],
)
def test_cookies_are_secure_by_default_outside_the_local_demo(
    origins: tuple[str, ...], insecure: bool, secure: bool
) -> None:
    assert codec_server.secure_by_default(origins, insecure) is secure
