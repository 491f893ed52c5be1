"""Benchmark: the outbox relay to a local SMTP server (issue 24).

    .venv/bin/python bench/outbox.py [--notices 10000] [--outage-notices 5000] [--outage 120] [--rate 0]

Round 1: `--notices` rendered notices in a fresh SQLite registry go through the relay (the activity
the relay's workflow runs, in this process) to an SMTP server on this machine (aiosmtpd) that
records when it accepted each message: throughput, p50/p95 time from the notice's writing to the
server's acceptance, this process's peak RSS.
Round 2: `--outage-notices` more, with the SMTP server stopped for `--outage` seconds while the
relay runs: nothing may be lost, no Message-ID may arrive twice, and the time to drain after the
server is back is printed. The relay's per-channel rate is the policy's unless `--rate` (messages a
minute) overrides it for the run; the backoff's first wait is shortened to 5 s so the run ends.
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import sys
import tempfile
import time
import uuid
from collections import Counter
from email import message_from_bytes
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from aiosmtpd.controller import Controller  # noqa: E402
from sqlalchemy import insert  # noqa: E402
from sqlmodel import Session, col, func, select  # noqa: E402

import activities.outbox as outbox  # noqa: E402
from activities.letters import render  # noqa: E402
from activities.mail import SmtpSettings, message_id  # noqa: E402
from models.notices import RelayRequest  # noqa: E402
from models.registry import NotificationRecord, make_engine  # noqa: E402
from runtime.clock import utc_now  # noqa: E402


class Sink:
    def __init__(self) -> None:
        self.accepted: dict[str, list[float]] = {}

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        message_id = str(message_from_bytes(envelope.content)["Message-ID"])
        self.accepted.setdefault(message_id, []).append(time.perf_counter())
        return "250 OK"


def fill(engine: Any, count: int) -> dict[str, float]:
    """`count` rendered acknowledgements in the outbox; when each was written (epoch seconds)."""
    subject, body = render(
        "acknowledgement",
        "ru",
        {
            "reg_number": "APL-2026-000001",
            "deadline": "2026-12-24",
            "received_at": "2026-12-03T10:00:00+05:00",
            "applicant_name": "Айгуль",
        },
    )
    now = utc_now()
    rows = [
        {
            "key": f"APL-2026-{i:06d}:acknowledgement:{uuid.uuid4().hex[:8]}", "reg_number": f"APL-2026-{i:06d}",
            "recipient": f"applicant{i}@example.kz", "template": "acknowledgement", "language": "ru",
            "subject": subject, "body": body, "created_at": now, "sent": False, "status": "queued", "channel": "",
            "address": "", "attempts": 0, "last_error": "", "message_id": "",
        }
        for i in range(count)
    ]  # fmt: skip
    with engine.begin() as conn:
        conn.execute(insert(NotificationRecord), rows)
    written = time.perf_counter()  # the rows are in the outbox from now
    domain = outbox.delivery_policy()["message_id_domain"]
    return {message_id(str(r["key"]), domain): written for r in rows}


def left(engine: Any) -> int:
    with Session(engine) as session:
        return int(session.exec(select(func.count()).where(col(NotificationRecord.status) != "sent")).one())


async def relay_until_done(relay: outbox.OutboxActivities, engine: Any, limit: float) -> float:
    started = time.perf_counter()
    while left(engine) and time.perf_counter() - started < limit:
        result = await relay.relay_outbox(RelayRequest())
        if not (result.sent or result.retried or result.failed):
            await asyncio.sleep(0.5)  # waiting out a backoff
    return time.perf_counter() - started


def ms(values: list[float], q: float) -> str:
    ordered = sorted(values)
    return f"{1000 * ordered[min(len(ordered) - 1, int(q * len(ordered)))]:.0f} ms"


async def main(args: argparse.Namespace) -> None:
    policy = dict(outbox.delivery_policy())
    if args.rate:
        policy["rate_per_minute"] = {**policy["rate_per_minute"], "email": args.rate}
    policy["retry"] = {**policy["retry"], "first_seconds": 5, "longest_seconds": 20}
    outbox.delivery_policy = lambda: policy  # type: ignore[assignment]  # this run's rate and backoff
    with tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(f"sqlite:///{tmp}/registry.db")
        sink = Sink()
        port = 18025
        server = Controller(sink, hostname="127.0.0.1", port=port)
        server.start()
        relay = outbox.OutboxActivities(engine, SmtpSettings("127.0.0.1", port, "none"))
        rate = policy["rate_per_minute"]["email"]
        print(f"outbox benchmark: relay -> local SMTP (aiosmtpd), rate {rate}/min, batch {policy['batch']}")

        written = fill(engine, args.notices)
        took = await relay_until_done(relay, engine, 3600)
        latencies = [sink.accepted[m][0] - written[m] for m in written if m in sink.accepted]
        print(f"round 1: {args.notices} notices in {took:.1f} s ({args.notices / took:.0f}/s)")
        print(f"  writing -> SMTP acceptance: p50 {ms(latencies, 0.5)}, p95 {ms(latencies, 0.95)}")
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"  lost: {args.notices - len(latencies)} (goal 0); peak RSS of the relay's process {rss:.0f} MB")

        before = len(sink.accepted)
        written = fill(engine, args.outage_notices)
        running = asyncio.create_task(relay_until_done(relay, engine, 3600))
        await asyncio.sleep(2)
        server.stop()
        down_at = time.perf_counter()
        print(f"round 2: {args.outage_notices} notices; SMTP server stopped after 2 s for {args.outage} s")
        await asyncio.sleep(args.outage)
        server = Controller(sink, hostname="127.0.0.1", port=port)
        server.start()
        up_at = time.perf_counter()
        await running
        drained = time.perf_counter() - up_at
        arrived = [m for m in written if m in sink.accepted]
        twice = [m for m, times in sink.accepted.items() if len(times) > 1]
        print(f"  outage {up_at - down_at:.0f} s; drained {drained:.1f} s after the server came back")
        print(f"  lost: {len(written) - len(arrived)} (goal 0); Message-IDs received twice: {len(twice)} (goal 0)")
        print(f"  messages received in all: {len(sink.accepted) - before} of {args.outage_notices}")
        server.stop()
        with Session(engine) as session:
            states = Counter(session.exec(select(NotificationRecord.status)).all())
        print(f"  registry afterwards: {dict(states)}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--notices", type=int, default=10_000)
    parser.add_argument("--outage-notices", type=int, default=5_000)
    parser.add_argument("--outage", type=float, default=120.0)
    parser.add_argument("--rate", type=float, default=0.0, help="messages a minute (default: the policy's)")
    asyncio.run(main(parser.parse_args()))
