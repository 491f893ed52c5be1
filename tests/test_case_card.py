"""The case card on the workflow's page in the Web UI (issue 14): the workflow's current details,
its static summary and details, and the payload examples in the signal descriptions."""

from __future__ import annotations

import json
import re
import uuid
from datetime import UTC, datetime
from typing import Any

import pytest
from temporalio.api.sdk.v1 import WorkflowMetadata
from temporalio.client import Client, WorkflowHandle, WorkflowUpdateFailedError
from temporalio.worker import Worker

from models.moves import MoveRecord, parse_move
from tests.factories import appeal_dict
from tests.scenario import REGISTRAR, hand_over, move, sealed, server_now, status
from tooling.client import start_case
from workflows.appeal_table import APPEAL_TABLES
from workflows.case_card import VALUES, CardFacts, render_card, term_line
from workflows.case_machine import CASE_PLACEHOLDER
from workflows.instruction_table import INSTRUCTION_TABLES
from workflows.kinds import WORKFLOWS
from workflows.reception_table import RECEPTION_TABLES

ALL_TABLES = [APPEAL_TABLES, RECEPTION_TABLES, INSTRUCTION_TABLES]


async def card_of(handle: WorkflowHandle[Any, Any]) -> str:
    metadata = await handle.query("__temporal_workflow_metadata", result_type=WorkflowMetadata)
    return metadata.current_details


def payloads(card: str) -> dict[str, dict[str, Any]]:
    """The ready-to-paste payload of each move the card offers, by trigger."""
    found = {}
    for trigger, payload in re.findall(r"^- `(\w+)` \([^)]+\): `(.*)`$", card, re.MULTILINE):
        found[trigger] = json.loads(payload)
    return found


@pytest.mark.parametrize("tables", ALL_TABLES, ids=lambda t: t.current.kind)
def test_every_trigger_has_an_example_that_parses(tables: Any) -> None:
    for trigger in tables.operator_triggers():
        assert trigger in tables.examples, f"{tables.current.kind}: no example for {trigger}"
        example = dict(tables.examples[trigger], actor={"id": "u1", "role": "controller"})
        move_ = parse_move(example, trigger, tables.current.details_schema)
        assert move_.trigger == trigger
        for row in tables.current.rows(trigger):
            for name in row.get("requires", []):
                assert getattr(move_, name), f"{trigger}: the example lacks the required {name}"


def test_signal_descriptions_carry_the_payload_example() -> None:
    for workflow_class in WORKFLOWS:
        tables = getattr(workflow_class, "TABLES", None)
        if tables is None:
            continue
        for trigger in tables.operator_triggers():
            handler = getattr(workflow_class, f"signal_{trigger}")
            description = handler.__temporal_signal_definition.description
            example = description.split("Payload: ", 1)[1]
            assert json.loads(example) == {"case": CASE_PLACEHOLDER, "trigger": trigger, **tables.examples[trigger]}


def test_the_term_line_counts_working_days_left_today_included() -> None:
    days = ["2026-11-26", "2026-11-27", "2026-11-30", "2026-12-01"]
    facts = CardFacts(
        "appeal",
        "APL-1",
        "routed",
        "ru",
        now=datetime(2026, 11, 26, 6, 0, tzinfo=UTC),
        term="2026-12-01",
        term_days=days,
        due_at="2026-12-01T19:00:00+00:00",
    )
    assert term_line(facts) == "01.12.2026 — осталось рабочих дней: 4 (на 26.11.2026)"
    facts.now = datetime(2026, 11, 28, 6, 0, tzinfo=UTC)  # a Saturday
    assert term_line(facts) == "01.12.2026 — осталось рабочих дней: 2 (на 28.11.2026)"
    facts.now = datetime(2026, 12, 1, 4, 0, tzinfo=UTC)
    assert term_line(facts) == "01.12.2026 — сегодня последний день срока"
    facts.now = datetime(2026, 12, 1, 19, 0, tzinfo=UTC)
    assert term_line(facts) == "01.12.2026 — **просрочено: срок истёк 01.12.2026**"
    facts.language, facts.now = "kk", datetime(2026, 11, 26, 6, 0, tzinfo=UTC)
    assert term_line(facts) == "01.12.2026 — қалған жұмыс күндері: 4 (26.11.2026 күйі бойынша)"


def test_a_card_names_the_last_move_and_a_closed_case_offers_nothing() -> None:
    record = MoveRecord(1, "approve", "head-1", "head", "answered", "closed", "2026-11-26T05:30:00+00:00")
    card = render_card(
        CardFacts("appeal", "APL-1", "closed", "kk", datetime(2026, 11, 26, 6, tzinfo=UTC), last_move=record)
    )
    assert "**Соңғы әрекет:** `approve` — head-1 (басшы), 26.11.2026 10:30" in card
    assert "Әрекет жоқ: іс жабылды." in card


async def test_an_appeal_explains_itself_on_its_page(client: Client, worker: Worker) -> None:
    appeal = appeal_dict(category="utilities", district="medeu")
    number = appeal["reg_number"]
    await start_case(
        client, "AppealWorkflow", appeal, number, worker.task_queue, who=REGISTRAR, now=await server_now(client)
    )
    handle = client.get_workflow_handle(number)
    st = await status(handle)
    while st.state == "registered":  # routed by policy at registration
        st = await status(handle)
    description = await handle.describe()
    assert await description.static_summary() == f"Обращение {number} · ЖКХ · Медеуский"  # codes by name
    details = await description.static_details()
    assert details is not None and "- Вид: заявление" in details

    card = await card_of(handle)
    assert f"### Обращение {number}" in card
    assert "**Состояние:** направлено исполнителю (`routed`)" in card
    assert "**Исполнитель:** Управление энергетики и ЖКХ" in card  # the unit by name, as letters name it
    assert "**Категория:** ЖКХ · Медеуский" in card
    assert re.search(r"\*\*Срок:\*\* \d\d\.\d\d\.\d{4} — осталось рабочих дней: 1[56] \(на ", card), card
    offered = payloads(card)
    assert set(offered) == {
        "accept",
        "reassign",
        "forward",
        "forward_part",
        "leave_without_consideration",
        "terminate_consideration",
        "extend_deadline",
        "withdraw",
        "take_under_control",
    }
    assert f'- `accept` (исполнитель): `{{"case": "{handle.id}", "trigger": "accept"}}`' in card  # what a seal binds
    # No personal data: not the applicant, the contacts or the text.
    for private in (appeal["applicant"].get("name", ""), appeal["contacts"].get("email", ""), appeal["text"][:30]):
        assert not private or private not in card

    await move(handle, "accept", "utilities-dept", "executor")
    card = await card_of(handle)
    assert "(`under_consideration`)" in card
    assert "**Последнее действие:** `accept` — utilities-dept (исполнитель)" in card
    assert "submit_answer" in payloads(card) and "accept" not in payloads(card)
    example = payloads(card)["submit_answer"]
    assert (example.pop("case"), example.pop("trigger")) == (handle.id, "submit_answer")
    st = await move(handle, "submit_answer", "utilities-dept", "executor", **example)
    assert st.state == "answered"
    card = await card_of(handle)
    assert payloads(card)["approve"] == {"case": handle.id, "trigger": "approve"}  # no rating: not under control
    st = await move(handle, "approve", "head-1", "head")
    card = await card_of(handle)  # approved: the answer is on its way (table v7)
    assert "(`answered`)" in card and "**Ответ заявителю:** утверждён, ждёт отправки" in card
    assert "approve" not in payloads(card) and "return_for_finalization" not in payloads(card)
    assert payloads(card)["mark_posted"]["details"]["notice"] == st.appeal.answer_letter
    await hand_over(handle, st)
    card = await card_of(handle)
    assert "(`closed`)" in card and "Действий нет: дело закрыто." in card
    assert "**Основание закрытия:** дан ответ" in card
    assert "**Срок:** " in card and "осталось" not in card  # a closed case counts no days
    assert f"**Характер ответа:** {VALUES['ru'][example['answer_character']]}" in card  # the outcome, in words


async def test_the_card_is_drawn_when_asked_not_at_every_activation(client: Client, engine: Any, pool: Any) -> None:
    """Issue 27: drawing the card at every move and timer was a fifth of a case's workflow code in
    replay. On a worker without the card's interceptor a routed case shows no card: its activations
    draw none. The same case on our worker shows it, drawn when asked."""
    from worker import build_worker

    async def routed_card(queue: str) -> str:
        appeal = appeal_dict()
        number = appeal["reg_number"]
        await start_case(client, "AppealWorkflow", appeal, number, queue, who=REGISTRAR, now=await server_now(client))
        handle = client.get_workflow_handle(number)
        while (await status(handle)).state == "registered":
            pass
        card = await card_of(handle)
        await handle.terminate("test over")
        return card

    ours = build_worker(client, engine, task_queue=f"tq-{uuid.uuid4()}", pool=pool)
    config = ours.config()  # ours, minus the card's interceptor
    config["task_queue"], config["interceptors"] = f"tq-{uuid.uuid4()}", []
    plain = Worker(**config)
    async with plain:
        assert await routed_card(plain.task_queue) == ""
    async with ours:
        card = await routed_card(ours.task_queue)
        assert "### Обращение" in card and "(`routed`)" in card, card


def test_values_from_payloads_are_shown_as_text_never_as_markup() -> None:
    record = MoveRecord(
        2, "reassign", "x", "head", "routed", "routed", "2026-11-26T05:30:00+00:00", actor_name="[click](http://evil)"
    )
    facts = CardFacts("appeal", "APL-1", "routed", "ru", datetime(2026, 11, 26, 6, tzinfo=UTC), last_move=record)
    facts.executor = "<img src=x onerror=alert(1)> | *bold*"
    card = render_card(facts)
    assert re.search(r"(?<!\\)[<\[]", card) is None  # every < and [ is escaped
    assert "\\<img src=x onerror=alert(1)\\> \\| \\*bold\\*" in card
    assert "\\[click\\](http://evil)" in card


async def test_an_instruction_shows_its_card_and_summary(env: Any, client: Client, worker: Worker) -> None:
    from tests.test_instruction import instruction_dict, new_number

    number = new_number()
    data = instruction_dict(number, await env.get_current_time())
    await start_case(
        client, "InstructionWorkflow", data, number, worker.task_queue, who=REGISTRAR, now=await server_now(client)
    )
    handle = client.get_workflow_handle(number)
    card = ""
    for _ in range(100):
        card = await card_of(handle)
        if "Отчётный период" in card:
            break
    assert f"### Поручение {number}" in card
    assert "**Отчётный период:** 1" in card
    assert re.search(r"\*\*Срок:\*\* \d\d\.\d\d\.\d{4} — осталось рабочих дней: \d+", card), card
    offered = payloads(card)
    assert "report" in offered and offered["report"] == {"case": number, "trigger": "report", "answer_text": "..."}
    assert "approve_proposal" not in offered  # none awaits the head
    description = await handle.describe()
    assert await description.static_summary() == f"Поручение {number}"
    details = await description.static_details()
    assert details is not None and "- Вид: ежемесячный контроль" in details
    assert "- Исполнители: Управление жилищной политики, " in details  # units by name
    st = await status(handle)
    assert st.state != "registered"


async def test_reassign_takes_only_a_known_executor_and_a_hostile_target_changes_nothing(
    client: Client, worker: Worker
) -> None:
    """reassign hands the appeal only to an executor of the routing policy (table v4): a hostile
    target is refused with the rule, changes nothing and fails no workflow task; sent as a signal it
    is refused and recorded; the card shows the executor as text."""
    from temporalio.api.enums.v1 import EventType

    appeal = appeal_dict(category="housing")
    number = appeal["reg_number"]
    await start_case(
        client, "AppealWorkflow", appeal, number, worker.task_queue, who=REGISTRAR, now=await server_now(client)
    )
    handle = client.get_workflow_handle(number)
    while (await status(handle)).state == "registered":
        pass
    hostile = '<img src=x onerror="alert(1)"> [x](javascript:alert(1)) | `code`'
    before = await status(handle)
    with pytest.raises(WorkflowUpdateFailedError) as refused:
        await move(handle, "reassign", "ctl-1", "controller", target=hostile, reason="...")
    assert "is not an executor of the routing policy" in str(refused.value.cause)
    assert "condition target_is_known_executor" in str(refused.value.cause)
    assert (await status(handle)).history == before.history
    st = await move(handle, "reassign", "ctl-1", "controller", target="utilities-dept", reason="...")
    assert st.executor == "utilities-dept" and st.table_version >= 4  # reassign checks since v4
    payload = {"actor": {"id": "ctl-1", "role": "controller"}, "target": hostile, "reason": "..."}
    await handle.signal("reassign", await sealed(handle, "reassign", payload))
    while not (await status(handle)).refusals:
        pass
    card = await card_of(handle)
    assert "**Исполнитель:** Управление энергетики и ЖКХ" in card and "<img" not in card
    history = await handle.fetch_history()
    assert not [e for e in history.events if e.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED]


def test_an_open_case_with_nothing_to_do_now_is_not_called_closed_and_a_closed_one_says_why() -> None:
    """Issue 23: an open reception's card said "case closed" when no move was offered; a closed
    card did not say why it closed."""
    from workflows.case_card import CLOSURES

    now = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)
    waiting = render_card(CardFacts(kind="reception", number="RCP-2026-000001", state="under_consideration",
                                    language="ru", now=now))  # fmt: skip
    assert "дело закрыто" not in waiting and "Сейчас действий нет" in waiting
    reason = ("closure", CLOSURES["kk"]["answered"])
    closed = render_card(CardFacts(kind="appeal", number="APL-2026-000001", state="closed", language="kk", now=now,
                                   facts=[reason]))  # fmt: skip
    assert "Жабу негізі" in closed and "жауап берілді" in closed and "іс жабылды" in closed
