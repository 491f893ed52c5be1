"""A registry with known contents for the analysis tests: a planted systemic problem (30 appeals
about the same broken water supply in one village, from different applicants, worded
differently) among unrelated appeals."""

from __future__ import annotations

import random
from datetime import date, timedelta

from sqlalchemy.engine import Engine

RU_WATER = {
    "open": [
        "Прошу принять меры.",
        "Уважаемый аким!",
        "Обращаюсь к вам от имени соседей.",
        "Помогите, пожалуйста.",
        "Жалоба.",
        "Просим разобраться.",
    ],
    "core": [
        "В селе Аксай нет воды",
        "В с. Аксай отсутствует водоснабжение",
        "Водопровод в селе Аксай не работает",
        "В Аксае нет холодной воды в домах",
        "Перебои с подачей воды в селе Аксай",
        "Сломана водонапорная башня в селе Аксай, воды нет",
    ],
    "detail": [
        "уже вторую неделю.",
        "с начала месяца.",
        "дети и пожилые остались без воды.",
        "воду возим сами из соседнего села.",
        "обращения в сельский акимат без результата.",
        "вода из крана не идёт совсем.",
    ],
}
KK_WATER = {
    "open": ["Құрметті әкім!", "Көмектесуіңізді сұраймын.", "Шара қолдануыңызды сұраймыз.", "Шағым.", "Өтініш."],
    "core": [
        "Ақсай ауылында су жоқ",
        "Ақсай ауылында сумен жабдықтау жоқ",
        "Ақсай ауылындағы су құбыры істемейді",
        "Ақсай ауылында үйлерде ауыз су жоқ",
        "Ақсай ауылына су берілмейді",
        "Ақсай ауылындағы су мұнарасы бұзылған, су жоқ",
    ],
    "detail": [
        "екі апта бойы.",
        "ай басынан бері.",
        "балалар мен қарттар сусыз қалды.",
        "суды көрші ауылдан өзіміз тасимыз.",
        "ауыл әкімдігіне шағымдар нәтижесіз.",
        "шүмектен су мүлде ақпайды.",
    ],
}
UNRELATED = {
    "ru": [
        ("roads", "На улице Абая большие ямы на дороге, прошу провести ямочный ремонт."),
        ("education", "Прошу выделить место в детском саду для моего сына."),
        ("social", "Прошу разъяснить порядок назначения адресной социальной помощи."),
        ("land", "Прошу предоставить земельный участок под индивидуальное жилищное строительство."),
        ("housing", "Протекает крыша многоквартирного дома, управляющая компания бездействует."),
        ("health", "В поликлинике невозможно записаться к терапевту через портал."),
        ("transport", "Автобус номер 12 ходит редко, люди ждут по часу на остановке."),
        ("housing", "Прошу поставить меня в очередь на получение жилья из коммунального фонда."),
        ("roads", "Не работает уличное освещение на улице Сатпаева."),
        ("social", "Прошу оказать материальную помощь многодетной семье."),
    ],
    "kk": [
        ("roads", "Абай көшесінде жолда үлкен шұңқырлар бар, жөндеу жүргізуді сұраймын."),
        ("education", "Ұлыма балабақшадан орын беруді сұраймын."),
        ("social", "Атаулы әлеуметтік көмек тағайындау тәртібін түсіндіруді сұраймын."),
        ("land", "Жеке тұрғын үй құрылысына жер телімін беруді сұраймын."),
        ("housing", "Көппәтерлі үйдің шатыры ағып тұр, басқарушы компания әрекетсіз."),
        ("health", "Емханада терапевтке портал арқылы жазылу мүмкін емес."),
        ("transport", "12 нөмірлі автобус сирек жүреді, аялдамада бір сағат күтеміз."),
        ("housing", "Коммуналдық тұрғын үй қорынан пәтер алу кезегіне қоюды сұраймын."),
        ("roads", "Сәтбаев көшесінде көше жарығы жанбайды."),
        ("social", "Көп балалы отбасыға материалдық көмек көрсетуді сұраймын."),
    ],
}


def water_texts(language: str, n: int = 30, seed: int = 7) -> list[str]:
    parts = RU_WATER if language == "ru" else KK_WATER
    rng = random.Random(seed)
    texts: set[str] = set()
    while len(texts) < n:
        texts.add(" ".join([rng.choice(parts["open"]), rng.choice(parts["core"]), rng.choice(parts["detail"])]))
    return sorted(texts)


def day_in(start: date, i: int, span: int = 120) -> date:
    return start + timedelta(days=(i * 7) % span)


def seed_registry(engine: Engine, language: str, start: date = date(2026, 1, 1)) -> dict[str, list[str]]:
    """Cards of the planted problem (30 appeals, 30 applicants, district nauryzbay), of one
    applicant writing the same complaint six times (district auezov), of unrelated appeals, and
    of 5 like appeals about the water in the half-year before. Returns the numbers by role."""
    from sqlmodel import Session

    from models.registry import CaseRecord, EventRecord

    numbers: dict[str, list[str]] = {"water": [], "one_applicant": [], "unrelated": [], "earlier_water": []}
    cards: list[CaseRecord] = []
    events: list[EventRecord] = []

    def card(
        role: str, i: int, text: str, district: str, category: str, identity: str, received: date, **kw: object
    ) -> None:
        number = f"APL-{received.year}-{role[:3].upper()}{i:05d}"
        numbers[role].append(number)
        cards.append(
            CaseRecord(
                reg_number=number,
                kind="appeal",
                appeal_type="complaint",
                channel="electronic",
                language=language,
                category=category,
                district=district,
                applicant_kind="person",
                applicant_identity=identity,
                applicant_name=kw.pop("name", "Айгерим Нурланова"),  # type: ignore[arg-type]
                addressee="Аким",
                received_at=f"{received.isoformat()}T10:00:00+05:00",
                received_on=received.isoformat(),
                executor=kw.pop("executor", "utilities-dept"),  # type: ignore[arg-type]
                summary=text,
                **kw,  # type: ignore[arg-type]
            )
        )

    for i, text in enumerate(water_texts(language)):
        late = i % 5 == 0  # of the answered, 4 late
        answered = i % 3 != 2  # 20 answered; of the 10 open, 5 past the term
        card(
            "water",
            i,
            text,
            "nauryzbay",
            "utilities",
            f"8503153{i:05d}",
            day_in(start, i),
            name=f"Ержан Сапаров{i}",
            state="closed" if answered else "under_consideration",
            closure_reason="answered" if answered else "",
            answered_on=(day_in(start, i) + timedelta(days=9)).isoformat() if answered else "",
            answered_late=answered and late,
            answer_working_days=7 if answered else None,
            overdue=not answered and i % 2 == 0,
            deadline=f"{(day_in(start, i) + timedelta(days=21)).isoformat()}T18:30:00+05:00",
        )
        if i < 4:
            events.append(
                EventRecord(
                    reg_number=numbers["water"][-1],
                    key=f"return-{i}",
                    trigger="return_for_finalization",
                    actor_id="head-1",
                    actor_role="head",
                    from_state="answered",
                    to_state="returned_for_finalization",
                    at=f"{day_in(start, i).isoformat()}T12:00:00+05:00",
                )
            )
    for i in range(6):
        card(
            "one_applicant",
            i,
            water_texts(language, 6, seed=99)[i],
            "auezov",
            "utilities",
            "850315300009",
            day_in(start, i),
        )
    unrelated = UNRELATED[language]
    districts = ["almaly", "bostandyk", "medeu", "auezov", "nauryzbay"]
    for i in range(40):
        category, text = unrelated[i % len(unrelated)]
        card(
            "unrelated",
            i,
            text,
            districts[i % len(districts)],
            category,
            f"9001011{i:05d}",
            day_in(start, i),
            executor="appeals-dept",
        )
    before = start - timedelta(days=181)
    for i in range(5):
        card(
            "earlier_water",
            i,
            water_texts(language, 5, seed=3)[i],
            "nauryzbay",
            "utilities",
            f"7701011{i:05d}",
            day_in(before, i, 150),
        )
    with Session(engine) as session:
        session.add_all(cards)
        session.add_all(events)
        session.commit()
    return numbers
