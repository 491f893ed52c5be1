"""The intake API for channels (issue 25): `POST /api/v1/appeals` registers an appeal (JSON, or
multipart with its files), `GET /api/v1/appeals/{number}` says where one of the channel's appeals
stands, `GET /api/v1/openapi.json` describes both. A channel authenticates with its API key
(`Authorization: Bearer ...` or `X-API-Key`); errors are RFC 9457 problem details."""

from __future__ import annotations

import json
from collections.abc import AsyncGenerator
from dataclasses import asdict
from typing import Any

from sqlalchemy.engine import Engine
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.formparsers import MultiPartException, MultiPartParser
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from models.appeal import MAX_ATTACHMENT_BYTES, MAX_ATTACHMENTS
from models.errors import InputError
from models.intake_api import AttachmentIn, ChannelAppeal
from models.schema import parse_object
from policies.appeals import unit_name
from policies.loading import load_policy
from tooling.intake import (
    Channel,
    IntakeConflict,
    IntakeUnavailable,
    Upload,
    body_digest,
    channel_of_client,
    channel_of_key,
    register_from_channel,
    standing,
)
from tooling.oidc import TokenError, oidc_settings, verify_client_token
from web.guards import BodyTooLarge, read_body
from web.intake.openapi import openapi_document
from web.intake.problems import field_problem, problem
from web.rate_limit import RateLimit
from web.temporal import Temporal


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def api_key(request: Request) -> str:
    given = request.headers.get("x-api-key", "")
    bearer = request.headers.get("authorization", "")
    if not given and bearer.lower().startswith("bearer "):
        given = bearer[7:]
    return given.strip()


class IntakeGate:
    """What every intake request passes: the client address's rate, the channel's key, its rate."""

    def __init__(self, engine: Engine) -> None:
        policy = load_policy("intake")
        self.engine = engine
        self.by_address = RateLimit(int(policy["rate_per_minute"]["address"]))
        self.by_channel = RateLimit(int(policy["rate_per_minute"]["channel"]))

    async def channel(self, request: Request, key: str = "") -> Channel | Response:
        wait = self.by_address.wait(client_address(request))
        if wait:
            return too_many(wait, "this client address")
        key = key or api_key(request)
        if not key:
            return problem(401, "no-key", "send the channel's API key (Authorization: Bearer KEY, or X-API-Key)")
        if key.count(".") == 2 and not key.startswith("ak_"):  # a JWT: an access token of the identity provider
            return await self.client_channel(key)
        channel = await run_in_threadpool(channel_of_key, self.engine, key)
        if channel is None:
            return problem(401, "unknown-key", "the API key is not a channel's key, or the channel is disabled")
        wait = self.by_channel.wait(channel.id)
        if wait:
            return too_many(wait, f"channel {channel.id}")
        return channel

    async def client_channel(self, token: str) -> Channel | Response:
        """A channel by its access token (OAuth2 client credentials), checked against the provider."""
        settings = oidc_settings()
        if settings is None:
            return problem(401, "no-provider", "access tokens are not accepted here: send the channel's API key")
        scope = str(load_policy("intake")["oauth_scope"])
        try:
            client = await run_in_threadpool(verify_client_token, token, settings, scope)
        except TokenError as err:
            code = 403 if "scope" in str(err) else 401
            return problem(code, "bad-token", str(err))
        channel = await run_in_threadpool(channel_of_client, self.engine, client)
        if channel is None:
            return problem(403, "unknown-client", f"the client {client[:100]!r} is not a channel (or is disabled)")
        wait = self.by_channel.wait(channel.id)
        return too_many(wait, f"channel {channel.id}") if wait else channel


def too_many(wait: int, who: str) -> Response:
    return problem(
        429, "rate-limited", f"too many requests from {who}; wait {wait} s", headers={"Retry-After": str(wait)}
    )


def retry_after() -> str:
    return str(int(load_policy("intake")["retry_after_seconds"]))


async def uploads_of(request: Request, body: bytes) -> tuple[Any, list[Upload]]:
    """The multipart request's appeal (its `appeal` part, JSON) and files (`attachments` parts),
    each checked against the policy's types and the size limits."""

    async def stream() -> AsyncGenerator[bytes, None]:
        yield body

    parser = MultiPartParser(
        request.headers, stream(), max_files=MAX_ATTACHMENTS, max_fields=5, max_part_size=MAX_ATTACHMENT_BYTES
    )
    try:
        form = await parser.parse()
    except MultiPartException as err:
        raise InputError("attachments", str(err)) from None
    text = form.get("appeal")
    if not isinstance(text, str):
        raise InputError("appeal", "a multipart registration has a part `appeal` with the appeal as JSON")
    try:
        raw = json.loads(text)
    except ValueError:
        raise InputError("appeal", "the part `appeal` is not JSON") from None
    types: dict[str, str] = dict(load_policy("intake")["attachment_types"])
    uploads: list[Upload] = []
    for i, part in enumerate(form.getlist("attachments"), start=1):
        if not isinstance(part, UploadFile):
            raise InputError(f"attachments[{i}]", "must be a file part")
        content = await part.read()
        kind = (part.content_type or "").split(";")[0].strip().lower()
        if kind not in types:
            raise InputError(
                f"attachments[{i}]", f"type {kind or 'unknown'!r} is not accepted; accepted: {', '.join(types)}"
            )
        if not content.startswith(types[kind].encode("latin-1")):
            raise InputError(f"attachments[{i}]", f"the file's content is not {kind}")
        if len(content) > MAX_ATTACHMENT_BYTES:
            raise InputError(f"attachments[{i}]", f"a file may be at most {MAX_ATTACHMENT_BYTES} bytes")
        uploads.append(Upload((part.filename or f"file-{i}")[:200], kind, content))
    return raw, uploads


def intake_routes(engine: Engine, temporal: Temporal) -> list[Route]:
    gate = IntakeGate(engine)
    limits = load_policy("intake")["body_bytes"]

    async def register(request: Request) -> Response:
        channel = await gate.channel(request)
        if isinstance(channel, Response):
            return channel
        media = request.headers.get("content-type", "").split(";")[0].strip().lower()
        multipart = media == "multipart/form-data"
        if media not in ("application/json", "multipart/form-data"):
            return problem(415, "media-type", "send application/json, or multipart/form-data with the files")
        try:
            body = await read_body(request, int(limits["multipart" if multipart else "json"]))
        except BodyTooLarge as err:
            return problem(413, "too-large", str(err))
        try:
            if multipart:
                raw, uploads = await uploads_of(request, body)
            else:
                raw, uploads = json.loads(body), []
        except InputError as err:
            return field_problem(err.field, err.rule)
        except ValueError:
            return problem(400, "not-json", "the body is not JSON")
        return await registration(request, channel, raw, uploads)

    async def registration(request: Request, channel: Channel, raw: Any, uploads: list[Upload]) -> Response:
        try:
            appeal = parse_object(ChannelAppeal, raw, "appeal")
        except InputError as err:
            return field_problem(err.field.removeprefix("appeal."), err.rule)
        header = request.headers.get("idempotency-key", "").strip()
        if header and appeal.external_id and header != appeal.external_id:
            return problem(400, "two-ids", "Idempotency-Key and external_id differ: send one, or the same")
        external_id = (header or appeal.external_id)[:200]
        if not external_id:
            return field_problem(
                "external_id", "required (or the Idempotency-Key header): a retry must be the same case"
            )
        if uploads:
            if appeal.attachments:
                return field_problem("attachments", "the files' names and digests come from their parts: leave it out")
            appeal.attachments = [AttachmentIn(u.name, len(u.content), u.sha256) for u in uploads]
        elif appeal.attachments:
            return field_problem("attachments", "send the files as parts of a multipart/form-data request")
        asked = {k: v for k, v in raw.items() if k != "external_id"} if isinstance(raw, dict) else {}
        digest = body_digest(asked, uploads)  # the id may come in the body or the header: the same request
        intake = appeal.as_import(channel.appeal_channel, channel.name, appeal.received_at, unit_name(appeal.language))
        try:
            new, answer = await register_from_channel(
                temporal.get, engine, channel, external_id, intake, digest, uploads
            )
        except InputError as err:
            return field_problem(err.field, err.rule)
        except IntakeConflict as err:
            return problem(409, "id-conflict", str(err))
        except IntakeUnavailable as err:
            return problem(503, "unavailable", str(err), headers={"Retry-After": retry_after()})
        headers = {"Location": f"/api/v1/appeals/{answer.reg_number}"}
        if not new:
            headers["Idempotent-Replayed"] = "true"
        return JSONResponse(asdict(answer), status_code=201 if new else 200, headers=headers)

    async def appeal_standing(request: Request) -> Response:
        channel = await gate.channel(request)
        if isinstance(channel, Response):
            return channel
        number = request.path_params["number"][:40]
        found = await run_in_threadpool(standing, engine, channel, number)
        if found is None:
            return problem(404, "not-found", f"{number} is not an appeal this channel registered")
        return JSONResponse(asdict(found))

    async def document(request: Request) -> Response:
        return JSONResponse(openapi_document())

    return [
        Route("/api/v1/appeals", register, methods=["POST"]),
        Route("/api/v1/appeals/{number}", appeal_standing, methods=["GET"]),
        Route("/api/v1/openapi.json", document, methods=["GET"]),
    ]
