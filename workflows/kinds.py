"""Every controlled workflow kind, once: the worker, the CLI, the audit tools, the diagrams and the
tests take the kinds from here, so adding a kind needs no edits in scattered lists."""

from __future__ import annotations

from dataclasses import dataclass

from workflows.appeal import AppealWorkflow
from workflows.appeal_case import AppealCase
from workflows.appeal_table import APPEAL_TABLES
from workflows.case_machine import CaseModel, Table, TableVersions
from workflows.controlled import ControlledWorkflow
from workflows.half_year_report import HalfYearReportWorkflow
from workflows.instruction import InstructionWorkflow
from workflows.instruction_case import InstructionCase
from workflows.instruction_table import INSTRUCTION_TABLES
from workflows.outbox_relay import OutboxRelayWorkflow
from workflows.reception import ReceptionWorkflow
from workflows.reception_case import ReceptionCase
from workflows.reception_table import RECEPTION_TABLES
from workflows.reconciliation import ReconciliationWorkflow
from workflows.report import ReportWorkflow


@dataclass(frozen=True)
class Kind:
    name: str  # as in policies/permissions.yaml and CaseKind
    workflow: type[ControlledWorkflow]
    tables: TableVersions
    case: type[CaseModel]
    prefix: str  # of its registration numbers
    # The fixed facts the Web UI lists a case by (its static summary and details; no personal
    # data): (label in workflows/case_card.py, field of the kind's input).
    listed_by: tuple[tuple[str, str], ...] = ()

    @property
    def table(self) -> Table:
        """The current version of the kind's table (new cases run under it)."""
        return self.tables.current


KINDS: tuple[Kind, ...] = (
    Kind(
        "appeal",
        AppealWorkflow,
        APPEAL_TABLES,
        AppealCase,
        "APL",
        (("type", "type"), ("category", "category"), ("district", "district")),
    ),
    Kind(
        "reception",
        ReceptionWorkflow,
        RECEPTION_TABLES,
        ReceptionCase,
        "RCP",
        (("category", "category"), ("district", "district"), ("type", "format")),
    ),
    Kind(
        "instruction",
        InstructionWorkflow,
        INSTRUCTION_TABLES,
        InstructionCase,
        "PRI",
        (("type", "control"), ("executors", "executors")),
    ),
)
BY_NAME = {kind.name: kind for kind in KINDS}


PREFIXES = tuple(kind.prefix for kind in KINDS)
# A card's kind (the registry's `kind`) and the kind whose permissions and table it runs under: an
# instruction given at a reception is an appeal's workflow.
CARD_KINDS = {**{kind.name: kind for kind in KINDS}, "reception_instruction": BY_NAME["appeal"]}


def kind_of_card(card_kind: str) -> Kind:
    """The kind a registry card runs under (an unknown or missing card: the appeal's)."""
    return CARD_KINDS.get(card_kind, BY_NAME["appeal"])


def placeholder_number(kind: str) -> str:
    """A number of the kind's form, for validating an input before its number is taken."""
    return f"{BY_NAME[kind].prefix}-2000-000000"


def kind_of_number(number: str) -> Kind | None:
    """The kind a registration number belongs to, by its prefix (`APL-2026-000042`); an
    instruction given at a reception (`RCP-2026-000001-2`, one part more) is an appeal's workflow."""
    parts = number.split("-")
    for kind in KINDS:
        if parts[0] == kind.prefix:
            return BY_NAME["appeal"] if kind.name == "reception" and len(parts) > 3 else kind
    return None


BY_WORKFLOW = {kind.workflow.__name__: kind for kind in KINDS}  # by workflow type name
# Every workflow a worker runs: the controlled kinds, the scheduled reports and the reconciliation.
WORKFLOWS: list[type] = [
    *(kind.workflow for kind in KINDS),
    HalfYearReportWorkflow,
    ReportWorkflow,
    ReconciliationWorkflow,
    OutboxRelayWorkflow,
]
