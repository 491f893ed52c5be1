"""The web application: one Starlette app for every HTTP surface of the engine."""

from __future__ import annotations

from urllib.parse import urlsplit

from sqlalchemy.engine import Engine
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import Response

from models.registry import make_engine
from runtime.codec import EncryptionCodec
from tooling.oidc import OidcClient, oidc_client, oidc_settings
from web.codec_routes import codec_routes
from web.guards import SecurityHeaders, error
from web.intake.api import intake_routes
from web.intake.open311 import open311_routes
from web.intake.status_page import status_routes
from web.login_routes import login_routes
from web.service import CodecService
from web.sms_reports import sms_report_routes
from web.temporal import Temporal
from web.workbench.routes import workbench_routes

DEFAULT_ORIGINS = ("http://127.0.0.1:8233", "http://localhost:8233")


def secure_by_default(origins: tuple[str, ...], insecure: bool) -> bool:
    """Cookies are Secure (sent over https only) unless every UI origin is plain http on this
    machine (the local demo) or the operator says otherwise (`--insecure-cookie`)."""
    local = all(
        urlsplit(o).scheme == "http" and urlsplit(o).hostname in ("127.0.0.1", "localhost", "::1") for o in origins
    )
    return not (insecure or local)


def create_app(
    service: CodecService | None = None,
    origins: tuple[str, ...] = DEFAULT_ORIGINS,
    *,
    engine: Engine | None = None,
    secure_cookie: bool = False,
    temporal_address: str | None = None,
    oidc_login: OidcClient | None = None,
) -> Starlette:
    """The application. `service` defaults to one on the embedded key and the registry (`engine`,
    or DATABASE_URL's); `origins` are the Temporal Web UI's, the only ones CORS admits; `oidc_login`
    the workbench's log-in by the identity provider (default: APPEALS_OIDC_CLIENT_ID's, if set)."""
    if service is None:
        service = CodecService(EncryptionCodec(tolerant=False), engine or make_engine(), oidc_settings())

    async def not_found(request: Request, exc: Exception) -> Response:
        return error(
            404,
            "GET /work (the workbench), /login, /whoami, /status/{number}?code=, /api/v1/openapi.json, "
            "/open311/v2/services.json; POST /login, /logout, /encode, /decode, /api/v1/appeals",
        )

    async def not_allowed(request: Request, exc: Exception) -> Response:
        return error(405, f"{request.method} is not served at {request.url.path[:100]}")

    temporal = Temporal(temporal_address)
    return Starlette(
        routes=[
            *login_routes(service.engine, secure_cookie, oidc_login or oidc_client()),
            *codec_routes(service, origins),
            *workbench_routes(service.engine, temporal, secure_cookie),
            *sms_report_routes(service.engine, temporal),
            *intake_routes(service.engine, temporal),
            *status_routes(service.engine),
            *open311_routes(service.engine, temporal),
        ],
        middleware=[
            Middleware(SecurityHeaders),
            Middleware(
                CORSMiddleware,
                allow_origins=list(origins),
                allow_credentials=True,
                allow_methods=["GET", "POST", "OPTIONS"],
                allow_headers=["Content-Type", "X-Namespace", "Authorization", "Authorization-Extras"],
            ),
        ],
        exception_handlers={404: not_found, 405: not_allowed},
    )
