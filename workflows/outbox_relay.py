"""OutboxRelayWorkflow: the outbox's letters and notices sent by their channels (issue 24), started
every minute by a Schedule (or by hand). The sending is an activity; the workflow runs it until
nothing due is left (or a few rounds, so one run stays short), then ends. A relay run never holds
a case: the cases write to the outbox and go on."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from temporalio import workflow

from models.activity_names import RELAY_OUTBOX
from models.notices import DELIVERY_NEWS, RelayRequest, RelayResult
from workflows.activity_calls import run_activity

ROUNDS = 10  # batches per run at most; the next run, a minute later, takes the rest


async def tell_cases(numbers: list[str]) -> None:
    """Tell each case its watched letter moved on; the case reads the registry itself (the
    signal carries nothing it would trust). A case that has ended is skipped."""
    for number in numbers:
        try:
            await workflow.get_external_workflow_handle(number).signal(DELIVERY_NEWS)
        except Exception as err:  # ended, or never a workflow (a letter written by hand)
            workflow.logger.info("delivery news for %s not delivered: %s", number, err)


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
            await tell_cases(done.news)
            total.news += done.news
            if done.remaining == 0 or not (done.sent or done.retried or done.failed):
                break
        return total
