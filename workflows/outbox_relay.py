"""OutboxRelayWorkflow: the outbox's letters and notices sent by their channels (issue 24), started
every minute by a Schedule (or by hand). The sending is an activity; the workflow runs it until
nothing due is left (or a few rounds, so one run stays short), then ends. A relay run never holds
a case: the cases write to the outbox and go on."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from temporalio import workflow

from models.activity_names import RELAY_OUTBOX
from models.notices import RelayRequest, RelayResult
from workflows.activity_calls import run_activity

ROUNDS = 10  # batches per run at most; the next run, a minute later, takes the rest


@workflow.defn(name="OutboxRelayWorkflow")
class OutboxRelayWorkflow:
    @workflow.run
    async def run(self, raw: Any = None) -> RelayResult:
        total = RelayResult()
        for _ in range(ROUNDS):
            done = await run_activity(RELAY_OUTBOX, RelayRequest(), local=False, timeout=timedelta(minutes=10))
            for name in ("sent", "retried", "failed", "waiting"):
                setattr(total, name, getattr(total, name) + getattr(done, name))
            total.failed_cases += done.failed_cases
            total.remaining = done.remaining
            if done.remaining == 0 or not (done.sent or done.retried or done.failed):
                break
        return total
