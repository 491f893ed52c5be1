"""The worker's own settings, read from the environment once at start (README, Configuration).

Defaults are what the benchmarks measured on a 2-core machine (bench/scale.py, bench/lifecycle.py):
each says why in its help. A bad value stops the worker with one line naming the variable.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import timedelta


@dataclass(frozen=True)
class Setting:
    env: str
    default: int
    minimum: int
    help: str


ACTIVITY_THREADS = Setting(
    "APPEALS_ACTIVITY_THREADS",
    16,
    1,
    "activity threads, and as many activity and local-activity slots and registry connections: a queued "
    "activity must not spend its timeout waiting for a thread (temporal-notes.md)",
)
WORKFLOW_TASKS = Setting(
    "APPEALS_WORKFLOW_TASKS",
    16,
    2,
    "workflow tasks taken from the server at once. One interpreter runs them one at a time anyway, and a "
    "task taken is on its 10 s timeout while it waits for the interpreter: with the SDK's 100, a cold worker "
    "given 100 appeals at once timed out tasks and the server refused moves meanwhile; with 16, none did, at "
    "the same throughput (bench/lifecycle.py --processes 1, issue 27). Tasks not taken wait on the server",
)
WORKFLOW_CACHE = Setting(
    "APPEALS_WORKFLOW_CACHE",
    1000,
    0,
    "open cases kept in memory between their moves; one outside the cache is replayed from its history "
    "when it next moves or is queried (about 25 ms). bench/scale.py, 10,000 open appeals: peak RSS 255 MB "
    "at 500, about 390 MB at 1,000, 613 MB at 2,000; 1,000 keeps a worker under 500 MB",
)
POLLERS = Setting(
    "APPEALS_POLLERS",
    5,
    2,
    "concurrent long polls for workflow tasks and for activity tasks (the SDK's default)",
)
SHUTDOWN_SECONDS = Setting(
    "APPEALS_SHUTDOWN_SECONDS",
    30,
    0,
    "on SIGTERM, how long in-flight activities may run to their end before they are cancelled",
)
PROCESSES = Setting(
    "APPEALS_WORKER_PROCESSES",
    1,
    1,
    "worker processes on this host (`worker.py --processes N` overrides): one parent keeps them running, "
    "each polls the same task queue and writes the same registry. One Python process uses about one core "
    "at full load, so one per core (bench/lifecycle.py --processes; README, Production)",
)
LEAD_SECONDS = Setting(
    "APPEALS_TIMING_LEAD_SECONDS",
    0,
    0,
    "benchmarks only: every timer of a case registered by this worker fires this long before its legal "
    "moment, so that many reminders fall due now (bench/scale.py --burst); the legal moments do not move",
)

ALL = (ACTIVITY_THREADS, WORKFLOW_TASKS, WORKFLOW_CACHE, POLLERS, SHUTDOWN_SECONDS, PROCESSES, LEAD_SECONDS)


class SettingError(ValueError):
    """A setting's value is not allowed; the message names the variable and the rule."""


def read(setting: Setting, environ: dict[str, str] | None = None) -> int:
    raw = (environ if environ is not None else os.environ).get(setting.env, "").strip()
    if not raw:
        return setting.default
    try:
        value = int(raw)
    except ValueError:
        raise SettingError(f"{setting.env}: must be a whole number, got {raw!r}") from None
    if value < setting.minimum:
        raise SettingError(f"{setting.env}: must be at least {setting.minimum}, got {value}")
    return value


@dataclass(frozen=True)
class WorkerSettings:
    activity_threads: int
    workflow_tasks: int
    workflow_cache: int
    pollers: int
    shutdown: timedelta

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> WorkerSettings:
        return cls(
            activity_threads=read(ACTIVITY_THREADS, environ),
            workflow_tasks=read(WORKFLOW_TASKS, environ),
            workflow_cache=read(WORKFLOW_CACHE, environ),
            pollers=read(POLLERS, environ),
            shutdown=timedelta(seconds=read(SHUTDOWN_SECONDS, environ)),
        )
