"""ReportWorkflow: a report for the akim (systemic issues, district cards, executors' performance,
the weekly digest), started by a Temporal Schedule or the CLI. The work is in activities; the
workflow fixes the day the report is for, so a retry or a replay writes the same report."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from temporalio import workflow

from models.activity_names import SEND_DIGEST, WRITE_REPORT
from models.errors import InputError
from models.notices import ReportRequest, ReportResult, parse_report_request
from runtime.failures import invalid
from workflows.activity_calls import run_activity


@workflow.defn(name="ReportWorkflow")
class ReportWorkflow:
    @workflow.run
    async def run(self, raw: Any) -> ReportResult:
        try:
            request = parse_report_request(raw)
        except InputError as error:
            raise invalid(f"invalid report request: {error}") from None
        day = request.day or workflow.now().isoformat()  # the activity takes its local date
        fixed = ReportRequest(request.kind, request.language, request.district, day, request.start, request.end)
        result = await run_activity(WRITE_REPORT, fixed, local=False, timeout=timedelta(minutes=10))
        if request.kind == "digest":
            sent = await run_activity(SEND_DIGEST, fixed, local=False, timeout=timedelta(minutes=5))
            result.summary["notices"] = sent
        return result
