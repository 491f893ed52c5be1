"""The operators' workbench (issue 23), driven by Playwright in the system's Chromium against a real
dev server and worker: a registrar registers an appeal in a form; the executor takes it, answers;
the head returns it (in Kazakh), the executor answers again, the head approves; the closed case
shows the answer letter. Refusals are shown on the page, in words, and change nothing."""

from __future__ import annotations

import asyncio
import os
import re
import threading
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import Session
from temporalio.testing import WorkflowEnvironment

import web.serve as codec_server
from models.registry import CaseRecord
from tests.conftest import Served
from tests.factories import valid_iin
from tests.test_web_ui import CHROMIUM, browser_installed, free_port  # noqa: F401  (the fixture applies here)
from tooling.users import add_user

PASSWORD = "long enough password"
USERS = [
    ("reg.one", "Регистратор Один", "registrar", ""),
    ("exec.one", "Исполнитель Жилищный", "executor", "housing-dept"),
    ("head.one", "Руководитель Отдела", "head", ""),
    ("housing-head", "Руководитель управления", "official", ""),
    ("ctrl.one", "Контролёр Отдела", "controller", ""),
]


@dataclass
class Bench:
    url: str
    served: Served


@pytest.fixture
async def bench(dev_env: WorkflowEnvironment, served: Served) -> AsyncIterator[Bench]:
    for user_id, name, role, unit in USERS:
        add_user(served.engine, user_id, name, [role], unit, PASSWORD)
    # The dev server is the session's, each registry the test's own: numbers start past earlier tests'.
    from models.registry import RegistrationCounter
    from policies.calendar import local_year
    from workflows.kinds import PREFIXES

    with Session(served.engine) as session:
        start = int(uuid.uuid4().int % 10**4) * 10
        session.add_all(RegistrationCounter(prefix=p, year=local_year(), last=start) for p in PREFIXES)
        session.commit()
    port = free_port()
    address = dev_env.client.service_client.config.target_host
    http = codec_server.serve(port, (), engine=served.engine, temporal_address=address)
    threading.Thread(target=http.serve_forever, daemon=True).start()
    try:
        yield Bench(f"http://127.0.0.1:{port}", served)
    finally:
        http.shutdown()


async def until_card(bench: Bench, number: str, holds: Callable[[CaseRecord], bool] = bool) -> CaseRecord:
    """The case's card once the workflow has written it as the test expects."""
    for _ in range(200):
        found = card(bench, number)
        if found is not None and holds(found):
            return found
        await asyncio.sleep(0.05)
    raise AssertionError(f"{number}: the registry's card never got there: {card(bench, number)}")


@asynccontextmanager
async def browsing() -> AsyncIterator[Any]:
    """A page in the system's Chromium."""
    from playwright.async_api import async_playwright

    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        page = await browser.new_page()
        page.set_default_timeout(20_000)
        try:
            yield page
        finally:
            await browser.close()


async def log_in(page: Any, bench: Bench, user: str, onward: str) -> None:
    await page.goto(f"{bench.url}/login?next={onward}")
    await page.fill("input[name=user]", user)
    await page.fill("input[name=password]", PASSWORD)
    await page.get_by_role("button", name=re.compile("Войти")).click()
    await page.wait_for_url(re.compile(re.escape(onward) + "$"))


def card(bench: Bench, number: str) -> CaseRecord | None:
    with Session(bench.served.engine) as session:
        return session.get(CaseRecord, number)


SHOTS = os.environ.get("APPEALS_SCREENSHOTS", "")  # a folder: the pages are saved there (docs/screenshots)


CONTRAST = """() => {
    // WCAG 2.1 contrast of every visible text against the background it is drawn on (1.4.3: at
    // least 4.5:1, 3:1 for large text).
    const rgb = c => (c.match(/[\\d.]+/g) || []).map(Number);
    const lum = ([r, g, b]) => [r, g, b]
        .map(v => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; })
        .reduce((s, v, i) => s + v * [0.2126, 0.7152, 0.0722][i], 0);
    const ratio = (a, b) => { const [x, y] = [lum(a), lum(b)].sort((p, q) => q - p); return (x + 0.05) / (y + 0.05); };
    const ground = e => { for (; e; e = e.parentElement) { const c = rgb(getComputedStyle(e).backgroundColor);
        if (c.length === 3 || c[3] > 0) return c.slice(0, 3); } return [255, 255, 255]; };
    const found = [];
    for (const e of document.querySelectorAll('body *')) {
        const text = [...e.childNodes].some(n => n.nodeType === 3 && n.textContent.trim());
        if (!text || !e.getClientRects().length) continue;
        const style = getComputedStyle(e);
        const size = parseFloat(style.fontSize);
        const large = size >= 24 || (size >= 18.66 && +style.fontWeight >= 700);
        const r = ratio(rgb(style.color).slice(0, 3), ground(e));
        if (r < (large ? 3 : 4.5)) found.push(`${e.tagName} "${e.textContent.trim().slice(0, 20)}" ${r.toFixed(2)}:1`);
    }
    return found;
}"""


async def shot(page: Any, name: str) -> None:
    """Save the page for the documentation when asked, and check what a screen reader and a
    keyboard need: the page's language, a label for every field, words on every link and button,
    text contrast (WCAG 1.4.3) and a visible focus on whatever the keyboard reaches."""
    problems = await page.evaluate(
        """() => {
        const found = [];
        if (!['ru', 'kk'].includes(document.documentElement.lang)) found.push('lang');
        for (const e of document.querySelectorAll('input:not([type=hidden]), select, textarea'))
            if (!e.labels || e.labels.length === 0) found.push('unlabelled ' + e.name);
        for (const e of document.querySelectorAll('a, button'))
            if (!e.textContent.trim()) found.push('no words on a ' + e.tagName);
        return found;
    }"""
    )
    problems += await page.evaluate(CONTRAST)
    if SHOTS and name:  # before the keyboard moves the focus
        await page.screenshot(path=str(Path(SHOTS) / f"workbench-{name}.png"), full_page=True)
    await page.keyboard.press("Tab")  # the first stop: the skip link, shown with a focus outline
    focus = await page.evaluate(
        "() => [document.activeElement.textContent.trim(), getComputedStyle(document.activeElement).outlineStyle]"
    )
    if focus[1] in ("none", ""):
        problems.append(f"no visible focus on {focus[0]!r}")
    assert problems == [], (name, problems)


async def tab_to(page: Any, words: str, limit: int = 80) -> None:
    """Press Tab until the focus is on the link or button with these words (as a keyboard user)."""
    for _ in range(limit):
        await page.keyboard.press("Tab")
        if await page.evaluate("() => document.activeElement.textContent.trim()") == words:
            return
    raise AssertionError(f"the keyboard never reaches {words!r}")


async def by_keyboard(page: Any, move: str, send: str = "Отправить") -> str:
    """A move made with the keyboard alone: from the case page to its form, and sent."""
    await tab_to(page, move)
    await page.keyboard.press("Enter")
    await page.wait_for_url(re.compile(r"/work/case/[^/]+/[a-z_]+$"))
    await tab_to(page, send)
    await page.keyboard.press("Enter")
    await page.wait_for_load_state()
    return str(await page.locator("[role=status]").inner_text())


async def make(page: Any, move: str, **fields: str) -> str:
    """Open the move's form from the case page, fill it, send it; the page's message."""
    await page.get_by_role("link", name=move, exact=True).click()
    for name, value in fields.items():
        box = page.locator(f"[name='{name}']")
        if await box.evaluate("e => e.tagName") == "SELECT":
            await box.select_option(value)
        else:
            await box.fill(value)
    await page.get_by_role("button", name=re.compile("Отправить|Жіберу")).click()
    return str(await page.locator("[role=status]").inner_text())


@pytest.mark.parametrize("language", ["ru", "kk"])
async def test_an_official_takes_an_appeal_from_registration_to_its_answer_letter(bench: Bench, language: str) -> None:
    """The whole appeal in one language, every word on the page read from that language's labels:
    registered (a bad IIN refused first), taken with the keyboard, a move not the executor's refused,
    answered, returned, answered again, approved; the head reads the answer letter."""
    from web.workbench.words import Words

    w = Words(language)
    send = w("send")
    async with browsing() as page:
        # Not logged in: the workbench sends the user to the log-in, and back after it.
        await page.goto(f"{bench.url}/work")
        assert "/login" in page.url and "сессия истекла" in await page.locator(".err").inner_text()
        await page.goto(f"{bench.url}/work/lang/{language}?back=/work")  # the language is the browser's choice

        # The registrar registers an appeal; a bad IIN is refused on the page first, naming the field.
        await log_in(page, bench, "reg.one", "/work/register")
        await shot(page, f"register-{language}")
        form = {"category": "housing", "district": "almaly", "text": "Протекает крыша дома.", "name": "Айгуль"}
        await fill(page, **form, iin="123456789012", email="a@b.kz", language=language)
        await page.get_by_role("button", name=send).click()
        refusal = await page.locator("[role=status]").inner_text()
        named = w.own["refusals"]["invalid_field"].split("{rule}")[0].format(field=w("iin"))
        assert refusal.startswith(w("refused", why=named))  # the field by its label on the form
        await page.fill("[name='iin']", valid_iin())
        number = await registered(page, "APL")
        assert w("registered_as", number=number) in await page.locator("[role=status]").inner_text()
        routed = await until_card(bench, number, lambda c: c.state == "routed")  # by the routing policy
        assert routed.executor == "housing-dept"

        # The executor finds it among their cases and takes it; a move not theirs is refused, in words.
        await log_in(page, bench, "exec.one", "/work")
        await shot(page, f"my-cases-{language}")
        await page.get_by_role("link", name=number).click()
        await shot(page, f"case-{language}")
        assert w.executor("housing-dept") in await page.content()  # the unit by its name
        done = await by_keyboard(page, w.trigger("accept"), send)  # no mouse: Tab to the move, Enter, Tab, Enter
        assert done == w("done", move=w.trigger("accept"), state=w.state("appeal", "under_consideration"))
        await page.goto(f"{bench.url}/work/case/{number}/approve")
        await page.get_by_role("button", name=send).click()
        refused = await page.locator("[role=status]").inner_text()  # worded here from the engine's code
        executor, approve = w.role("executor"), w.trigger("approve")
        may_not = w.own["refusals"]["role_may_not"].split("{allowed}")[0].format(role=executor, move=approve)
        assert refused.startswith(w("refused", why=may_not))
        await shot(page, f"refused-{language}")
        assert card(bench, number).state == "under_consideration"  # type: ignore[union-attr]
        await page.goto(f"{bench.url}/work/case/{number}")
        text = {"answer_text": "Кровля будет отремонтирована в мае.", "answer_character": "satisfied"}
        done = await make(page, w.trigger("submit_answer"), **text)
        assert done == w("done", move=w.trigger("submit_answer"), state=w.state("appeal", "answered"))

        # The head returns the answer; the executor answers again; the head approves it.
        await log_in(page, bench, "head.one", f"/work/case/{number}")
        done = await make(page, w.trigger("return_for_finalization"), reason="Мерзімін нақтылаңыз.")
        assert done == w(
            "done", move=w.trigger("return_for_finalization"), state=w.state("appeal", "returned_for_finalization")
        )
        await log_in(page, bench, "exec.one", f"/work/case/{number}")
        text["answer_text"] = "Кровля будет отремонтирована до 15 мая."
        await make(page, w.trigger("submit_answer"), **text)
        await log_in(page, bench, "head.one", "/work")  # what waits for the head's decision, first
        assert w("answers_to_approve", n=1) in await page.content()
        await shot(page, f"waiting-{language}")
        await page.get_by_role("link", name=number).click()
        done = await make(page, w.trigger("approve"))  # signed: given when it reaches the applicant
        assert done == w("done", move=w.trigger("approve"), state=w.state("appeal", "answered"))
        letter = page.locator("details", has_text=w.template("answer_letter"))  # the letter, named in words
        assert w("delivery_queued") in await letter.locator("summary").inner_text()  # its delivery, in words
        assert await letter.get_by_label(w("tracking")).count() == 0  # the head does not post letters

        # The registry office hands the letter over: the delivery is recorded and the appeal closes.
        await log_in(page, bench, "reg.one", f"/work/case/{number}")
        letter = page.locator("details", has_text=w.template("answer_letter"))
        await letter.locator("summary").click()
        await letter.get_by_label(w("tracking")).fill("RA123456789KZ")
        await letter.get_by_role("button", name=w("post")).click()
        assert await page.locator("[role=status]").inner_text() == w("posted")
        await until_card(bench, number, lambda c: c.state == "closed")
        await page.goto(f"{bench.url}/work/case/{number}")
        await shot(page, f"closed-{language}")
        assert f"{w('closure')}: {w.closure('answered')}" in await page.content()  # why closed, in words
        assert w.trigger("approve_proposal") not in await page.locator(".moves").inner_text()  # none awaits
        letter = page.locator("details", has_text=w.template("answer_letter"))
        assert "RA123456789KZ" not in await letter.locator("summary").inner_text()
        await letter.locator("summary").click()
        assert "Кровля будет отремонтирована до 15 мая." in await letter.inner_text()  # the head reads the answer
        closed = card(bench, number)
        assert closed is not None and closed.state == "closed" and closed.closure_reason == "answered"


def test_a_refusal_is_worded_in_each_language_from_its_code_and_parameters() -> None:
    from web.workbench.words import Words

    details = ({"code": "not_in_state", "params": {"move": "approve", "state": "routed"}},)
    assert Words("ru").refusal("x", details, "appeal") == (
        "Действие «Утвердить ответ» недоступно в состоянии «направлено исполнителю»."
    )
    assert (
        Words("kk").refusal("x", details, "appeal")
        == "«Жауапты бекіту» әрекеті «орындаушыға жіберілді» күйінде қолжетімсіз."
    )
    condition = ({"code": "condition", "params": {"move": "reassign", "condition": "target_is_new_executor"}},)
    assert Words("kk").refusal("x", condition, "appeal") == (
        "«Басқа орындаушыға беру» әрекеті қазір мүмкін емес: жаңа орындаушы қазіргіден өзге болуы керек."
    )
    assert Words("ru").refusal("the engine's words", ({"code": "new_code", "params": {}},), "appeal") == (
        "the engine's words"
    )


def test_every_word_is_in_both_languages() -> None:
    import yaml

    from web.workbench.words import HERE

    labels = yaml.safe_load((HERE / "labels.yaml").read_text(encoding="utf-8"))
    for section in ("triggers", "refusals", "conditions", "templates", "kinds", "channels", "applicant_kinds"):
        assert set(labels["ru"][section]) == set(labels["kk"][section]), section
    assert set(labels["ru"]) == set(labels["kk"])
    templates = {p.name.split(".")[0] for p in (HERE.parent.parent / "activities" / "templates" / "ru").iterdir()}
    assert templates == set(labels["ru"]["templates"])  # every letter and notice is named in words
    # Every field of every move's form has words (no field is shown by its code).
    import dataclasses
    import typing

    from workflows.kinds import KINDS

    missing: set[str] = set()
    for kind in KINDS:
        for trigger in kind.table.operator_triggers():
            schema = kind.table.details_schema(trigger)
            schemas: list[Any] = [schema] if schema else []
            while schemas:
                current = schemas.pop()
                for f in dataclasses.fields(current):
                    missing |= {f.name} - set(labels["ru"])
                    args = typing.get_args(typing.get_type_hints(current)[f.name])
                    schemas += [a for a in args if dataclasses.is_dataclass(a)]
            missing |= set(kind.table.rows(trigger)[0].get("requires", [])) - set(labels["ru"])
            missing |= {trigger} - set(labels["ru"]["triggers"])
            for row in kind.table.rows(trigger):  # every condition a refusal can name has its words
                for key in ("conditions", "unless"):
                    named = row.get(key) or []
                    missing |= set([named] if isinstance(named, str) else named) - set(labels["ru"]["conditions"])
    assert missing == set()


async def fill(page: Any, **fields: str | list[str]) -> None:
    """Fill a form's fields by name: a choice is selected, boxes are ticked, text is typed."""
    for name, value in fields.items():
        if isinstance(value, list):
            for one in value:
                await page.check(f"[name='{name}'][value='{one}']")
            continue
        box = page.locator(f"[name='{name}']")
        if await box.evaluate("e => e.tagName") == "SELECT":
            await box.select_option(value)
        else:
            await box.fill(value)


async def registered(page: Any, prefix: str) -> str:
    """Send the registration form; the new case's number, from the case page it opens."""
    await page.get_by_role("button", name=re.compile("Отправить|Жіберу")).click()
    await page.wait_for_load_state()
    if f"/work/case/{prefix}-" not in page.url:  # refused: say why
        raise AssertionError(await page.locator("[role=status]").inner_text())
    return str(page.url.split("/work/case/")[1].split("?")[0])


async def test_a_registrar_books_a_reception_and_the_official_holds_it_in_the_workbench(
    bench: Bench, dev_env: WorkflowEnvironment
) -> None:
    """The registrar books a reception in its registration form (a missing contact refused, in
    words), schedules it into a free slot the registry offers; the official holds it and gives an
    instruction in groups of fields, which becomes an appeal of its own."""
    from activities.receptions import create_slots
    from tests.test_reception import reception_day

    now = await dev_env.get_current_time()
    slot = create_slots(bench.served.engine, "housing-head", reception_day(now), "10:00", "10:30", 30)[0]
    async with browsing() as page:
        await log_in(page, bench, "reg.one", "/work/register/reception")
        await shot(page, "register-reception")
        booking = {
            "official": "housing-head",
            "category": "housing",
            "district": "medeu",
            "issue": "Подтопление подвала и яма у дома.",
            "name": "Болат Сериков",
            "iin": valid_iin(),
        }
        await fill(page, **booking)
        await page.get_by_role("button", name="Отправить").click()
        refusal = await page.locator("[role=status]").inner_text()
        assert refusal == "Отказано: Поле «Эл. почта»: для подтверждения записи нужны эл. почта или телефон."
        assert await page.locator("[name='issue']").input_value() == booking["issue"]  # nothing typed is lost
        await fill(page, email="bolat@example.kz")
        number = await registered(page, "RCP")
        await until_card(bench, number)
        await page.get_by_role("link", name="Назначить время приёма").click()
        choice = page.locator("[name='details.slot_id'] option")
        offered = await choice.all_inner_texts()  # the earliest free time, then each free slot by its time
        assert len(offered) == 2 and offered[0] == "ближайшее свободное время" and slot.local[:10] in offered[1]
        await page.fill("[name='details.participants']", "housing-dept")
        await page.get_by_role("button", name="Отправить").click()
        done = await page.locator("[role=status]").inner_text()
        assert done.startswith("Сделано: Назначить время приёма") and "приём назначен" in done
        assert slot.local[11:16] in await page.content()  # the earliest free slot was booked: its time on the card

        # The official holds the reception in a form whose instructions are groups of fields, not JSON;
        # the instruction given is an appeal of its own, routed to the executor named.
        await log_in(page, bench, "housing-head", f"/work/case/{number}")
        await page.get_by_role("link", name="Провести приём").click()
        await shot(page, "hold-form")
        await page.fill("[name='answer_text']", "Поручено.")
        await page.select_option("[name='details.instructions.0.executor']", "housing-dept")
        await page.fill("[name='details.instructions.0.text']", "Откачать воду из подвала.")
        await page.fill("[name='details.instructions.0.term_working_days']", "5")
        await page.get_by_role("button", name="Отправить").click()
        held = await page.locator("[role=status]").inner_text()
        assert held.startswith("Сделано: Провести приём") and "на рассмотрении" in held
        await until_card(bench, f"{number}-1")
        await page.goto(f"{bench.url}/work/case/{number}")  # the instruction given, among the related cases
        await page.get_by_role("link", name=f"{number}-1").click()
        assert "дано на приёме" in await page.content()  # and the way back to the reception
    given = await until_card(bench, f"{number}-1", lambda c: c.executor == "housing-dept")
    assert given.kind == "reception_instruction"
    held_card = card(bench, number)
    assert held_card is not None and held_card.state == "under_consideration"


async def test_an_instruction_is_put_under_control_reported_on_and_lifted_in_the_workbench(bench: Bench) -> None:
    """A Presidential instruction: the registrar puts it under control with its lead and co-executor;
    the lead executor's staff member reports, asks for a later interim term (a date picked) and
    submits the consolidated report for the unit; a move not theirs is refused; the controller
    lifts control with the conclusion, and the case is closed."""
    from datetime import timedelta

    from policies.calendar import local_zone
    from runtime.clock import utc_now

    term = (utc_now().astimezone(local_zone()).date() + timedelta(days=30)).isoformat()
    async with browsing() as page:
        await log_in(page, bench, "reg.one", "/work/register/instruction")
        await shot(page, "register-instruction")
        await fill(
            page,
            issuer="president",
            issuer_official="Глава государства, поручение на совещании",
            text="Решить вопрос подтопления жилых домов.",
            first_term=term,
            lead="housing-dept",
            co_executors=["roads-dept"],
        )
        number = await registered(page, "PRI")
        routed = await until_card(bench, number, lambda c: c.state == "routed")  # executors assigned
        assert routed.executor == "housing-dept"  # the lead coordinates

        await log_in(page, bench, "exec.one", "/work")
        await page.get_by_role("link", name=number).click()
        await shot(page, "instruction")
        assert "Снять с контроля" not in await page.locator(".moves").inner_text()  # not the executor's move
        done = await make(page, "Отчитаться", answer_text="Работы начаты: откачка воды.")
        assert done.startswith("Сделано: Отчитаться")
        later = (utc_now().astimezone(local_zone()).date() + timedelta(days=45)).isoformat()
        done = await make(page, "Запросить продление", reason="Нужен подрядчик.", **{"details.new_deadline": later})
        assert done.startswith("Сделано: Запросить продление")
        done = await make(page, "Представить сводный отчёт", answer_text="Подвалы осушены, ливнёвка прочищена.")
        assert done.startswith("Сделано: Представить сводный отчёт") and "исполнение на проверке" in done
        await page.goto(f"{bench.url}/work/case/{number}/lift_control")
        await page.fill("[name='answer_text']", "Исполнено.")
        await page.get_by_role("button", name="Отправить").click()
        refused = await page.locator("[role=status]").inner_text()
        assert refused.startswith("Отказано: Роль «исполнитель» не может выполнить действие «Снять с контроля»")

        await log_in(page, bench, "ctrl.one", "/work")  # the extension request waits for the controller
        waiting = await page.locator("section", has_text="запросов о продлении срока: 1").inner_text()
        assert number in waiting
        await page.get_by_role("link", name=number).first.click()
        done = await make(page, "Снять с контроля", answer_text="Исполнено: подвалы осушены.")
        assert done.startswith("Сделано: Снять с контроля") and "закрыто" in done
    lifted = card(bench, number)
    assert lifted is not None and lifted.state == "closed" and lifted.closure_reason == "control_lifted"


def test_working_days_left_count_today_as_the_case_card_does() -> None:
    from datetime import date

    from web.workbench.cases import working_days_left

    thursday = date(2026, 12, 3)
    assert working_days_left("2026-12-03", thursday) == 1  # the term's last day
    assert working_days_left("2026-12-07", thursday) == 3  # Thursday, Friday, Monday
    assert working_days_left("2026-12-02", thursday) is None  # past: the page says overdue
    assert working_days_left("", thursday) is None


async def test_the_accessibility_checks_find_faint_text_and_a_hidden_focus() -> None:
    """The checks every page passes in `shot` do find what they look for."""
    async with browsing() as page:
        await page.set_content(
            '<html lang="ru"><body><p style="color:#aaa">бледный текст</p>'
            '<a href="#" style="outline:none">ссылка</a></body></html>'
        )
        assert [p.split(" ")[0] for p in await page.evaluate(CONTRAST)] == ["P"]
        with pytest.raises(AssertionError, match="no visible focus on 'ссылка'"):
            await shot(page, "")


def test_my_cases_filter_by_flags_and_count_what_each_box_would_show(tmp_path: Path) -> None:
    from models.registry import make_engine
    from web.workbench.cases import Filters, my_cases

    engine = make_engine(f"sqlite:///{tmp_path}/registry.db")
    rows = [
        CaseRecord(reg_number="APL-2026-000001", kind="appeal", state="routed", deadline="2026-12-10", overdue=True),
        CaseRecord(
            reg_number="APL-2026-000002", kind="appeal", state="routed", deadline="2026-12-11", under_control=True
        ),
        CaseRecord(
            reg_number="APL-2026-000003", kind="appeal", state="answered", deadline="2026-12-09",
            possible_repeat_of="APL-2026-000001", under_control=True,
        ),
        CaseRecord(reg_number="RCP-2026-000001", kind="reception", state="registered", deadline=""),
    ]  # fmt: skip
    with Session(engine) as session:
        session.add_all(rows)
        session.commit()
    everything = my_cases(engine, "", Filters())
    assert [c.reg_number for c in everything.cases][0] == "APL-2026-000001"  # overdue first
    assert everything.flagged == {"overdue": 1, "under_control": 2, "repeat": 1}
    controlled = my_cases(engine, "", Filters(under_control=True))
    assert [c.reg_number for c in controlled.cases] == ["APL-2026-000003", "APL-2026-000002"]  # by term
    assert controlled.by_state == {"routed": 1, "answered": 1}
    assert [c.reg_number for c in my_cases(engine, "", Filters(repeat=True, state="answered")).cases] == [
        "APL-2026-000003"
    ]
    assert my_cases(engine, "", Filters(kind="reception")).flagged == {"overdue": 0, "under_control": 0, "repeat": 0}


async def test_a_hostile_registration_post_is_refused_in_words_and_registers_nothing(tmp_path: Path) -> None:
    """Registration posts as a hostile client sends them: another site's form, no token, a kind that
    does not exist, a user who may not register, a body past the limit, garbage in a number and an
    executor who does not exist. Each is refused with its reason and no number is taken."""
    import httpx
    from sqlmodel import select

    from models.registry import RegistrationCounter, make_engine
    from tooling.users import log_in as open_session
    from web.app import create_app

    engine = make_engine(f"sqlite:///{tmp_path}/registry.db")
    add_user(engine, "reg.two", "Регистратор Два", ["registrar"], "", PASSWORD)
    add_user(engine, "aud.one", "Аудитор", ["auditor"], "", PASSWORD)
    app = create_app(engine=engine, temporal_address="127.0.0.1:9")  # nothing may reach Temporal
    transport = httpx.ASGITransport(app=app)

    async def post(user: str, path: str, form: dict[str, Any], **headers: str) -> httpx.Response:
        cookies = {"appeals_session": open_session(engine, user, PASSWORD, "ui_session"), "appeals_csrf": "t"}
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1", cookies=cookies) as http:
            return await http.post(path, data=form, headers=headers)

    instruction = {
        "csrf": "t", "issuer": "president", "issuer_official": "x", "text": "y", "first_term": "2027-01-10",
        "control": "monthly", "periods": "3", "lead": "housing-dept",
    }  # fmt: skip
    answers = [
        (await post("reg.two", "/work/register/appeal", {"csrf": "t"}, origin="https://evil.example"), 403, "origin"),
        (await post("reg.two", "/work/register/appeal", {"text": "x"}), 403, "token"),
        (await post("reg.two", "/work/register/petition", {"csrf": "t"}), 404, "kind: one of appeal"),
        (await post("aud.one", "/work/register/appeal", {"csrf": "t"}), 403, "ваша роль не регистрирует"),
        (await post("reg.two", "/work/register/appeal", {"csrf": "t", "text": "я" * 40_000}), 413, "body"),
        (await post("reg.two", "/work/register/instruction", {**instruction, "periods": "много"}), 422, "Число"),
        (await post("reg.two", "/work/register/instruction", {**instruction, "lead": "nobody"}), 422, "nobody"),
        (await post("reg.two", "/work/register/reception", {"csrf": "t", "official": "akim"}), 422, "Поле"),
    ]
    for answer, code, words in answers:
        assert (answer.status_code, words in answer.text) == (code, True), (code, words, answer.text[-600:])
        assert "Traceback" not in answer.text
    with Session(engine) as session:
        assert session.exec(select(RegistrationCounter)).all() == []  # no number was taken


async def test_a_number_already_taken_in_temporal_is_said_so_and_registers_nothing(
    bench: Bench, dev_env: WorkflowEnvironment
) -> None:
    """The registry's counter behind Temporal's cases (a registry restored from an old backup): the
    registration says the number is taken, in words, and starts nothing."""
    import httpx

    from models.registry import RegistrationCounter
    from policies.calendar import local_year
    from tests.factories import appeal_dict
    from tests.scenario import registration
    from tooling.client import TASK_QUEUE
    from tooling.users import log_in as open_session

    with Session(bench.served.engine) as session:
        counter = session.get(RegistrationCounter, ("APL", local_year()))
        assert counter is not None
        taken = f"APL-{local_year()}-{counter.last + 1:06d}"
    sealed = await registration(dev_env.client, appeal_dict(reg_number=taken))
    await dev_env.client.start_workflow("AppealWorkflow", sealed, id=taken, task_queue=TASK_QUEUE)
    form = {
        "csrf": "t", "type": "application", "channel": "paper", "category": "housing", "district": "almaly",
        "text": "Протекает крыша.", "applicant_kind": "person", "name": "Айгуль", "iin": valid_iin(),
        "email": "a@b.kz", "addressee": "Аким области", "language": "ru",
    }  # fmt: skip
    cookies = {"appeals_session": open_session(bench.served.engine, "reg.one", PASSWORD, "ui_session")}
    async with httpx.AsyncClient(base_url=bench.url, cookies={**cookies, "appeals_csrf": "t"}) as http:
        answer = await http.post("/work/register/appeal", data=form)
    assert answer.status_code == 409 and f"Номер {taken} уже занят другим делом" in answer.text
    runs = [w async for w in dev_env.client.list_workflows(f"WorkflowId = '{taken}'")]
    assert len(runs) == 1  # the case that held the number is the only one under it


async def test_a_proposal_decision_is_offered_only_while_one_of_the_case_s_proposals_awaits(tmp_path: Path) -> None:
    import httpx

    from models.registry import DisciplinaryProposalRecord, make_engine
    from tooling.users import log_in as open_session
    from web.app import create_app
    from web.workbench.words import Words

    engine = make_engine(f"sqlite:///{tmp_path}/registry.db")
    add_user(engine, "head.two", "Руководитель", ["head"], "", PASSWORD)
    with Session(engine) as session:
        session.add(CaseRecord(reg_number="APL-2026-000001", kind="appeal", state="closed", closure_reason="answered"))
        session.commit()
    transport = httpx.ASGITransport(app=create_app(engine=engine))
    cookies = {"appeals_session": open_session(engine, "head.two", PASSWORD, "ui_session")}
    decide = Words("ru").trigger("approve_proposal")

    async def page() -> str:
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1", cookies=cookies) as http:
            return (await http.get("/work/case/APL-2026-000001")).text

    assert decide not in await page()
    with Session(engine) as session:
        session.add(
            DisciplinaryProposalRecord(
                key="p-1", reg_number="APL-2026-000001", executor="housing-dept", official="x",
                due_date="2026-12-01", overdue_working_days=3, language="ru", body="...", status="awaiting_approval",
            )
        )  # fmt: skip
        session.commit()
    assert decide in await page()


async def test_a_controller_sends_a_failed_letter_again_from_the_case_page_and_an_executor_may_not(
    tmp_path: Path,
) -> None:
    import httpx
    from sqlmodel import select

    from models.registry import EventRecord, NotificationRecord, make_engine
    from tooling.users import log_in as open_session
    from web.app import create_app
    from web.workbench.words import Words

    engine = make_engine(f"sqlite:///{tmp_path}/registry.db")
    add_user(engine, "ctl.two", "Контролёр", ["controller"], "", PASSWORD)
    add_user(engine, "exe.two", "Исполнитель", ["executor"], "housing-dept", PASSWORD)
    number, key = "APL-2026-000007", "APL-2026-000007:answer_letter:approve-4"
    with Session(engine) as session:
        session.add(CaseRecord(reg_number=number, kind="appeal", state="closed", executor="housing-dept"))
        session.add(
            NotificationRecord(
                key=key, reg_number=number, recipient="aigul@exmaple.kz", template="answer_letter", language="ru",
                subject="Ответ", body="...", status="failed", last_error="550 No such mailbox", attempts=1,
                channel="email", address="aigul@exmaple.kz",
            )
        )  # fmt: skip
        session.commit()
    transport = httpx.ASGITransport(app=create_app(engine=engine))
    w = Words("ru")

    async def as_user(user: str, form: dict[str, str] | None = None) -> httpx.Response:
        cookies = {"appeals_session": open_session(engine, user, PASSWORD, "ui_session"), "appeals_csrf": "t"}
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1", cookies=cookies) as http:
            if form is None:
                return await http.get(f"/work/case/{number}")
            return await http.post(f"/work/case/{number}/notice/resend", data={"csrf": "t", **form})

    page = (await as_user("ctl.two")).text
    assert w("delivery_failed", why="550 No such mailbox") in page and w("resend") in page
    assert w("resend") not in (await as_user("exe.two")).text  # not offered to an executor
    refused = await as_user("exe.two", {"key": key, "address": "aigul@example.kz"})
    assert refused.status_code == 403 and "may not send notices again" in refused.text
    done = await as_user("ctl.two", {"key": key, "address": "aigul@example.kz"})
    assert done.status_code == 200 and w("resent") in done.text and w("delivery_queued") in done.text
    with Session(engine) as session:
        notice = session.exec(select(NotificationRecord).where(NotificationRecord.key == key)).one()
        event = session.exec(select(EventRecord).where(EventRecord.trigger == "notice_resent")).one()
    assert (notice.status, notice.recipient) == ("queued", "aigul@example.kz")
    assert event.actor_id == "ctl.two" and event.auth == "ui_session"
