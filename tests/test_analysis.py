"""The analysis for the akim (issue 12): systemic problems found in the appeals' words, figures
counted right by SQL, and every breakdown adding up."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.engine import Engine
from sqlmodel import Session

from analysis import figures
from analysis.reports import build
from analysis.scope import Scope
from analysis.systemic import anonymise, find_groups
from models.registry import CaseRecord, make_engine
from tests.planted import seed_registry

BOTH_REGISTRIES = True  # each test using `engine` runs on SQLite and on PostgreSQL (tests/conftest.py)

HALF = Scope(date(2026, 1, 1), date(2026, 6, 30))


@pytest.fixture
def engine(tmp_path: Path) -> Engine:
    return make_engine(f"sqlite:///{tmp_path}/registry.db")


@pytest.mark.parametrize("language", ["ru", "kk"])
def test_the_planted_systemic_problem_is_found_and_nothing_else_is_flagged(engine: Engine, language: str) -> None:
    numbers = seed_registry(engine, language)
    with engine.connect() as conn:
        groups = find_groups(conn, HALF)
    flagged = [g for g in groups if g.flagged]
    assert len(flagged) == 1, [(g.district, g.size, g.applicants) for g in flagged]
    problem = flagged[0]
    assert sorted(problem.numbers) == sorted(numbers["water"])
    assert problem.district == "nauryzbay" and problem.applicants == 30
    assert problem.categories == {"utilities": 30}
    assert problem.late == 4 + 5  # 4 answered late, 5 open past the term
    assert problem.returned == 4
    assert problem.previous == 5 and problem.trend == "up"
    assert "≥ 5 appeals, ≥ 3 applicants" in problem.rule
    # One applicant's six like appeals make a group, but not a systemic problem: one person.
    mine = [g for g in groups if set(g.numbers) & set(numbers["one_applicant"])]
    assert mine and not mine[0].flagged and mine[0].applicants == 1
    assert not any(set(g.numbers) & set(numbers["unrelated"]) for g in flagged)


@pytest.mark.parametrize("language", ["ru", "kk"])
def test_the_certificate_shows_the_problem_in_its_language_without_personal_data(engine: Engine, language: str) -> None:
    seed_registry(engine, language)
    report = build("systemic", engine, Scope(HALF.start, HALF.end, language=language))
    assert report.summary["flagged"] == 1 and report.summary["total"] == 30 + 6 + 40
    heading = {"ru": "Справка о системных вопросах", "kk": "жүйелі мәселелер туралы анықтама"}[language]
    assert heading in report.html
    rule = {"ru": "не менее 5 обращений не менее чем от 3 заявителей", "kk": "кемінде 5 өтініш"}[language]
    assert rule in report.html  # every flag says which rule raised it, in the report's language
    assert "Ержан" not in report.html and "Сапаров" not in report.html  # names are masked in the excerpts
    assert 'id="chart-heat"' in report.html
    assert report.tables["groups"][0]["appeals"] == 30
    assert report.csv("groups").splitlines()[0].startswith("district,appeals,applicants")


def test_excerpts_lose_identifiers_and_the_applicants_name() -> None:
    text = "Я, Сапаров Ержан, ИИН 850315300009, тел. +7 701 123 45 67, e-mail e.saparov@mail.kz: нет воды"
    masked = anonymise(text, "Ержан Сапаров", 200)
    for secret in ("Сапаров", "Ержан", "850315300009", "701 123", "mail.kz"):
        assert secret not in masked
    assert masked.endswith("нет воды")


def test_the_performance_figures_are_counted_right(engine: Engine) -> None:
    seed_registry(engine, "ru")
    with engine.connect() as conn:
        rows = {r.executor: r for r in figures.performance(conn, HALF)}
    water = rows["utilities-dept"]  # 30 water appeals + one applicant's 6
    assert water.received == 36
    assert (water.answered_on_time, water.answered_late, water.open_past_term) == (16, 4, 5)
    assert water.returned == 4 and water.extended == 0 and water.proposals == 0
    assert water.avg_working_days == 7.0
    assert water.on_time_share == pytest.approx(16 / 25)  # in time, of the 20 answered and the 5 open past the term
    assert rows["appeals-dept"].received == 40 and rows["appeals-dept"].answered_on_time == 0


def test_the_district_card_flags_its_problems_with_their_rules(engine: Engine) -> None:
    seed_registry(engine, "ru")
    report = build("district", engine, Scope(HALF.start, HALF.end, district="nauryzbay"))
    assert report.summary["total"] == 38  # 30 water + 8 unrelated
    assert report.summary["groups"] == 1
    assert "ЖКХ: категория занимает 79% обращений района (порог 25%, не менее 10)" in report.html
    # the district's own share, said as the district's (it read as the category's above it)
    assert "Район в целом: доля нарушений сроков 24%, 9 из 38 обращений района (порог 10%)" in report.html
    assert report.tables["categories"][0] == {"category": "utilities", "appeals": 30, "share": round(30 / 38, 4)}


def test_a_period_outside_the_data_gives_empty_reports_not_errors(engine: Engine) -> None:
    seed_registry(engine, "kk")
    for kind in ("systemic", "performance", "half-year", "digest"):
        report = build(kind, engine, Scope(date(2020, 1, 1), date(2020, 1, 31), language="kk"))
        assert report.html.startswith("<!doctype html>")
        if kind != "digest":  # the digest lists the open cases due by then, whatever the period
            assert "Бұл кезеңде өтініштер жоқ." in report.html, kind  # said, not a silent page of zeros
        for table in report.tables:
            assert report.csv(table).strip(), (kind, table)  # the header is there (issue 26)
    assert "(Asia/Almaty, UTC+5)" in report.html  # the generation time names its zone
    with pytest.raises(ValueError, match="district: a problem-issue card is for one district"):
        build("district", engine, HALF)
    with pytest.raises(ValueError, match="kind: 'weekly' is not one of"):
        build("weekly", engine, HALF)
    with pytest.raises(ValueError, match="period: the end 2026-01-01 is before the start 2026-02-01"):
        Scope(date(2026, 2, 1), date(2026, 1, 1))


CATEGORIES = ["housing", "utilities", "roads", "social"]
DISTRICTS = ["almaly", "medeu", "auezov"]
EXECUTORS = ["housing-dept", "utilities-dept", "appeals-dept"]

case_strategy = st.fixed_dictionaries(
    {
        "category": st.sampled_from(CATEGORIES),
        "district": st.sampled_from(DISTRICTS),
        "executor": st.sampled_from(EXECUTORS),
        "day": st.integers(0, 200),
        "answered": st.booleans(),
        "late": st.booleans(),
        "overdue": st.booleans(),
    }
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(cases=st.lists(case_strategy, max_size=60))
def test_every_breakdown_adds_up_to_the_total(tmp_path_factory: pytest.TempPathFactory, cases: list[dict]) -> None:
    from datetime import timedelta

    engine = make_engine(f"sqlite:///{tmp_path_factory.mktemp('h')}/registry.db")
    start = date(2026, 1, 1)
    with Session(engine) as session:
        for i, c in enumerate(cases):
            day = start + timedelta(days=c["day"])
            session.add(
                CaseRecord(
                    reg_number=f"APL-2026-{i:06d}",
                    kind="appeal",
                    category=c["category"],
                    district=c["district"],
                    executor=c["executor"],
                    received_on=day.isoformat(),
                    state="closed" if c["answered"] else "under_consideration",
                    answered_on=day.isoformat() if c["answered"] else "",
                    answered_late=c["answered"] and c["late"],
                    overdue=c["overdue"],
                )
            )
        session.commit()
    scope = Scope(start, date(2026, 6, 30))
    inside = [c for c in cases if (start + timedelta(days=c["day"])) <= scope.end]
    with engine.connect() as conn:
        total = figures.total(conn, scope)
        rows = figures.performance(conn, scope)
        months = figures.by_month(conn, scope)
        cells = figures.by_category_and_district(conn, scope)
        per_district = [figures.district_figures(conn, Scope(scope.start, scope.end, district=d)) for d in DISTRICTS]
    assert total == len(inside)
    assert sum(r.received for r in rows) == total
    assert sum(n for _, n in months) == total
    assert sum(n for _, _, n in cells) == total
    assert sum(d.received for d in per_district) == total
    assert all(sum(n for _, n in d.by_category) == d.received for d in per_district)
    for r in rows:
        assert r.answered_on_time + r.answered_late <= r.received
    assert sum(r.answered_on_time + r.answered_late for r in rows) == sum(c["answered"] for c in inside)
    engine.dispose()


def test_the_on_time_share_counts_the_open_cases_past_their_term() -> None:
    """Issue 26.5: an executor with no answers and 22 overdue vanished from the chart (no share),
    and one that answered late looked worse than one that did not answer at all."""
    silent = figures.PerformanceRow("silent-dept", 22, 0, 0, 22, 0, 0, 0, None)
    late = figures.PerformanceRow("late-dept", 22, 0, 22, 0, 0, 0, 0, 30.0)
    assert silent.on_time_share == 0.0 and late.on_time_share == 0.0
    assert figures.PerformanceRow("fresh-dept", 3, 0, 0, 0, 0, 0, 0, None).on_time_share is None  # no term has come


def test_an_answer_on_its_registration_day_took_one_working_day() -> None:
    """Issue 26.6: the registration day is day 1 of the term; the average was one short."""
    from activities.registry import answer_figures

    assert answer_figures("2026-12-03T10:00:00+05:00", "2026-12-03T12:00:00+00:00")["answer_working_days"] == 1
    assert answer_figures("2026-12-03T10:00:00+05:00", "2026-12-04T12:00:00+00:00")["answer_working_days"] == 2
    # received on a Saturday: registered on Monday, answered on Monday
    assert answer_figures("2026-12-05T10:00:00+05:00", "2026-12-07T09:00:00+00:00")["answer_working_days"] == 1


def test_the_digest_page_and_the_notices_it_sends_list_the_same_cases(engine: Engine) -> None:
    """Issue 26.6: the page counted "due soon" from the week's last day, the notices from the day
    the digest is made; they now agree, and the page names the window's last day."""
    from sqlmodel import Session

    from analysis.reports import digest_lines
    from models.registry import CaseRecord
    from policies.calendar import add_working_days
    from policies.loading import load_policy

    seed_registry(engine, "ru")
    days = int(load_policy("analysis")["digest"]["at_risk_working_days"])
    edge = add_working_days(date(2026, 4, 27), days)  # the window's last day, counted from the Monday
    with Session(engine) as session:
        session.add(
            CaseRecord(
                reg_number="APL-2026-EDGE01",
                kind="appeal",
                state="under_consideration",
                executor="roads-dept",
                appeal_type="application",
                channel="electronic",
                language="ru",
                category="roads",
                district="medeu",
                applicant_kind="person",
                applicant_identity="850315000001",
                applicant_name="Айгүл",
                applicants_count=1,
                addressee="Аким",
                received_at="2026-04-01T10:00:00+05:00",
                deadline=f"{edge.isoformat()}T18:30:00+05:00",
                workflow_run="edge",
            )
        )
        session.commit()
    week = Scope(date(2026, 4, 20), date(2026, 4, 26), language="ru")  # the digest is made on Monday the 27th
    page = build("digest", engine, week)
    sent = digest_lines(engine, date(2026, 4, 27))
    assert {r["reg_number"] for r in page.tables["cases"]} == {
        line.reg_number for lines in sent.values() for line in lines
    }
    assert "APL-2026-EDGE01" in {r["reg_number"] for r in page.tables["cases"]}  # due on the window's last day
    assert 'id="due-by"' in page.html


def test_a_problem_spread_over_districts_is_shown_as_one_city_wide_problem(engine: Engine) -> None:
    """Issue 26.2: the same bus route complained about in four districts showed as unconnected
    pieces, none big enough in its district to be flagged."""
    from sqlmodel import Session

    from models.registry import CaseRecord

    texts = [
        "Автобус маршрута 92 не ходит по расписанию, люди ждут на остановке по часу.",
        "Маршрут 92: автобус не приходит по расписанию, на остановке ждём больше часа.",
        "Автобус 92 не соблюдает расписание, на остановке приходится ждать час и больше.",
        "Опять нет автобуса маршрута 92, расписание не соблюдается, ждём на остановке час.",
    ]
    districts = ["almaly", "medeu", "auezov", "bostandyk"]
    with Session(engine) as session:
        for i in range(8):
            session.add(
                CaseRecord(
                    reg_number=f"APL-2026-BUS{i:05d}", kind="appeal", state="under_consideration",
                    executor="roads-dept", appeal_type="complaint", channel="electronic", language="ru",
                    category="transport", district=districts[i % 4], applicant_kind="person",
                    applicant_identity=f"85031510{i:04d}", applicant_name=f"Житель {i}", applicants_count=1,
                    addressee="Аким", received_at=f"2026-03-{10 + i:02d}T10:00:00+05:00",
                    received_on=f"2026-03-{10 + i:02d}", deadline="2026-04-30", summary=texts[i % 4],
                    workflow_run=f"bus-{i}",
                )
            )  # fmt: skip
        session.commit()
    report = build("systemic", engine, HALF)
    [city] = report.tables["city"]
    assert city["appeals"] == 8 and set(city["district"].split("; ")) == {f"{d}=2" for d in districts}
    assert not any(g["appeals"] == 8 for g in report.tables["groups"])  # no district flags it alone
    assert 'id="city-1"' in report.html and "Медеуский (2)" in report.html


def test_the_certificate_says_what_where_since_when_and_who_answers_for_it(engine: Engine) -> None:
    """Issue 26.3: a flagged problem named no place, no period and no responsible body."""
    seed_registry(engine, "ru")
    report = build("systemic", engine, HALF)
    water = report.tables["groups"][0]
    assert water["district"] == "nauryzbay" and water["responsible"] == "utilities-dept"
    assert water["first_day"] <= water["last_day"] and water["first_day"].startswith("2026-")
    assert "utilities-dept=" in water["on_time"]
    assert "Ответственный орган (по маршрутизации): <b>Управление энергетики и ЖКХ</b>" in report.html
    assert "Группа 1: ЖКХ" in report.html and "(Аксай, Наурызбайский)" in report.html  # what and where, in its title
    assert water["places"] == "Аксай"  # the place its appeals name, found in their words (issue 26.1)
    # What the certificate proposes: the body, the place, and the terms the group's figures call for.
    assert water["proposed_action"].startswith("Управление энергетики и ЖКХ: установить причину")
    assert "(Аксай)" in water["proposed_action"] and "9 из 30 обращений с нарушением срока" in water["proposed_action"]
    assert '<ul class="proposed"><li>Управление энергетики и ЖКХ: ' in report.html
    assert not {"прошу", "принять", "меры"} & set(water["terms"].split("; "))  # filler is not the problem's words
