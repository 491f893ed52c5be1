"""Benchmark: the workbench's pages on a registry of many open cases (issue 23).

    .venv/bin/python bench/workbench.py [--cases 10000] [--requests 200]

Writes the cards (and a dozen events each) into a fresh SQLite registry, serves the application
with uvicorn on this machine, and times "my cases" for the head (every case) and for an executor
(their unit's), a filtered list and case pages, from a client in another thread. Goal (issue 23):
p95 under 300 ms with 10,000 open cases. The pages read the registry only, never a workflow, so
the worker's load does not reach them; this benchmark does not start workflows.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import threading
import time
import urllib.request
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import insert  # noqa: E402

from models.registry import CaseRecord, EventRecord, make_engine  # noqa: E402
from policies.routing import categories, districts, executors  # noqa: E402
from runtime.clock import utc_now  # noqa: E402
from tooling.users import add_user, log_in  # noqa: E402
from web.serve import serve  # noqa: E402

STATES = ["routed", "under_consideration", "returned_for_finalization", "answered"]
PASSWORD = "benchmark password"


def seed(engine: object, n: int) -> list[str]:
    rng = random.Random(7)
    units, cats, dists = sorted(executors()), categories(), districts()
    today = date(2026, 12, 3)
    numbers, cases, events = [], [], []
    for i in range(n):
        number = f"APL-2026-{i + 1:06d}"
        numbers.append(number)
        due = today + timedelta(days=rng.randint(-10, 30))
        cases.append(
            {
                "reg_number": number, "kind": "appeal", "appeal_type": "application", "channel": "portal",
                "language": "ru", "category": rng.choice(cats), "district": rng.choice(dists),
                "applicant_kind": "person", "applicant_identity": f"{i:012d}", "applicant_name": "Заявитель",
                "applicants_count": 1, "addressee": "Аким", "received_at": "2026-11-01T10:00:00+05:00",
                "received_on": "2026-11-01", "state": rng.choice(STATES), "executor": rng.choice(units),
                "deadline": due.isoformat(), "overdue": due < today, "summary": "Протекает крыша дома " * 5,
                "workflow_run": "r", "created_at": utc_now(), "updated_at": utc_now(),
            }
        )  # fmt: skip
        for seq in range(12):
            events.append(
                {
                    "reg_number": number, "key": f"move-{seq}", "seq": seq, "trigger": "accept",
                    "actor_id": "housing-dept", "actor_role": "executor", "from_state": "routed",
                    "to_state": "under_consideration", "at": "2026-11-02T10:00:00+00:00", "reason": "",
                    "detail": "{}", "recorded_at": utc_now(),
                }
            )  # fmt: skip
    with engine.begin() as conn:  # type: ignore[attr-defined]
        conn.execute(insert(CaseRecord), cases)
        conn.execute(insert(EventRecord), events)
    return numbers


def timed(url: str, cookie: str, count: int, expect: str) -> list[float]:
    """Milliseconds per request; each answer must be the page itself (not the log-in's)."""
    took = []
    for _ in range(count):
        request = urllib.request.Request(url, headers={"Cookie": cookie})
        start = time.perf_counter()
        with urllib.request.urlopen(request, timeout=30) as answer:
            body = answer.read().decode()
            final = answer.geturl()
        took.append((time.perf_counter() - start) * 1000)
        assert "/login" not in final and expect in body, (url, final, body[:200])
    return took


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(f"sqlite:///{tmp}/registry.db")
        started = time.perf_counter()
        numbers = seed(engine, args.cases)
        print(f"registry: {args.cases} open cases, {12 * args.cases} events ({time.perf_counter() - started:.1f} s)")
        add_user(engine, "head.bench", "Руководитель", ["head"], "", PASSWORD)
        add_user(engine, "exec.bench", "Исполнитель", ["executor"], "housing-dept", PASSWORD)
        head = "appeals_session=" + log_in(engine, "head.bench", PASSWORD, "ui_session")
        executor = "appeals_session=" + log_in(engine, "exec.bench", PASSWORD, "ui_session")
        server = serve(0, (), engine=engine)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        time.sleep(0.5)
        base = f"http://127.0.0.1:{server.server_address[1]}"
        rng = random.Random(3)
        one = rng.choice(numbers)
        pages = {
            "my cases, the head (every case)": (f"{base}/work", head, "APL-2026-"),
            "my cases, an executor (their unit's)": (f"{base}/work", executor, "APL-2026-"),
            "my cases, overdue only": (f"{base}/work?overdue=1", head, "APL-2026-"),
            "a case page": (f"{base}/work/case/{one}", head, one),
        }
        timed(f"{base}/work", head, 5, "APL-2026-")  # warm up
        for label, (url, cookie, expect) in pages.items():
            took = timed(url, cookie, args.requests, expect)
            p95 = statistics.quantiles(took, n=20)[-1]
            print(f"  {label:40s} p50 {statistics.median(took):6.1f} ms   p95 {p95:6.1f} ms   (goal p95 < 300 ms)")
        server.shutdown()


if __name__ == "__main__":
    main()
