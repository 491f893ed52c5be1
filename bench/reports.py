"""Benchmark: every report on a registry of 100,000 appeals (5 districts, 9 categories, two years).

    .venv/bin/python bench/reports.py [--appeals 100000] [--db sqlite:///...]

Generates the registry (appeal texts from a phrase book, so like problems recur; returns,
extensions and disciplinary proposals on a share of them), then times each report on the last
half-year and prints seconds per report. Goals (issue 12): every report under 5 s, the
systemic-problem grouping under 30 s.
"""

from __future__ import annotations

import argparse
import random
import resource
import sys
import tempfile
import time
from collections import Counter
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import insert  # noqa: E402

from analysis.reports import build  # noqa: E402
from analysis.scope import Scope  # noqa: E402
from analysis.systemic import find_groups  # noqa: E402
from models.registry import CaseRecord, DisciplinaryProposalRecord, EventRecord, make_engine  # noqa: E402

DISTRICTS = ["almaly", "bostandyk", "medeu", "auezov", "nauryzbay"]
EXECUTORS = {
    "housing": "housing-dept",
    "utilities": "utilities-dept",
    "roads": "roads-dept",
    "land": "land-dept",
    "social": "social-dept",
    "education": "education-dept",
    "health": "health-dept",
    "transport": "roads-dept",
    "other": "appeals-dept",
}
PROBLEMS = {
    "housing": ["протекает крыша дома", "не работает лифт в подъезде", "трещины в стене дома", "сырость в подвале"],
    "utilities": ["нет воды", "отключено отопление", "нет газа", "перебои с электричеством", "не вывозят мусор"],
    "roads": ["ямы на дороге", "не работает освещение улицы", "нет тротуара", "не чистят снег"],
    "land": ["отказ в выделении земельного участка", "самозахват земли соседом", "нет акта на землю"],
    "social": ["не назначена адресная помощь", "задержка пособия", "нужна помощь многодетной семье"],
    "education": ["нет места в детском саду", "переполнены классы в школе", "нет подвоза детей в школу"],
    "health": ["нельзя записаться к врачу", "нет лекарств в аптеке", "закрыт фельдшерский пункт"],
    "transport": ["редко ходит автобус", "отменён маршрут", "нет остановки"],
    "other": ["шум по ночам", "бездомные собаки", "незаконная торговля"],
}
FOLLOW_UPS = {  # what an applicant goes on to say about the problem in their own words
    "housing": [
        "управляющая компания не реагирует на заявки",
        "жильцы сами делают ремонт",
        "дом старый, капремонт не делали",
    ],
    "utilities": ["коммунальные службы не приезжают", "платим за услуги, которых нет", "аварийная бригада не отвечает"],
    "roads": [
        "машины ломаются, пешеходам опасно",
        "дорогу не ремонтировали много лет",
        "школьники ходят по проезжей части",
    ],
    "land": ["документы подали давно, ответа нет", "земельная комиссия тянет с решением", "границы участка нарушены"],
    "social": ["семья осталась без средств", "справки собрали все, выплат нет", "отдел занятости не помогает"],
    "education": ["ребёнок стоит в очереди второй год", "учителя перегружены", "до школы далеко добираться"],
    "health": ["в поликлинике очереди с утра", "врачей не хватает", "скорая едет больше часа"],
    "transport": ["люди опаздывают на работу", "на остановке нет навеса", "перевозчик не соблюдает расписание"],
    "other": ["соседи не реагируют на замечания", "участковый не принимает мер", "жители боятся выходить вечером"],
}
OPENERS = ["Прошу принять меры.", "Уважаемый аким!", "Жалоба.", "Помогите.", "Просим разобраться.", "Обращаюсь к вам."]
DETAILS = ["уже месяц", "вторую неделю", "с начала года", "жалобы без результата", "просим срочно", "дети страдают"]
PLACES = [
    f"{kind} {name}" for kind in ("село", "улица", "микрорайон") for name in ("Аксай", "Жетысу", "Самал", "Орбита")
]


def generate(url: str, appeals: int, problems: dict[str, str], seed: int = 11) -> Scope:
    rng = random.Random(seed)
    engine = make_engine(url)
    end = date(2026, 6, 30)
    start = end - timedelta(days=730)
    cases, events, proposals = [], [], []
    categories = list(EXECUTORS)
    for i in range(appeals):
        category = rng.choice(categories)
        district = rng.choice(DISTRICTS)
        received = start + timedelta(days=rng.randrange(731))
        answered = rng.random() < 0.85
        late = answered and rng.random() < 0.08
        number = f"APL-{received.year}-{i:06d}"
        problem = rng.choice(PROBLEMS[category])
        problems[number] = problem
        text = " ".join(
            [
                rng.choice(OPENERS),
                f"{rng.choice(PLACES)}:",
                f"{problem}, {rng.choice(DETAILS)}.",
                f"{rng.choice(FOLLOW_UPS[category]).capitalize()}, {problem} — {rng.choice(FOLLOW_UPS[category])}.",
            ]
        )
        cases.append(
            {
                "reg_number": number,
                "kind": "appeal",
                "appeal_type": "application",
                "channel": "electronic",
                "language": "ru",
                "category": category,
                "district": district,
                "applicant_kind": "person",
                "applicant_identity": f"{rng.randrange(10**12):012d}",
                "applicant_name": "",
                "applicants_count": 1,
                "addressee": "Аким",
                "received_at": f"{received.isoformat()}T10:00:00+05:00",
                "received_on": received.isoformat(),
                "state": "closed" if answered else "under_consideration",
                "executor": EXECUTORS[category],
                "deadline": f"{(received + timedelta(days=21)).isoformat()}T18:30:00+05:00",
                "overdue": (not answered) and rng.random() < 0.3,
                "possible_repeat_of": "",
                "closure_reason": "answered" if answered else "",
                "answer_character": "explained" if answered else "",
                "parent": "",
                "workflow_run": "",
                "related_to": "",
                "answered_late": late,
                "answer_excerpt": "",
                "summary": text,
                "answered_on": (received + timedelta(days=rng.randrange(5, 25))).isoformat() if answered else "",
                "answer_working_days": rng.randrange(3, 18) if answered else None,
            }
        )
        if rng.random() < 0.1:
            events.append(
                {
                    "reg_number": number,
                    "key": "return-1",
                    "seq": 3,
                    "trigger": "return_for_finalization",
                    "actor_id": "head-1",
                    "actor_role": "head",
                    "from_state": "answered",
                    "to_state": "returned_for_finalization",
                    "at": f"{received.isoformat()}T12:00:00+05:00",
                }
            )
        if rng.random() < 0.05:
            events.append(
                {
                    "reg_number": number,
                    "key": "extend-1",
                    "seq": 2,
                    "trigger": "extend_deadline",
                    "actor_id": "head-1",
                    "actor_role": "head",
                    "from_state": "under_consideration",
                    "to_state": "under_consideration",
                    "at": f"{received.isoformat()}T12:00:00+05:00",
                }
            )
        if late and rng.random() < 0.5:
            proposals.append(
                {
                    "key": f"proposal-{number}",
                    "reg_number": number,
                    "executor": EXECUTORS[category],
                    "official": "",
                    "due_date": received.isoformat(),
                    "overdue_working_days": 2,
                    "language": "ru",
                    "body": "",
                }
            )
    with engine.begin() as conn:
        tables = (CaseRecord.__table__, EventRecord.__table__, DisciplinaryProposalRecord.__table__)  # type: ignore[attr-defined]
        for table, rows in zip(tables, (cases, events, proposals), strict=True):
            for k in range(0, len(rows), 5000):
                conn.execute(insert(table), rows[k : k + 5000])
    engine.dispose()
    return Scope(date(2026, 1, 1), end)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--appeals", type=int, default=100_000)
    parser.add_argument("--db", default="")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.db or f"sqlite:///{tmp}/registry.db"
        started = time.perf_counter()
        problems: dict[str, str] = {}
        categories = {problem: category for category, listed in PROBLEMS.items() for problem in listed}
        half = generate(url, args.appeals, problems)
        print(f"reports benchmark: {args.appeals} appeals generated in {time.perf_counter() - started:.1f} s ({url})")
        engine = make_engine(url)
        out = Path(tmp) / "out"
        timings = []
        for kind, scope in (
            ("performance", half),
            ("performance", Scope(date(2024, 7, 1), date(2026, 6, 30))),  # two years, every appeal
            ("district", Scope(half.start, half.end, district="auezov")),
            ("half-year", half),
            ("systemic", half),
            ("digest", Scope(half.end, half.end)),
        ):
            started = time.perf_counter()
            report = build(kind, engine, scope)
            report.write(out)
            seconds = time.perf_counter() - started
            timings.append(seconds)
            print(f"  {kind:<12} {scope.label()} {scope.district or 'all':<10} {seconds:6.2f} s  {report.summary}")
        started = time.perf_counter()
        with engine.connect() as conn:
            groups = find_groups(conn, half)
        grouping = time.perf_counter() - started
        flagged = sum(g.flagged for g in groups)
        grouped = sum(g.size for g in groups)
        agreeing = sum(max(Counter(problems[n] for n in g.numbers).values()) for g in groups)
        same_category = sum(max(Counter(categories[problems[n]] for n in g.numbers).values()) for g in groups)
        print(f"  systemic grouping alone: {grouping:.2f} s, {len(groups)} groups, {flagged} flagged (goal < 30 s)")
        print(
            f"  grouping quality on the generated texts: {grouped} appeals in groups, {agreeing / max(grouped, 1):.1%} "
            f"of them in a group whose most common generated problem is their own, "
            f"{same_category / max(grouped, 1):.1%} whose most common category is their own"
        )
        print(f"  slowest report: {max(timings):.2f} s (goal < 5 s)")
        print(f"  peak RSS: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


if __name__ == "__main__":
    main()
