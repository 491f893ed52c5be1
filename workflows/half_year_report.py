"""HalfYearReportWorkflow: the half-year report on instructions for the akim (seed 7.6), started by
a Temporal Schedule twice a year."""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow

from models.activity_names import WRITE_HALF_YEAR_REPORT
from models.notices import HalfYearRequest
from workflows.activity_calls import run_activity


@workflow.defn(name="HalfYearReportWorkflow")
class HalfYearReportWorkflow:
    @workflow.run
    async def run(self, request: HalfYearRequest | None = None) -> str:
        """Report on the half-year ending at the scheduled time (or the date given)."""
        end = request.period_end if request and request.period_end else workflow.now().date().isoformat()
        return await run_activity(
            WRITE_HALF_YEAR_REPORT, HalfYearRequest(end), local=False, timeout=timedelta(minutes=5)
        )
