"""Planted problems for measuring the grouping (issue 26.1): each problem is written by different
people in Russian, in Kazakh and mixed, in different words, among unrelated appeals and decoys (the
same kind of problem in another place, which must stay apart). `development` is the set the
vocabulary and thresholds were tuned on; `held_out` was written afterwards with other problems,
places and wordings, and is only measured (bench/grouping.py)."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta


@dataclass(frozen=True)
class Planted:
    number: str
    problem: str  # the planted problem's name, or "" for an unrelated appeal
    district: str
    category: str
    received_on: date
    applicant: str
    text: str


@dataclass(frozen=True)
class Problem:
    name: str
    districts: tuple[str, ...]
    category: str
    ru: tuple[str, ...]
    kk: tuple[str, ...]
    mixed: tuple[str, ...] = ()


_OPEN_RU = ("", "Уважаемый аким!", "Прошу принять меры.", "Обращаюсь от имени соседей.", "Жалоба.", "Помогите!")
_OPEN_KK = ("", "Құрметті әкім!", "Шара қолдануыңызды сұраймын.", "Көршілер атынан жазып отырмын.", "Шағым.")
_CLOSE_RU = ("", "Прошу разобраться.", "Ответа от КСК нет.", "Дети и пожилые страдают.", "Сколько можно ждать?")
_CLOSE_KK = ("", "Тексеруді сұраймын.", "Балалар мен қарттар қиналып жүр.", "Қашанға дейін күтеміз?")

# The issue's shape: one water outage in one microdistrict, 24 appeals in two languages.
SHUGYLA_WATER = Problem(
    "water in Шұғыла",
    ("nauryzbay",),
    "utilities",
    ru=(
        "В микрорайоне Шугыла третий день нет воды.",
        "Мкр. Шұғыла остался без водоснабжения, вода не идёт с понедельника.",
        "Жители микрорайона Шугыла сидят без холодной воды уже неделю.",
        "У нас в Шугыле из кранов не течёт вода, водоканал не отвечает на звонки.",
        "Когда дадут воду в микрорайоне Шугыла? Отключили без предупреждения.",
        "Авария на водопроводе в мкр Шугыла, водоснабжение отсутствует.",
        "В домах микрорайона Шұғыла пропала вода, приходится покупать питьевую.",
        "Прорыв трубы водопровода в Шугыле, подачу воды прекратили и не восстанавливают.",
    ),
    kk=(
        "Шұғыла шағынауданында үш күннен бері су жоқ.",
        "Шұғыла ықшамауданында ауыз су берілмей тұр.",
        "Шұғылада судың берілуі тоқтатылды, ескертусіз ажыратты.",
        "Шұғыла мөлтекауданының тұрғындары бір апта сусыз қалды.",
        "Шұғыладағы су құбыры апатқа ұшырады, үйлерде су жоқ.",
        "Шұғыла шағынауданында шүмектен су ақпайды, су арнасы жауап бермейді.",
        "Біздің Шұғыла ауданында сумен жабдықтау жоқ, суды сатып аламыз.",
    ),
    mixed=(
        "Шұғыла мкр-да вода жоқ, су берілмейді неделю.",
        "Мкр Шугыла: су жоқ, водоканал не отвечает.",
    ),
)
# The same kind of problem elsewhere in the same district: a decoy that must stay apart.
AIGERIM_WATER = Problem(
    "water in Айгерім (decoy)",
    ("nauryzbay",),
    "utilities",
    ru=(
        "В микрорайоне Айгерим нет воды второй день.",
        "Мкр. Айгерім без водоснабжения с утра.",
        "В Айгериме из кранов не идёт вода.",
    ),
    kk=(
        "Айгерім шағынауданында су жоқ.",
        "Айгерім ықшамауданында ауыз су берілмейді.",
    ),
)
BUS_37 = Problem(
    "bus route 37 (city-wide)",
    ("almaly", "auezov", "bostandyk", "medeu"),
    "transport",
    ru=(
        "Автобус маршрута 37 ходит раз в час, люди мёрзнут на остановке.",
        "По 37 маршруту автобусов почти нет, интервал больше сорока минут.",
        "Маршрут №37 сократили, автобус не приходит вечером.",
        "Водители автобуса 37 проезжают остановку, не останавливаются.",
    ),
    kk=(
        "37 бағыттағы автобус сағатына бір рет жүреді, аялдамада тоңып тұрамыз.",
        "37 маршрут автобусы кешке келмейді.",
        "37-бағыт автобусының жүргізушілері аялдамаға тоқтамайды.",
    ),
)
MOMYSHULY_LIGHTS = Problem(
    "street lights on Момышұлы",
    ("auezov",),
    "roads",
    ru=(
        "На улице Момышулы не горят фонари, вечером темно.",
        "Уличное освещение по ул. Момышулы не работает месяц.",
        "На проспекте Момышулы сломаны фонари, опасно ходить.",
    ),
    kk=(
        "Момышұлы көшесінде шамдар жанбайды, кешке қараңғы.",
        "Момышұлы даңғылында көше жарығы бір ай бойы жоқ.",
    ),
)
KINDERGARTEN_ORBITA = Problem(
    "no kindergarten places in Орбита",
    ("bostandyk",),
    "education",
    ru=(
        "В микрорайоне Орбита не хватает мест в детских садах.",
        "Очередь в садик в Орбите три года, прошу открыть новый детский сад.",
    ),
    kk=(
        "Орбита шағынауданында балабақшаларда орын жетпейді.",
        "Орбита ықшамауданында балабақша кезегі үш жыл, жаңа балабақша ашуды сұраймыз.",
        "Орбитада балаларға балабақшадан орын жоқ.",
    ),
)

# Held out: written after tuning, other places and wordings.
ZHETYSU_HEATING = Problem(
    "no heating in Жетісу-2",
    ("auezov",),
    "utilities",
    ru=(
        "В микрорайоне Жетысу батареи ледяные, отопления нет с пятницы.",
        "Мкр Жетысу: в квартирах холодно, теплосеть не даёт тепло.",
        "В Жетысу отключили отопление, дети болеют.",
        "Отопление в микрорайоне Жетісу так и не включили, в домах плюс двенадцать.",
    ),
    kk=(
        "Жетісу шағынауданында жылу берілмей тұр, пәтерлер суық.",
        "Жетісу ықшамауданындағы үйлерде батареялар суық, жылу жоқ.",
        "Жетісуда жылыту маусымы басталса да жылу жоқ.",
    ),
    mixed=("Жетісу мкр-да отопление жоқ, батарея суық.",),
)
KALKAMAN_ROAD = Problem(
    "potholes on the road to Калкаман",
    ("nauryzbay",),
    "roads",
    ru=(
        "Дорога в посёлок Калкаман вся в ямах, машины ломаются.",
        "В Калкамане разбит асфальт, ямы по колено после дождя.",
        "Прошу отремонтировать дорогу в поселке Калкаман, сплошные выбоины.",
    ),
    kk=(
        "Қалқаман кентіне баратын жол шұңқыр, көліктер бұзылады.",
        "Қалқаман кентінде асфальт бұзылған, жолды жөндеуді сұраймыз.",
    ),
)
SAIRAN_GARBAGE = Problem(
    "garbage not collected in Сайран",
    ("auezov",),
    "utilities",
    ru=(
        "В микрорайоне Сайран две недели не вывозят мусор, контейнеры переполнены.",
        "Мусор в Сайране не убирают, вокруг контейнеров свалка.",
        "Мкр Сайран утопает в мусоре, вывоз прекратился.",
    ),
    kk=(
        "Сайран шағынауданында екі апта қоқыс шығарылмайды.",
        "Сайранда қоқыс контейнерлері толып кетті, ешкім әкетпейді.",
    ),
)
# A second held-out set, written after the first one had shown two faults (a place spelled with ы
# and і; a Russian case form of a Kazakh name), measured once and not tuned on.
TAUSAMALY_GAS = Problem(
    "low gas pressure in Таусамалы",
    ("nauryzbay",),
    "utilities",
    ru=(
        "В посёлке Таусамалы слабое давление газа, плиты еле горят.",
        "Таусамалы: газ почти не поступает по вечерам, котлы отключаются.",
        "Жители Таусамалы мёрзнут, давление в газопроводе упало.",
    ),
    kk=(
        "Таусамалы кентінде газ қысымы әлсіз, пештер әрең жанады.",
        "Таусамалыда кешкісін газ келмейді, қазандықтар сөніп қалады.",
    ),
)
RAIYMBEK_SNOW = Problem(
    "snow not cleared on Райымбек",
    ("almaly",),
    "roads",
    ru=(
        "Проспект Райымбека не чистят от снега, машины буксуют.",
        "На Райымбека гололёд и сугробы, пешеходы падают.",
        "Уборка снега на проспекте Райымбек не ведётся третий день.",
    ),
    kk=(
        "Райымбек даңғылы қардан тазартылмаған, көліктер тайғанайды.",
        "Райымбек даңғылында көктайғақ, жаяу жүргіншілер құлап жатыр.",
    ),
)
CLINIC_7 = Problem(
    "no appointments at clinic No. 7",
    ("medeu",),
    "health",
    ru=(
        "В поликлинике №7 невозможно попасть к врачу, запись на две недели вперёд.",
        "Поликлиника 7: к терапевту не записаться, телефон регистратуры не отвечает.",
    ),
    kk=(
        "№7 емханада дәрігерге жазылу мүмкін емес, кезек екі аптаға созылады.",
        "7 емханада терапевтке жазыла алмаймыз, тіркеу бөлімі телефон көтермейді.",
    ),
)
OZHET_HEATING = Problem(
    "no heating in Өжет (decoy of Жетісу)",
    ("auezov",),
    "utilities",
    ru=("В микрорайоне Ожет нет отопления.", "Мкр. Өжет: батареи холодные."),
    kk=("Өжет шағынауданында жылу жоқ.",),
)
HELD_OUT_2 = (TAUSAMALY_GAS, RAIYMBEK_SNOW, CLINIC_7, OZHET_HEATING, ZHETYSU_HEATING)
DEVELOPMENT = (SHUGYLA_WATER, AIGERIM_WATER, BUS_37, MOMYSHULY_LIGHTS, KINDERGARTEN_ORBITA)
HELD_OUT = (ZHETYSU_HEATING, KALKAMAN_ROAD, SAIRAN_GARBAGE, AIGERIM_WATER)

# Unrelated appeals, one each (different problems, places and people).
UNRELATED = (
    ("roads", "На улице Абая большие ямы на дороге, прошу провести ямочный ремонт."),
    ("education", "Прошу выделить место в детском саду для моего сына."),
    ("social", "Прошу разъяснить порядок назначения адресной социальной помощи."),
    ("land", "Прошу предоставить земельный участок под индивидуальное жилищное строительство."),
    ("housing", "Протекает крыша многоквартирного дома, управляющая компания бездействует."),
    ("health", "В поликлинике невозможно записаться к терапевту через портал."),
    ("housing", "Прошу поставить меня в очередь на получение жилья из коммунального фонда."),
    ("social", "Прошу оказать материальную помощь многодетной семье."),
    ("other", "Соседи шумят по ночам, прошу принять меры."),
    ("other", "Бродячие собаки во дворе пугают детей."),
    ("land", "Сосед захватил часть моего участка, прошу провести замер."),
    ("health", "Скорая помощь ехала к отцу полтора часа."),
    ("education", "В школе №12 нет учителя математики с сентября."),
    ("transport", "Прошу установить светофор у школы на пересечении улиц."),
    ("housing", "Не работает лифт в доме, пожилые не могут выйти."),
    ("social", "Не пришло пособие по уходу за ребенком за октябрь."),
    ("roads", "Прошу очистить тротуары от снега на улице Жандосова."),
    ("other", "Незаконная парковка на газоне у дома."),
    ("utilities", "Счёт за газ пришёл вдвое больше, прошу перерасчёт."),
    ("land", "Прошу узаконить самовольную постройку на участке."),
    ("roads", "Абай көшесінде жолда үлкен шұңқырлар бар, жөндеу жүргізуді сұраймын."),
    ("education", "Ұлыма балабақшадан орын беруді сұраймын."),
    ("social", "Атаулы әлеуметтік көмек тағайындау тәртібін түсіндіруді сұраймын."),
    ("land", "Жеке тұрғын үй құрылысына жер телімін беруді сұраймын."),
    ("housing", "Көппәтерлі үйдің шатыры ағып тұр, басқарушы компания әрекетсіз."),
    ("health", "Емханада терапевтке портал арқылы жазылу мүмкін емес."),
    ("housing", "Коммуналдық тұрғын үй қорынан пәтер алу кезегіне қоюды сұраймын."),
    ("social", "Көп балалы отбасыға материалдық көмек көрсетуді сұраймын."),
    ("other", "Көршілер түнде шу шығарады, шара қолдануды сұраймын."),
    ("other", "Аулада иесіз иттер балаларды қорқытады."),
    ("education", "Мектепте математика пәнінің мұғалімі жоқ."),
    ("transport", "Мектеп жанындағы қиылысқа бағдаршам орнатуды сұраймын."),
    ("housing", "Үйдегі лифт істемейді, қарттар сыртқа шыға алмайды."),
    ("social", "Бала күтімі бойынша жәрдемақы қазан айында түспеді."),
    ("utilities", "Газ үшін төлем екі есе көп келді, қайта есептеуді сұраймын."),
    ("roads", "Төле би көшесінде тротуарлар қардан тазартылмаған."),
    ("other", "Прошу выдать справку о составе семьи."),
    ("utilities", "Прошу заменить счетчик воды в квартире, старый сломан."),
    ("utilities", "В подъезде нашего дома не работает освещение."),
    ("land", "Жер учаскесінің шекарасын анықтауды сұраймын."),
)


def generate(
    problems: tuple[Problem, ...],
    copies: dict[str, int],
    unrelated: int,
    seed: int = 26,
    start: date = date(2026, 9, 1),
    days: int = 61,
) -> list[Planted]:
    """Appeals of the planted problems (`copies` per problem, in its languages in turn, each from
    another applicant, with openings and closings varied) and `unrelated` other appeals, over `days`."""
    rng = random.Random(seed)
    appeals: list[Planted] = []
    districts = ("almaly", "bostandyk", "medeu", "auezov", "nauryzbay")

    def add(problem: str, district: str, category: str, text: str) -> None:
        n = len(appeals)
        appeals.append(
            Planted(
                number=f"APL-2026-{seed:02d}{n:05d}",
                problem=problem,
                district=district,
                category=category,
                received_on=start + timedelta(days=rng.randrange(days)),
                applicant=f"8{seed:02d}{n:09d}",
                text=text,
            )
        )

    for problem in problems:
        wordings = [("ru", t) for t in problem.ru] + [("kk", t) for t in problem.kk]
        wordings += [("mixed", t) for t in problem.mixed]
        rng.shuffle(wordings)
        for i in range(copies.get(problem.name, len(wordings))):
            language, core = wordings[i % len(wordings)]
            opening = rng.choice(_OPEN_KK if language == "kk" else _OPEN_RU)
            closing = rng.choice(_CLOSE_KK if language == "kk" else _CLOSE_RU)
            category = problem.category if rng.random() > 0.1 else "other"  # a registrar's slip now and then
            text = " ".join(p for p in (opening, core, closing) if p)
            add(problem.name, problem.districts[i % len(problem.districts)], category, text)
    for i in range(unrelated):
        category, text = UNRELATED[i % len(UNRELATED)]
        add("", districts[rng.randrange(len(districts))], category, text)
    return appeals


def issue_shaped(seed: int = 26) -> list[Planted]:
    """The issue's set: 200 appeals over two months, 24 of them about one water outage in one
    microdistrict, in Kazakh and Russian and different words, with a decoy and other problems."""
    copies = {
        SHUGYLA_WATER.name: 24,
        AIGERIM_WATER.name: 5,
        BUS_37.name: 10,
        MOMYSHULY_LIGHTS.name: 7,
        KINDERGARTEN_ORBITA.name: 6,
    }
    return generate(DEVELOPMENT, copies, 200 - sum(copies.values()), seed=seed)


def held_out(seed: int = 27) -> list[Planted]:
    copies = {ZHETYSU_HEATING.name: 14, KALKAMAN_ROAD.name: 8, SAIRAN_GARBAGE.name: 9, AIGERIM_WATER.name: 5}
    return generate(HELD_OUT, copies, 150, seed=seed)


def held_out_2(seed: int = 28) -> list[Planted]:
    copies = {
        TAUSAMALY_GAS.name: 9,
        RAIYMBEK_SNOW.name: 8,
        CLINIC_7.name: 7,
        OZHET_HEATING.name: 5,
        ZHETYSU_HEATING.name: 8,
    }
    return generate(HELD_OUT_2, copies, 150, seed=seed)
