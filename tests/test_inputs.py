"""Bad input is refused with the field and the rule named: parsers and the CLI."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from models.appeal import parse_appeal
from models.errors import InputError
from models.identity import identity_problem, with_check_digit
from models.moves import parse_move
from tests.factories import appeal_dict, register_args, valid_bin, valid_iin

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"reg_number": "42"}, "reg_number"),
        ({"channel": "pigeon"}, "channel"),
        ({"language": "en"}, "language"),
        ({"text": ""}, "text"),
        ({"text": "x" * 20_001}, "text"),
        ({"text": "bad\x00byte"}, "text"),
        ({"received_at": "yesterday"}, "received_at"),
        ({"received_at": "1899-01-01T00:00:00"}, "received_at"),
        ({"applicant": {"kind": "person", "name": "A", "iin": "850315300001"}}, "applicant.iin"),
        ({"applicant": {"kind": "company", "name": "ТОО", "bin": "12345"}}, "applicant.bin"),
        ({"applicant": {"kind": "robot"}}, "applicant.kind"),
        (
            {"applicant": {"kind": "person", "name": "A", "iin": valid_iin(), "applicants_count": 0}},
            "applicant.applicants_count",
        ),
        ({"contacts": {"email": "not-mail"}}, "contacts.email"),
        ({"applicant": "Иванов"}, "applicant"),
        (
            {"attachments": [{"name": "a.pdf", "size_bytes": 11 * 1024 * 1024, "sha256": "0" * 64}]},
            "attachments[1].size_bytes",
        ),
        (
            {"attachments": [{"name": f"{i}.pdf", "size_bytes": 1, "sha256": "0" * 64} for i in range(11)]},
            "attachments",
        ),
        (
            {
                "attachments": [
                    {"name": f"{i}.pdf", "size_bytes": 9 * 1024 * 1024, "sha256": "0" * 64} for i in range(3)
                ]
            },
            "attachments",
        ),
        ({"attachments": [{"name": "a.pdf", "size_bytes": 1, "sha256": "xyz"}]}, "attachments[1].sha256"),
    ],
)
def test_appeal_errors_name_the_field(change: dict[str, Any], field: str) -> None:
    with pytest.raises(InputError) as err:
        parse_appeal(appeal_dict(**change))
    assert err.value.field == field


def test_valid_company_and_anonymous_appeals() -> None:
    company = parse_appeal(appeal_dict(applicant={"kind": "company", "name": "ТОО Ромашка", "bin": valid_bin(3)}))
    assert company.applicant.identity() == company.applicant.bin
    anonymous = parse_appeal(appeal_dict(applicant={"kind": "anonymous"}, contacts={}))
    assert anonymous.applicant.identity() == ""


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="0123456789", min_size=11, max_size=11))
def test_check_digit_round_trip(first11: str) -> None:
    full = with_check_digit(first11)
    if full is None:
        return
    problem = identity_problem(full, "BIN")
    assert problem is None or "YYMM" in problem
    wrong = full[:11] + str((int(full[11]) + 1) % 10)
    assert identity_problem(wrong, "BIN") == "BIN check digit is wrong"


@settings(max_examples=300, deadline=None)
@given(
    st.one_of(
        st.none(),
        st.integers(),
        st.text(max_size=20),
        st.lists(st.integers(), max_size=3),
        st.dictionaries(
            st.sampled_from(["trigger", "actor", "reason", "answer_character", "new_deadline"]),
            st.one_of(
                st.text(max_size=30),
                st.integers(),
                st.none(),
                st.fixed_dictionaries({"id": st.text(max_size=5), "role": st.text(max_size=5)}),
            ),
        ),
    )
)
def test_move_parser_never_crashes(payload: Any) -> None:
    try:
        move = parse_move(payload)
    except InputError as err:
        assert err.field and err.rule
    else:
        assert move.trigger and move.actor.id and move.actor.role


def run_cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "starter.py", *args], cwd=ROOT, capture_output=True, text=True, timeout=60, env=env
    )


def test_cli_refuses_bad_input_in_one_line(tmp_path: Path) -> None:
    import os

    env = dict(os.environ, DATABASE_URL=f"sqlite:///{tmp_path / 'r.db'}", TEMPORAL_ADDRESS="127.0.0.1:1")
    cases = [
        (register_args(iin="850315300001"), "applicant.iin"),
        (register_args(type="gossip"), "type: unknown value 'gossip'"),
        (["move", "APL-2026-000001", "approve", "--details", "{not json"], "details: not JSON"),
        (
            ["move", "APL-2026-000001", "extend_deadline", "--actor", "u", "--role", "head", "--new-deadline", "soon"],
            "new_deadline",
        ),
        (["import", str(tmp_path / "missing.csv")], "does not exist"),
    ]
    for args, expected in cases:
        result = run_cli(*args, env=env)
        assert result.returncode == 2, (args, result.stderr)
        lines = [line for line in result.stderr.splitlines() if line.strip()]
        assert len(lines) == 1 and expected in lines[0] and "Traceback" not in result.stderr, (args, result.stderr)


def test_diagrams_are_current() -> None:
    result = run_cli("docs", "--check")
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize(
    ("change", "anonymous", "defects"),
    [
        ({"applicant": {"kind": "person", "iin": valid_iin()}}, True, []),  # no name
        ({"contacts": {}}, True, []),  # no contact to answer to
        ({"applicant": {"kind": "person", "name": "Айгерим"}}, False, ["applicant.iin"]),  # no IIN
        ({"applicant": {"kind": "company", "name": "ТОО Су"}}, False, ["applicant.bin"]),  # no BIN
    ],
)
def test_an_incomplete_appeal_is_registered_not_refused(
    change: dict[str, Any], anonymous: bool, defects: list[str]
) -> None:
    """Issue 21.7: registration is mandatory (domain.md). An appeal without a name or any contact
    is registered and then left without consideration (ground `anonymous`); one without an IIN/BIN
    is registered, considered and marked for correction."""
    from models.appeal import defects_of

    appeal = parse_appeal(appeal_dict(**change))
    assert appeal.is_anonymous() is anonymous
    assert [d.split(":")[0] for d in defects_of(appeal.applicant)] == defects
