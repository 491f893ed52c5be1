"""Workflows that break the rules, to show the worker's sandbox still stops them (test_sandbox)."""

from __future__ import annotations

from datetime import datetime, timedelta

from temporalio import activity, workflow

from models.case_status import CaseStatus  # noqa: F401  (a passed-through module of ours)


@activity.defn(name="probe_echo")
def probe_echo(text: str) -> str:
    return text


@workflow.defn(name="ClockReader")
class ClockReader:
    @workflow.run
    async def run(self) -> str:
        return datetime.now().isoformat()


@workflow.defn(name="FileOpener")
class FileOpener:
    @workflow.run
    async def run(self) -> str:
        with open("/etc/hostname", encoding="utf-8") as f:
            return f.read()


@workflow.defn(name="WellBehaved")
class WellBehaved:
    """Activities, a local activity and a timer: each payload goes through the codec with the
    serialization context the sandbox's instance gives."""

    @workflow.run
    async def run(self, text: str) -> str:
        first = await workflow.execute_activity(probe_echo, text, start_to_close_timeout=timedelta(seconds=10))
        await workflow.sleep(timedelta(hours=1))
        second = await workflow.execute_local_activity(probe_echo, first, start_to_close_timeout=timedelta(seconds=10))
        return f"{second} at {workflow.now().date().isoformat()}"
