"""The next version of the appeal table for the versioning drill (tests/test_table_versions.py):
the current table with one row changed, accepting an appeal requires a reason. Kept in its own
small module so the workflow sandbox imports only what a real deployment would."""

from __future__ import annotations

import copy
from typing import Any

from temporalio import workflow

from models.case_status import CaseStatus
from workflows.appeal import AppealWorkflow
from workflows.appeal_table import APPEAL_TABLES
from workflows.case_machine import Table, TableVersions

CURRENT = APPEAL_TABLES.current.version


def next_version() -> Table:
    rows = copy.deepcopy(APPEAL_TABLES.current.transitions)
    accept = next(r for r in rows if r["trigger"] == "accept")
    accept["requires"] = ["reason"]  # the changed rule
    return Table(kind="appeal", transitions=rows, version=CURRENT + 1)


@workflow.defn(name="AppealWorkflow")
class AppealWorkflowV2(AppealWorkflow):
    """The appeal as deployed after the change: every version known, new cases take the next one."""

    TABLES = TableVersions((*APPEAL_TABLES.tables, next_version()), APPEAL_TABLES.examples)

    @workflow.init
    def __init__(self, run: Any) -> None:
        super().__init__(run)

    @workflow.run
    async def run(self, run: Any) -> CaseStatus:
        return await super().run(run)
