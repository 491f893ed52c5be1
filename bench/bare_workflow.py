"""The baseline: a bare workflow with the same signals and activities, no state machine, no registry."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from temporalio import activity, workflow


@activity.defn(name="bare_noop")
def bare_noop(step: str) -> str:
    return step


@workflow.defn(name="BareWorkflow")
class BareWorkflow:
    def __init__(self) -> None:
        self.signals: list[str] = []

    @workflow.signal(name="move")
    def move(self, payload: Any = None) -> None:
        self.signals.append(str(payload))

    @workflow.run
    async def run(self, activities: int, signals: int) -> int:
        done = 0
        for i in range(activities):
            await workflow.execute_activity(bare_noop, f"step-{i}", start_to_close_timeout=timedelta(seconds=30))
            done += 1
            if i == activities // 2:
                await workflow.wait_condition(lambda: len(self.signals) >= signals)
        await workflow.wait_condition(lambda: len(self.signals) >= signals)
        return done
