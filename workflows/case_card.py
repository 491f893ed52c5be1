"""The case card: what the Web UI shows on a workflow's page (`workflow.set_current_details`),
and the static summary and details a case is started with.

Markdown in the staff language (policies/terms.yaml `staff_language`: Russian; Kazakh available).
It holds no personal data: no applicant's name, contacts or text, only the case's number, kind,
category, district, state, terms, the executor (a unit of the akimat), the last move and the
moves allowed now, each with the roles that may make it and a payload to paste into the Signal
dialog. Pure functions of plain values, so a workflow can call them (deterministic, no I/O).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from models.moves import MoveRecord

LANGUAGES = ("ru", "kk")

LABELS: dict[str, dict[str, str]] = {
    "ru": {
        "appeal": "Обращение",
        "reception": "Личный приём",
        "instruction": "Поручение",
        "state": "Состояние",
        "term": "Срок",
        "days_left": "осталось рабочих дней: {n} (на {today})",
        "last_day": "сегодня последний день срока",
        "overdue": "просрочено: срок истёк {term}",
        "executor": "Исполнитель",
        "not_assigned": "не назначен",
        "last_move": "Последнее действие",
        "by": "{who}, {when}",
        "moves": "Доступные действия",
        "move": "действие",
        "who": "кто может",
        "payload": "данные для окна Signal",
        "none": "Действий нет: дело закрыто.",
        "none_now": "Сейчас действий нет: дело ждёт срока, исполнителя или поручений.",
        "closure": "Основание закрытия",
        "how": (
            "Signal: имя действия и данные из таблицы (автора подставляет сервер кодека после входа). "
            'Update `transition`: те же данные и поле "trigger". Условия проверяются при отправке; '
            "отказ записывается в статус."
        ),
        "type": "Вид",
        "category": "Категория",
        "district": "Район",
        "system": "система",
        "updated": "Обновлено",
        "flags": "Отметки",
        "extended": "Срок продлён",
        "finalization": "Срок доработки",
        "hearing": "Заслушивание до",
        "answer": "Характер ответа",
        "under_control": "На контроле акима",
        "possible_repeat": "Возможно повторное к",
        "attention": "Сбои побочных действий (нужен retry_side_effects)",
        "outside": "Вмешательство извне (отклонено)",
        "slot": "Время приёма",
        "instructions": "Поручения",
        "executors": "Исполнители",
        "period": "Отчётный период",
        "proposals": "Предложения о взыскании",
        "delivery": "Ответ заявителю",
        "letters_failed": "Не доставлены заявителю (отправить снова: resend_notice)",
    },
    "kk": {
        "appeal": "Өтініш",
        "reception": "Жеке қабылдау",
        "instruction": "Тапсырма",
        "state": "Күйі",
        "term": "Мерзімі",
        "days_left": "қалған жұмыс күндері: {n} ({today} күйі бойынша)",
        "last_day": "бүгін мерзімнің соңғы күні",
        "overdue": "мерзімі өтті: {term}",
        "executor": "Орындаушы",
        "not_assigned": "тағайындалмаған",
        "last_move": "Соңғы әрекет",
        "by": "{who}, {when}",
        "moves": "Қолжетімді әрекеттер",
        "move": "әрекет",
        "who": "кім жасай алады",
        "payload": "Signal терезесіне арналған деректер",
        "none": "Әрекет жоқ: іс жабылды.",
        "none_now": "Қазір әрекет жоқ: іс мерзімді, орындаушыны немесе тапсырмаларды күтуде.",
        "closure": "Жабу негізі",
        "how": (
            "Signal: әрекеттің атауы және кестедегі деректер (авторды кіруден кейін кодек сервері қояды). "
            'Update `transition`: сол деректер және "trigger" өрісі. Шарттар жіберген кезде тексеріледі; '
            "бас тарту мәртебеге жазылады."
        ),
        "type": "Түрі",
        "category": "Санаты",
        "district": "Аудан",
        "system": "жүйе",
        "updated": "Жаңартылды",
        "flags": "Белгілер",
        "extended": "Мерзімі ұзартылды",
        "finalization": "Пысықтау мерзімі",
        "hearing": "Тыңдау мерзімі",
        "answer": "Жауаптың сипаты",
        "under_control": "Әкімнің бақылауында",
        "possible_repeat": "Қайталама болуы мүмкін",
        "attention": "Жанама әрекеттердің ақаулары (retry_side_effects қажет)",
        "outside": "Сырттан араласу (қабылданбады)",
        "slot": "Қабылдау уақыты",
        "instructions": "Тапсырмалар",
        "executors": "Орындаушылар",
        "period": "Есеп кезеңі",
        "proposals": "Жаза туралы ұсыныстар",
        "delivery": "Өтініш берушіге жауап",
        "letters_failed": "Өтініш берушіге жеткізілмеді (қайта жіберу: resend_notice)",
    },
}

# Why a case closed, in words (the table's `closure` of the move that closed it).
CLOSURES: dict[str, dict[str, str]] = {
    "ru": {
        "answered": "дан ответ",
        "forwarded": "направлено по компетенции",
        "left_without_consideration": "оставлено без рассмотрения",
        "terminated": "рассмотрение прекращено",
        "withdrawn": "отозвано заявителем",
        "control_lifted": "снято с контроля",
        "transferred": "передано",
        "resolved": "приём проведён, поручения исполнены",
        "citizen_did_not_come": "заявитель не явился",
        "cancelled_by_citizen": "отменено заявителем",
        "refused": "отказано в приёме",
    },
    "kk": {
        "answered": "жауап берілді",
        "forwarded": "құзыреті бойынша жіберілді",
        "left_without_consideration": "қараусыз қалдырылды",
        "terminated": "қарау тоқтатылды",
        "withdrawn": "өтініш беруші кері алды",
        "control_lifted": "бақылаудан алынды",
        "transferred": "берілді",
        "resolved": "қабылдау өтті, тапсырмалар орындалды",
        "citizen_did_not_come": "өтініш беруші келмеді",
        "cancelled_by_citizen": "өтініш беруші бас тартты",
        "refused": "қабылдаудан бас тартылды",
    },
}

STATES: dict[str, dict[str, str]] = {
    "ru": {
        "registered": "зарегистрировано",
        "routed": "направлено исполнителю",
        "under_consideration": "на рассмотрении",
        "returned_for_finalization": "возвращено на доработку",
        "answered": "ответ на согласовании",
        "closed": "закрыто",
        "reception.routed": "приём назначен",
        "reception.answered": "приём проведён, поручения исполняются",
        "instruction.answered": "исполнение на проверке",
    },
    "kk": {
        "registered": "тіркелді",
        "routed": "орындаушыға жіберілді",
        "under_consideration": "қаралуда",
        "returned_for_finalization": "пысықтауға қайтарылды",
        "answered": "жауап келісуде",
        "closed": "жабылды",
        "reception.routed": "қабылдау белгіленді",
        "reception.answered": "қабылдау өтті, тапсырмалар орындалуда",
        "instruction.answered": "орындалуы тексерілуде",
    },
}

ROLES: dict[str, dict[str, str]] = {
    "ru": {
        "registrar": "регистратор",
        "controller": "контролёр",
        "executor": "исполнитель",
        "head": "руководитель",
        "deputy_head": "заместитель руководителя",
        "official": "ведущий приём",
        "issuer": "давший поручение",
        "auditor": "аудитор",
    },
    "kk": {
        "registrar": "тіркеуші",
        "controller": "бақылаушы",
        "executor": "орындаушы",
        "head": "басшы",
        "deputy_head": "басшының орынбасары",
        "official": "қабылдайтын лауазымды тұлға",
        "issuer": "тапсырма берген",
        "auditor": "аудитор",
    },
}

# Enumerations' values in words (the card and the workbench read them here).
# The approved answer's way to the applicant (table v7, issue 24), on the appeal's card.
DELIVERY: dict[str, dict[str, str]] = {
    "ru": {
        "queued": "утверждён, ждёт отправки ({channel})",
        "sent": "отправлен ({channel}), ждёт подтверждения доставки",
        "failed": "не доставлен ({channel}): {error}",
        "delivered": "вручён ({channel}) {when}",
        "email": "e-mail",
        "sms": "SMS",
        "paper": "почтой",
        "": "канал ещё не выбран",
    },
    "kk": {
        "queued": "бекітілді, жіберуді күтуде ({channel})",
        "sent": "жіберілді ({channel}), жеткізілгенін растауды күтуде",
        "failed": "жеткізілмеді ({channel}): {error}",
        "delivered": "табыс етілді ({channel}) {when}",
        "email": "e-mail",
        "sms": "SMS",
        "paper": "пошта арқылы",
        "": "арна әлі таңдалмаған",
    },
}


def delivery_line(status: str, channel: str, when: str, error: str, language: str) -> str:
    words = DELIVERY[language_of(language)]
    if when:
        status = "delivered"
    template = words.get(status, words["queued"])
    return template.format(channel=words.get(channel, channel), when=when, error=error[:200])


VALUES: dict[str, dict[str, str]] = {
    "ru": {
        "explained": "разъяснено",
        "satisfied": "удовлетворено",
        "partially_satisfied": "удовлетворено частично",
        "refused": "отказано",
        "office": "в кабинете",
        "visiting": "выездной приём",
        "videoconference": "по видеосвязи",
        "once": "однократный контроль",
        "monthly": "ежемесячный контроль",
        "application": "заявление",
        "complaint": "жалоба",
        "proposal": "предложение",
        "report": "сообщение",
        "request": "запрос",
        "response": "отклик",
    },
    "kk": {
        "explained": "түсіндірілді",
        "satisfied": "қанағаттандырылды",
        "partially_satisfied": "ішінара қанағаттандырылды",
        "refused": "бас тартылды",
        "office": "кабинетте",
        "visiting": "көшпелі қабылдау",
        "videoconference": "бейнебайланыс арқылы",
        "once": "бір реттік бақылау",
        "monthly": "ай сайынғы бақылау",
        "application": "өтініш",
        "complaint": "шағым",
        "proposal": "ұсыныс",
        "report": "хабарлама",
        "request": "сұрау салу",
        "response": "пікір",
    },
}


def value_name(value: str, language: str) -> str:
    return VALUES[language_of(language)].get(value, value)


@dataclass
class AllowedMove:
    trigger: str
    roles: list[str]
    payload: dict[str, Any]


@dataclass
class CardFacts:
    """What the card shows; each kind fills it from its case."""

    kind: str
    number: str
    state: str
    language: str
    now: datetime
    utc_offset_minutes: int = 300  # the local zone's offset (policies/terms.yaml timezone), from the snapshot
    term: str = ""  # the term (ISO date)
    term_days: list[str] = field(default_factory=list)  # the term's working days from its planning (ISO dates)
    due_at: str = ""  # the moment the term ends (UTC ISO)
    executor: str = ""
    last_move: MoveRecord | None = None
    facts: list[tuple[str, str]] = field(default_factory=list)  # the kind's own lines (label, value)
    moves: list[AllowedMove] = field(default_factory=list)


_MARKDOWN = str.maketrans({c: f"\\{c}" for c in "\\`*_[]<>|~"})  # what marks up text inside a line


def plain(value: str) -> str:
    """A value from a case (an executor, a person's name) as literal text: Markdown and HTML in it
    are shown, never interpreted (a payload cannot add links or markup to the card)."""
    return " ".join(value.split()).translate(_MARKDOWN)[:300]


def language_of(language: str) -> str:
    return language if language in LANGUAGES else "ru"


def state_name(kind: str, state: str, language: str) -> str:
    names = STATES[language_of(language)]
    return names.get(f"{kind}.{state}") or names.get(state, state)


def _day(iso: str) -> str:
    """A date as people in Kazakhstan write it (DD.MM.YYYY)."""
    return date.fromisoformat(iso[:10]).strftime("%d.%m.%Y")


def local_moment(iso: str, offset_minutes: int) -> str:
    """A UTC moment in local time, DD.MM.YYYY HH:MM."""
    moment = datetime.fromisoformat(iso) + timedelta(minutes=offset_minutes)
    return moment.strftime("%d.%m.%Y %H:%M")


def term_line(facts: CardFacts) -> str:
    """The term and where it stands: the working days left, today counted (the term's working days
    not yet over), the last day, or overdue. It is as of the card's last refresh: a move, a
    reminder (3 and 1 working days before) or the escalation at the term refreshes it."""
    labels = LABELS[language_of(facts.language)]
    if not facts.term:
        return ""
    text = _day(facts.term)
    if facts.state == "closed":
        return text  # nothing left to count
    if facts.due_at and facts.now >= datetime.fromisoformat(facts.due_at):
        return f"{text} — **{labels['overdue'].format(term=_day(facts.term))}**"
    if facts.term_days:
        today = (facts.now + timedelta(minutes=facts.utc_offset_minutes)).date().isoformat()
        left = sum(1 for day in facts.term_days if day >= today)
        if today == facts.term:
            return f"{text} — {labels['last_day']}"
        return f"{text} — {labels['days_left'].format(n=left, today=_day(today))}"
    return text


def render_card(facts: CardFacts) -> str:
    """The Markdown card."""
    lang = language_of(facts.language)
    labels, roles = LABELS[lang], ROLES[lang]
    lines = [
        f"### {labels[facts.kind]} {facts.number}",
        "",
        f"**{labels['state']}:** {state_name(facts.kind, facts.state, lang)} (`{facts.state}`)  ",
    ]
    term = term_line(facts)
    if term:
        lines.append(f"**{labels['term']}:** {term}  ")
    lines.append(f"**{labels['executor']}:** {plain(facts.executor) if facts.executor else labels['not_assigned']}  ")
    for label, value in facts.facts:
        lines.append(f"**{labels.get(label, label)}:** {plain(value)}  ")
    if facts.last_move is not None:
        move = facts.last_move
        who = plain(move.actor_name or move.actor_id)
        role = labels["system"] if move.actor_role == "system" else roles.get(move.actor_role, move.actor_role)
        by = labels["by"].format(who=f"{who} ({role})", when=local_moment(move.at, facts.utc_offset_minutes))
        lines.append(f"**{labels['last_move']}:** `{move.trigger}` — {by}  ")
    lines.append(f"*{labels['updated']}: {local_moment(facts.now.isoformat(), facts.utc_offset_minutes)}*")
    lines += ["", f"#### {labels['moves']}", ""]
    if not facts.moves:
        lines.append(labels["none"] if facts.state == "closed" else labels["none_now"])
        return "\n".join(lines)
    # A list, not a table: the Web UI shows the card in a narrow panel, and a payload must wrap.
    lines.append(f"*{labels['move']} ({labels['who']}): {labels['payload']}*")
    lines.append("")
    for allowed in facts.moves:
        who = ", ".join(roles.get(r, r) for r in allowed.roles)
        payload = json.dumps(allowed.payload, ensure_ascii=False)
        lines.append(f"- `{allowed.trigger}` ({who}): `{payload}`")
    lines += ["", labels["how"]]
    return "\n".join(lines)


def start_summary(kind: str, number: str, language: str, category: str = "", district: str = "") -> str:
    """The one line the Web UI lists a case by: kind, number, category, district."""
    labels = LABELS[language_of(language)]
    return " · ".join(part for part in (f"{labels[kind]} {number}", category, district) if part)


def start_details(kind: str, number: str, language: str, fields: list[tuple[str, str]]) -> str:
    """The static details a case is started with (Markdown): its kind, number and fixed facts, each
    value shown as literal text (a link or an image in a start's fields stays text)."""
    labels = LABELS[language_of(language)]
    lines = [f"**{labels[kind]} {plain(number)}**", ""]
    lines += [f"- {labels.get(label, label)}: {plain(value)}" for label, value in fields if value]
    return "\n".join(lines)
