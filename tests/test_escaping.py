"""Every text a person reads is escaped for its format; names refuse what disguises or marks up
text at the boundary (issue 20, attack 6)."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import pytest
from temporalio.client import Client
from temporalio.worker import Worker

from activities.letters import environment, template_dir
from cli import audit
from models.appeal import parse_appeal
from models.errors import InputError
from models.instruction import parse_instruction
from tests.factories import appeal_dict
from tests.scenario import move, start_appeal, until_state
from tests.test_instruction import instruction_dict
from tooling.client import data_converter
from tooling.trail import read_trail
from workflows.case_card import start_details

SCRIPT = "<script>alert(document.cookie)</script>"


async def test_a_reason_with_a_script_is_text_in_the_auditors_trail_file(client: Client, worker: Worker) -> None:
    handle = await start_appeal(client, worker, appeal_dict(category="housing"))
    await until_state(handle, "routed")
    await move(handle, "reassign", "ctl-1", "controller", target="roads-dept", reason=f"по профилю {SCRIPT}")
    trail = await read_trail(await handle.fetch_history(), data_converter())
    assert any(SCRIPT in entry.summary for entry in trail.entries)  # the reason is in the trail...
    page = audit.trail_page(trail, [f"finding {SCRIPT}"])
    assert "<script>" not in page  # ...and in the file only as text
    assert "&lt;script&gt;alert(document.cookie)&lt;/script&gt;" in page


def test_every_html_template_is_escaped() -> None:
    escaped = environment().autoescape
    assert callable(escaped)
    names = [p.relative_to(template_dir()).as_posix() for p in template_dir().rglob("*.html.j2")]
    assert "audit_trail.html.j2" in names and "ru/half_year_report.html.j2" in names
    assert all(escaped(name) for name in names)
    assert not escaped("ru/answer_letter.txt.j2")  # plain letters stay plain text


def test_static_details_show_links_and_images_as_text() -> None:
    details = start_details(
        "instruction",
        "PRI-2026-000001",
        "ru",
        [("issuer", "[Откройте протокол](https://evil.example/login) ![](https://evil.example/pixel.png)")],
    )
    assert not re.search(r"(?<!\\)\]\(|!\[", details)  # no link or image left to render
    assert "\\[Откройте протокол\\](https://evil.example/login)" in details


@pytest.mark.parametrize(
    ("name", "rule"),
    [
        ("Иван \u202eвонавИ", "bidirectional control U+202E"),
        ("Иван\u2066 Петров", "bidirectional control U+2066"),
        ("<img src=x onerror=alert(1)>", "may not contain < >"),
        ("[Иван](https://evil.example)", "may not contain [ ]"),
        ('=HYPERLINK("https://evil.example","Иван")', "may not start with '='"),
    ],
)
def test_an_applicants_name_refuses_what_disguises_or_marks_up_text(name: str, rule: str) -> None:
    raw: dict[str, Any] = appeal_dict()
    raw["applicant"]["name"] = name
    with pytest.raises(InputError) as refused:
        parse_appeal(raw)
    assert str(refused.value).startswith("applicant.name:") and rule in str(refused.value)


def test_a_text_field_refuses_bidi_controls_and_a_name_keeps_its_letters() -> None:
    raw: dict[str, Any] = appeal_dict(text="Прошу \u202eвернуть\u202c деньги")
    with pytest.raises(InputError, match="^text: contains the bidirectional control U\\+202E"):
        parse_appeal(raw)
    ok: dict[str, Any] = appeal_dict()
    ok["applicant"]["name"] = "Әлихан  Бөкейхан-Ұлы (ТОО «Шұғыла»)"
    assert parse_appeal(ok).applicant.name == "Әлихан Бөкейхан-Ұлы (ТОО «Шұғыла»)"


def test_an_instructions_executors_are_identifiers() -> None:
    raw = instruction_dict("PRI-2026-000001", datetime(2026, 12, 2, 5, 0, tzinfo=UTC))
    raw["executors"] = ["housing-dept", '=HYPERLINK("https://evil.example","housing")']
    with pytest.raises(InputError, match=r"^executors\[1\]: must be an identifier"):
        parse_instruction(raw)


def test_the_cli_shows_a_reason_as_typed_never_as_console_markup() -> None:
    from cli.core import print_status
    from cli.output import out
    from models.case_status import CaseStatus
    from models.moves import MoveRecord, Refusal

    hostile = "[link=https://evil.example]нажмите[/link] [red]срочно[/red]"
    record = MoveRecord(1, "reassign", "ctl-1", "controller", "routed", "routed", "2026-12-02T05:00:00", hostile)
    refusal = Refusal("approve", "x", "head", "routed", "2026-12-02T05:00:00", hostile)
    st = CaseStatus(
        "APL-2026-000001", "appeal", "routed", "2026-12-20", "", "roads-dept", False, "", [record], [refusal], []
    )
    with out.capture() as shown:
        print_status(st)
    text = shown.get()
    assert text.count("[link=https://evil.example]") == 2 and text.count("[red]срочно[/red]") == 2


def test_the_cli_shows_times_in_local_time_with_the_zone_named() -> None:
    from cli.core import print_status
    from cli.output import out
    from models.case_status import CaseStatus
    from models.moves import MoveRecord

    record = MoveRecord(1, "accept", "exec-1", "executor", "routed", "under_consideration", "2026-12-02T05:00:00+00:00")
    st = CaseStatus(
        "APL-2026-000001", "appeal", "under_consideration", "2026-12-20", "", "x", False, "", [record], [], []
    )
    with out.capture() as shown:
        print_status(st)
    text = shown.get()
    assert "Asia/Almaty" in text and "2026-12-02 10:00" in text and "05:00" not in text  # UTC+5 since March 2024
