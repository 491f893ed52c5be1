"""Codec server for the Temporal Web UI (`--ui-codec-endpoint`), and the point where operators
are authenticated: the engine's web application (web/) on uvicorn.

The Web UI sends every Signal and Update input here (`/encode`) before sending it, and every
payload it shows (`/decode`). Both need a logged-in user: a session cookie from `/login` (the
embedded user directory; the UI's codec setting "include cross-origin credentials" must be on),
a session token from the CLI (`Authorization: Bearer`), or an OIDC access token in production
(the UI's "pass access token"). On `/encode` a move is sealed for the user (tooling/seal.py):
its actor is set to who logged in, a claim of another person or of a role they do not hold is
refused (403), and auditors may decode but never encode. A case's input (a start: an object with
`reg_number`) is sealed as registered by the user, who must hold a registering role. CORS admits
only the UI's origins.

    python -m web [--port 8081] [--origin http://127.0.0.1:8233] [--secure-cookie | --insecure-cookie]
                           [--host 127.0.0.1] [--forwarded-allow-ips 10.0.0.5]

Cookies are Secure by default unless every UI origin is plain http on this machine (the demo).
Behind the department's TLS proxy, name the proxy in `--forwarded-allow-ips` so the log-in
throttle counts the client's address, not the proxy's.
"""

from __future__ import annotations

import argparse

import uvicorn
from sqlalchemy.engine import Engine

from tooling.oidc import OidcClient
from web.app import DEFAULT_ORIGINS, create_app, secure_by_default
from web.server import UVICORN_OPTIONS, BackgroundServer
from web.service import CodecService

__all__ = ["DEFAULT_ORIGINS", "CodecService", "secure_by_default", "serve"]


def serve(
    port: int,
    origins: tuple[str, ...] = DEFAULT_ORIGINS,
    host: str = "127.0.0.1",
    *,
    engine: Engine | None = None,
    service: CodecService | None = None,
    secure_cookie: bool = False,
    temporal_address: str | None = None,
    oidc_login: OidcClient | None = None,
) -> BackgroundServer:
    """The application on a thread-ready server (call `serve_forever` on a thread, or `start`)."""
    app = create_app(
        service,
        origins,
        engine=engine,
        secure_cookie=secure_cookie,
        temporal_address=temporal_address,
        oidc_login=oidc_login,
    )
    return BackgroundServer(app, host, port)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port", type=int, default=8081)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--origin", action="append", help="allowed UI origin (repeatable)")
    parser.add_argument("--secure-cookie", action="store_true", help="mark cookies Secure even for local origins")
    parser.add_argument("--insecure-cookie", action="store_true", help="plain http outside this machine (not advised)")
    parser.add_argument(
        "--forwarded-allow-ips", default="127.0.0.1", help="proxies whose X-Forwarded-For/-Proto are believed"
    )
    args = parser.parse_args()
    origins = tuple(args.origin) if args.origin else DEFAULT_ORIGINS
    secure = args.secure_cookie or secure_by_default(origins, args.insecure_cookie)
    app = create_app(None, origins, secure_cookie=secure)
    cookies = "Secure" if secure else "plain (local)"
    print(f"codec server on http://{args.host}:{args.port} for {', '.join(origins)}; cookies {cookies}", flush=True)
    print(f"operators log in at http://{args.host}:{args.port}/login", flush=True)
    uvicorn.run(
        app,
        host=args.host,
        port=args.port,
        proxy_headers=True,
        forwarded_allow_ips=args.forwarded_allow_ips,
        **UVICORN_OPTIONS,
    )


if __name__ == "__main__":
    main()
