"""The main job: dev server + Web UI, worker, and a handful of demo appeals in different states.

Runs on the embedded defaults (temporal-dev.yaml, SQLite registry, demo timing where one working
day lasts a minute). The story is deliberate: one appeal, received 12 working days before today,
is late: its reminder, its escalation and a disciplinary proposal arrive within about five
minutes, at the times printed. Every other case stays within its terms for about ten minutes
(a 15-working-day term lasts 15). Ctrl-C stops everything and exits 0.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

from cli.demo_cases import (
    DEMO_PASSWORD,
    DEMO_USERS,
    LATE_BY_WORKING_DAYS,
    first_term_point,
    late_story,
    run_reports,
    seed,
    seed_instruction,
    seed_water,
)
from models.registry import make_engine, registry_engine
from runtime.clock import utc_now
from runtime.status_access import status_url
from tooling import devserver
from tooling.intake import add_channel
from tooling.seal import staff

# The demo's registrar (a demo user too): the demo holds the codec key and seals its registrations
# as this registrar's, as the codec server seals a logged-in registrar's.
REGISTRAR = staff("registrar-1", "registrar")
DEMO_MAIL = Path(".data") / "demo-mail"


def print_story(numbers: list[str], now: datetime) -> None:
    """Which case will be late and when; until when the others stay within their terms."""
    names = {
        "reminder": "reminder to the executor (1 working day before the term)",
        "escalation": "term missed: overdue escalation to the head (CaseOverdue = true)",
        "disciplinary": "disciplinary proposal drafted (2 working days after the term)",
    }
    late = numbers[3]
    print(f"\nThe late case: {late}, received {LATE_BY_WORKING_DAYS} working days ago (a working day lasts a minute).")
    print("  at once          the forwarding term (3 working days from receipt) has passed: the head is alerted")
    for kind, at in late_story(now):
        if kind in names:
            print(f"  at about {at.astimezone().strftime('%H:%M:%S')}  {names[kind]}")
    calm = first_term_point(now).astimezone().strftime("%H:%M")
    print(f"The other appeals stay within their terms: their first reminders come at about {calm}.")
    forward = (now + timedelta(minutes=3)).astimezone().strftime("%H:%M")
    print(
        f"{numbers[4]} (a possible repeat) waits for the controller: consider_as_new or terminate_consideration;"
        f" if not decided by about {forward}, its forwarding term ends and the head is alerted."
    )


def ensure_demo_users() -> None:
    """The demo's operators in the embedded user directory (created once)."""
    from tooling.users import DirectoryError, add_user

    engine = make_engine()
    for user_id, name, role, unit in DEMO_USERS:
        try:
            add_user(engine, user_id, name, [role], unit, DEMO_PASSWORD, f"{user_id}@akimat.example.kz")
        except DirectoryError:
            pass  # already there from an earlier demo


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--once", action="store_true", help="seed, print, and stop (no waiting)")
    parser.add_argument(
        "--log-level",
        choices=["debug", "info", "warn", "error"],
        default="error",
        help="the dev server's log level (default error: its per-page warnings stay out of the demo's output)",
    )
    args = parser.parse_args()
    config = dict(devserver.load_config(), log_level=args.log_level)
    address = f"{config['ip']}:{config['frontend_port']}"
    os.environ.setdefault("TEMPORAL_ADDRESS", address)
    os.environ.setdefault("APPEALS_TIMING_PROFILE", "demo")
    sink = None
    if not os.environ.get("APPEALS_SMTP_HOST"):  # the demo's letters go to a mailbox on this machine
        from tooling.mail_sink import DEMO_MAIL_PORT, start_mail_sink

        sink = start_mail_sink(DEMO_MAIL)
        os.environ.update(APPEALS_SMTP_HOST="127.0.0.1", APPEALS_SMTP_PORT=str(DEMO_MAIL_PORT))
        os.environ["APPEALS_SMTP_SECURITY"] = "none"
    procs: list[subprocess.Popen[bytes]] = []
    try:
        try:
            devserver.wait_for_port(str(config["ip"]), int(config["frontend_port"]), timeout=0.5)
            print(f"using the Temporal server already on {address}")
        except TimeoutError:
            procs.append(devserver.start(config))
        from runtime.codec import load_key_ring

        load_key_ring()  # creates .keys/codec.json on the first run, before any process needs it
        ensure_demo_users()
        procs.append(child("-m", "web"))
        procs.append(child("worker.py"))
        numbers = asyncio.run(seed("appeals", utc_now()))
        water = asyncio.run(seed_water("appeals", utc_now()))
        instruction = asyncio.run(seed_instruction("appeals", utc_now()))
        time.sleep(1)  # the six cards are written as their workflows start
        reports = asyncio.run(run_reports("appeals", utc_now()))
        ui = f"http://{config['ip']}:{config['ui_port']}/namespaces/{config['namespace']}/workflows"
        print("\nDemo appeals:", ", ".join(numbers[:6]))
        print(f"Temporal Web UI: {ui}")
        print_story(numbers, utc_now())
        print("CLI: .venv/bin/python starter.py list   |   .venv/bin/python starter.py status", numbers[3])
        print("Receptions:", ", ".join(numbers[6:]), "  |  .venv/bin/python starter.py reception show", numbers[6])
        print(f"Presidential instruction under monthly control: {instruction}")
        print("\nStaff work in the workbench: http://127.0.0.1:8081/work  (Kazakh and Russian)")
        print("Operators log in at http://127.0.0.1:8081/login  (demo password:", DEMO_PASSWORD + ")")
        for user_id, name, role, unit in DEMO_USERS:
            print(f"  {user_id:<13} {role}{' of ' + unit if unit else ''}  ({name})")
        print("In the Web UI: gear icon (Data Encoder) -> Remote Codec Endpoint http://127.0.0.1:8081 and switch on")
        print('"Include cross-origin credentials"; then Signals and Updates are sent as the logged-in user.')
        print("CLI moves: .venv/bin/python starter.py login housing-exec   (then starter.py move ...)")
        print(f"\nReports for the akim on this month ({len(water)} like appeals about water in Aksai among them):")
        for path in reports:
            print(f"  {path}")
        print("Scheduled (Web UI -> Schedules): half-year-instructions-report, district-problem-cards-monthly,")
        print("overdue-digest-weekly, case-reconciliation-hourly.")
        print("Any report, any period: .venv/bin/python starter.py report --help")
        portal_key = add_channel(registry_engine(), "demo-portal", "Демо-портал", "eotinish")
        print("\nChannels register appeals through the intake API (README, Appeals come in through channels);")
        print(f"the demo portal's key: {portal_key}")
        print(
            "  OpenAPI: http://127.0.0.1:8081/api/v1/openapi.json   Open311: http://127.0.0.1:8081/open311/v2/services.json"
        )
        print(f"An applicant follows {numbers[1]} at {status_url(numbers[1])}")
        if sink is not None:
            print(f"\nThe demo's mail (letters to applicants, notices to staff): {DEMO_MAIL}/new, one file per")
            print("message, sent by the outbox relay every minute.")
            print("Waiting or failed deliveries: .venv/bin/python starter.py outbox list")
        if args.once:
            time.sleep(3)
            return 0
        print("Ctrl-C stops the worker, the codec server and the dev server, in that order.")
        while all(p.poll() is None for p in procs):
            time.sleep(1)
        gone = next(p for p in procs if p.poll() is not None)
        print(f"demo: {gone.args!r} stopped (exit {gone.returncode}); stopping the rest")
        return 1
    except KeyboardInterrupt:
        print("\nstopping...")
        return 0
    finally:
        stop_all(procs)
        if sink is not None:
            sink.stop()


def child(*command: str) -> subprocess.Popen[bytes]:
    """One of the demo's Python processes, in its own session (Ctrl-C reaches the demo only)."""
    return subprocess.Popen(
        [sys.executable, *command], cwd=devserver.ROOT, env=os.environ.copy(), start_new_session=True
    )


def stop_all(procs: list[subprocess.Popen[bytes]]) -> None:
    """Stop the worker first (SIGTERM: it finishes what is in flight), the server last."""
    for proc in reversed(procs):
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=40)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


if __name__ == "__main__":
    code = main()
    sys.stdout.flush()
    os._exit(code)
