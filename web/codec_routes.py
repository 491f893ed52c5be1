"""The codec endpoints of the Temporal Web UI (`--ui-codec-endpoint`) and of CLI hosts without the
data key: `/encode` seals and encrypts a logged-in user's moves, `/decode` shows payloads to a
logged-in user, `/whoami` says who the session is."""

from __future__ import annotations

import json

from google.protobuf import json_format
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from temporalio.api.common.v1 import Payloads

from tooling.seal import Identity
from web.guards import BodyTooLarge, error, read_body
from web.login_routes import COOKIE
from web.service import CodecService, Refusal

MAX_BODY = 16 * 1024 * 1024  # the Web UI's largest payloads are far below; Temporal's own limit is 2 MB per payload


def codec_routes(service: CodecService, origins: tuple[str, ...]) -> list[Route]:
    async def who(request: Request) -> tuple[Identity, str]:
        return await run_in_threadpool(
            service.authenticate, request.headers.get("authorization", ""), request.cookies.get(COOKIE, "")
        )

    async def whoami(request: Request) -> Response:
        try:
            found, how = await who(request)
        except Refusal as err:
            return error(err.code, str(err))
        return JSONResponse(
            {"id": found.id, "name": found.name, "roles": found.roles, "unit": found.unit, "method": how}
        )

    async def code(request: Request) -> Response:
        # The Web UI adds ?preserveStorageRefs=true: the query is not read.
        origin = request.headers.get("origin")
        if origin is not None and origin not in origins:
            return error(403, f"origin {origin[:100]} is not allowed")
        declared = request.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > MAX_BODY:
            return error(413, f"the body is larger than {MAX_BODY} bytes")
        try:
            found, how = await who(request)  # before the body is read: strangers' bodies never are
            payloads = list(json_format.Parse(await read_body(request, MAX_BODY), Payloads()).payloads)
            if request.url.path == "/encode":
                namespace = request.headers.get("x-namespace", "") or "default"
                result = await service.encode(payloads, found, how, namespace[:200])
            else:
                result = await service.decode(payloads)
        except Refusal as err:
            return error(err.code, str(err))
        except BodyTooLarge as err:
            return error(413, str(err))
        except Exception as err:  # malformed input: a clear 400, never a stack trace
            return error(400, f"{type(err).__name__}: {err}")
        return JSONResponse(json.loads(json_format.MessageToJson(Payloads(payloads=result))))

    return [
        Route("/whoami", whoami, methods=["GET", "POST"]),
        Route("/encode", code, methods=["POST"]),
        Route("/decode", code, methods=["POST"]),
    ]
