"""Codec server for the Temporal Web UI (`--ui-codec-endpoint`): an operator's browser sends the
encrypted payloads it shows here and gets them back decoded. CORS admits only the UI's origin.

    python codec_server.py [--port 8081] [--origin http://127.0.0.1:8233]
"""

from __future__ import annotations

import argparse
import asyncio
import json
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

from google.protobuf import json_format
from temporalio.api.common.v1 import Payloads

from runtime.codec import EncryptionCodec

DEFAULT_ORIGINS = ("http://127.0.0.1:8233", "http://localhost:8233")
MAX_BODY = 16 * 1024 * 1024


def make_handler(codec: EncryptionCodec, origins: tuple[str, ...]) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def _cors(self) -> None:
            origin = self.headers.get("Origin", "")
            if origin in origins:
                self.send_header("Access-Control-Allow-Origin", origin)
                self.send_header("Access-Control-Allow-Methods", "POST, OPTIONS")
                self.send_header("Access-Control-Allow-Headers", "Content-Type, X-Namespace, Authorization")
                self.send_header("Vary", "Origin")

        def do_OPTIONS(self) -> None:  # noqa: N802 (the http.server API)
            self.send_response(200 if self.headers.get("Origin", "") in origins else 403)
            self._cors()
            self.end_headers()

        def do_POST(self) -> None:  # noqa: N802
            path = urlsplit(self.path).path  # the Web UI adds ?preserveStorageRefs=true
            if path not in ("/encode", "/decode"):
                self._reply(404, {"error": "POST /encode or /decode"})
                return
            origin = self.headers.get("Origin")
            if origin is not None and origin not in origins:
                self._reply(403, {"error": f"origin {origin} is not allowed"})
                return
            length = int(self.headers.get("Content-Length", "0"))
            if length > MAX_BODY:
                self._reply(413, {"error": "payloads too large"})
                return
            try:
                payloads = json_format.Parse(self.rfile.read(length), Payloads())
                coder = codec.encode if path == "/encode" else codec.decode
                result = asyncio.run(coder(list(payloads.payloads)))
            except Exception as err:  # malformed input: a clear 400, never a stack trace
                self._reply(400, {"error": f"{type(err).__name__}: {err}"})
                return
            self._reply(200, json.loads(json_format.MessageToJson(Payloads(payloads=result))))

        def _reply(self, code: int, body: dict[str, Any]) -> None:
            data = json.dumps(body).encode()
            self.send_response(code)
            self._cors()
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:  # quiet: payloads are personal data
            return

    return Handler


def serve(port: int, origins: tuple[str, ...] = DEFAULT_ORIGINS, host: str = "127.0.0.1") -> ThreadingHTTPServer:
    return ThreadingHTTPServer((host, port), make_handler(EncryptionCodec(tolerant=False), origins))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=8081)
    parser.add_argument("--origin", action="append", help="allowed UI origin (repeatable)")
    args = parser.parse_args()
    server = serve(args.port, tuple(args.origin) if args.origin else DEFAULT_ORIGINS)
    print(f"codec server on http://127.0.0.1:{args.port} for {', '.join(args.origin or DEFAULT_ORIGINS)}")
    server.serve_forever()
