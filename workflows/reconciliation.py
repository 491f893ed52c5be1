"""ReconciliationWorkflow: the registry's open cards against the cases running in Temporal (issue
20), started hourly by a Schedule (or by hand). The work is in an activity; the workflow fixes the
moment the check is for, so a retry writes the same notice."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from temporalio import workflow

from models.activity_names import RECONCILE_CASES
from models.reconciliation import ReconcileRequest, ReconcileResult
from workflows.activity_calls import run_activity


@workflow.defn(name="ReconciliationWorkflow")
class ReconciliationWorkflow:
    @workflow.run
    async def run(self, raw: Any = None) -> ReconcileResult:
        settle = raw.get("settle_seconds", 5.0) if isinstance(raw, dict) else 5.0
        settle = float(settle) if isinstance(settle, int | float) and 0 <= settle <= 300 else 5.0
        request = ReconcileRequest(workflow.now().isoformat(), settle)
        return await run_activity(RECONCILE_CASES, request, local=False, timeout=timedelta(minutes=10))
