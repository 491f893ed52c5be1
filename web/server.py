"""Serving the application with uvicorn: in the foreground (`web/serve.py`) or on a thread of
this process (the demo's tests), on a socket bound before the server starts so its port is known."""

from __future__ import annotations

import socket
import threading
from typing import Any

import uvicorn

UVICORN_OPTIONS: dict[str, Any] = {
    "log_level": "warning",
    "access_log": False,  # quiet: cookies and tokens are secrets, payloads are personal data
    "server_header": False,
    "date_header": True,
    "lifespan": "off",
    "timeout_keep_alive": 5,
    "h11_max_incomplete_event_size": 16 * 1024,  # request line and headers
}


class BackgroundServer:
    """uvicorn on a thread: `serve_forever()` runs it (the thread's target), `shutdown()` stops it
    and waits; `server_address` is known from construction."""

    def __init__(self, app: Any, host: str = "127.0.0.1", port: int = 0, **options: Any) -> None:
        self._socket = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM)
        self._socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._socket.bind((host, port))
        self._socket.listen(128)
        self.server_address: tuple[str, int] = self._socket.getsockname()[:2]
        self._server = uvicorn.Server(uvicorn.Config(app, **{**UVICORN_OPTIONS, **options}))
        self._stopped = threading.Event()

    def serve_forever(self) -> None:
        try:
            self._server.run(sockets=[self._socket])
        finally:
            self._stopped.set()

    def start(self) -> BackgroundServer:
        """Serve on a daemon thread; return once the server accepts connections."""
        threading.Thread(target=self.serve_forever, daemon=True, name="web").start()
        while not self._server.started and not self._stopped.wait(0.01):
            pass
        return self

    def shutdown(self, timeout: float = 10.0) -> None:
        self._server.should_exit = True
        self._stopped.wait(timeout)
        self._socket.close()
