"""Every trigger of every version of every kind's table has its handler, every condition its
method and its explanation, every details schema parses, and every operator trigger is a
permission somebody holds: adding a row without the rest fails here."""

from __future__ import annotations

import inspect

import pytest

from policies.permissions import permission_matrix
from tests.scenario import valid_details
from workflows.kinds import KINDS, Kind


@pytest.mark.parametrize("kind", KINDS, ids=lambda k: k.name)
def test_every_trigger_has_a_handler(kind: Kind) -> None:
    for table in kind.tables.tables:
        for trigger in table.triggers():
            handler = getattr(kind.workflow, f"on_{trigger}", None)
            assert handler is not None and inspect.iscoroutinefunction(handler), (kind.name, table.version, trigger)


@pytest.mark.parametrize("kind", KINDS, ids=lambda k: k.name)
def test_every_condition_has_a_method_and_an_explanation(kind: Kind) -> None:
    for table in kind.tables.tables:
        for condition in table.conditions():
            assert callable(getattr(kind.case, condition, None)), (kind.name, condition)
            assert callable(getattr(kind.case, f"explain_{condition}", None)), (kind.name, condition)


@pytest.mark.parametrize("kind", KINDS, ids=lambda k: k.name)
def test_every_operator_trigger_is_somebodys_and_every_signal_is_offered(kind: Kind) -> None:
    matrix = permission_matrix(kind.name)
    for trigger in kind.tables.operator_triggers():
        assert matrix.roles_for(trigger), f"{kind.name}: nobody may trigger {trigger!r}"
        assert hasattr(kind.workflow, f"signal_{trigger}"), (kind.name, trigger)
    granted = {t for triggers in matrix.grants.values() for t in triggers}
    assert granted <= set(kind.table.operator_triggers()), "permissions name a trigger the table lacks"


@pytest.mark.parametrize("kind", KINDS, ids=lambda k: k.name)
def test_every_details_schema_parses_its_minimal_example(kind: Kind) -> None:
    from models.schema import parse_object

    for trigger in kind.table.triggers():
        schema = kind.table.details_schema(trigger)
        if schema is not None:
            parse_object(schema, valid_details(kind.table, trigger), "details")
