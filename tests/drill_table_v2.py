"""Version 2 of the appeal table for the versioning drill (tests/test_table_versions.py): one row
changed, accepting an appeal requires a reason. Kept in its own small module so the workflow
sandbox imports only what a real deployment would."""

from __future__ import annotations

import copy
from typing import Any

from temporalio import workflow

from models.case_status import CaseStatus
from workflows.appeal import AppealWorkflow
from workflows.appeal_table import APPEAL_TABLES, APPEAL_TRANSITIONS
from workflows.case_machine import Table, TableVersions


def version_2() -> Table:
    rows = copy.deepcopy(APPEAL_TRANSITIONS)
    accept = next(r for r in rows if r["trigger"] == "accept")
    accept["requires"] = ["reason"]  # the changed rule
    return Table(kind="appeal", transitions=rows, version=2)


@workflow.defn(name="AppealWorkflow")
class AppealWorkflowV2(AppealWorkflow):
    """The appeal as deployed after the change: both versions known, new cases take version 2."""

    TABLES = TableVersions((*APPEAL_TABLES.tables, version_2()))

    @workflow.init
    def __init__(self, run: Any) -> None:
        super().__init__(run)

    @workflow.run
    async def run(self, run: Any) -> CaseStatus:
        return await super().run(run)
