"""Every activity the worker runs is one of the typed references workflows call, and back
(issue 22, step 7): a reference no worker implements, or an activity no reference names, fails
here; mypy checks each implementation's signature against its reference."""

from __future__ import annotations

import typing
from typing import Any

from temporalio import activity

from models.activity_names import ALL, BY_NAME
from models.registry import make_engine
from worker import all_activities

NO_CLIENT: Any = object()  # the reconciliation's activity keeps its client; these tests never call it


def test_the_worker_runs_exactly_the_referenced_activities(tmp_path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'r.db'}")
    implemented = {
        str(activity._Definition.must_from_callable(fn).name): fn for fn in all_activities(engine, NO_CLIENT)
    }
    assert set(implemented) == set(BY_NAME)
    assert len(ALL) == len(BY_NAME)  # no two references share a name


def test_each_implementation_takes_and_returns_its_reference_s_types(tmp_path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'r.db'}")
    for fn in all_activities(engine, NO_CLIENT):
        ref = BY_NAME[str(activity._Definition.must_from_callable(fn).name)]
        hints = typing.get_type_hints(fn)
        result = hints.pop("return")
        (arg,) = hints.values()
        assert arg == ref.arg or typing.get_origin(arg) is ref.arg, ref.name  # list[str] is a list
        expected = ref.result
        assert result is expected or (result is None and expected is type(None)), ref.name
