"""The reports open in a real browser (headless Chromium via Playwright), offline: the charts are
drawn and the key figures are there. Screenshots go to APPEALS_SCREENSHOT_DIR when it is set."""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from analysis.reports import build
from analysis.scope import Scope
from tests.planted import seed_registry
from tests.test_web_ui import CHROMIUM, browser_installed  # noqa: F401  (the same requirement)

HALF = (date(2026, 1, 1), date(2026, 6, 30))
CASES = [
    ("systemic", "", "ru", ["chart-heat"], "76"),
    ("district", "nauryzbay", "kk", ["chart-volumes", "chart-on-time"], "38"),
    ("performance", "", "ru", ["chart-on-time", "chart-volumes", "chart-heat"], "76"),
    ("half-year", "", "kk", ["chart-volumes", "chart-on-time"], "76"),
    ("digest", "", "ru", [], "10"),  # the 10 open planted appeals, all due by the end of the half-year
]


@pytest.mark.parametrize(("kind", "district", "language", "charts", "total"), CASES, ids=[c[0] for c in CASES])
async def test_the_report_shows_its_charts_and_figures_in_a_browser(
    engine: Engine, tmp_path: Path, kind: str, district: str, language: str, charts: list[str], total: str
) -> None:
    from playwright.async_api import async_playwright

    seed_registry(engine, language)
    report = build(kind, engine, Scope(*HALF, district=district, language=language))
    html = report.write(tmp_path)[0]
    shots = Path(os.environ.get("APPEALS_SCREENSHOT_DIR") or tmp_path)
    shots.mkdir(parents=True, exist_ok=True)
    async with async_playwright() as p:
        browser = await p.chromium.launch(
            executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
        )
        context = await browser.new_context(offline=True)  # nothing may come from the network
        page = await context.new_page()
        requests: list[str] = []
        page.on("request", lambda r: requests.append(r.url))
        await page.goto(html.as_uri())
        for chart in charts:
            box = await page.locator(f"svg#{chart}").bounding_box()
            assert box and box["width"] > 200 and box["height"] > 80, (chart, box)
        if kind == "digest":
            assert await page.locator("table#digest-utilities-dept tr").count() == 1 + int(total)
        else:
            assert await page.locator("#total").inner_text() == total
        if kind == "systemic":
            assert await page.locator("#flagged").inner_text() == "1"
            card = await page.locator("#group-1").inner_text()
            assert "Аксай" in card
            # Issue 26.3: what and where in the title, the places in the text, the proposed action.
            assert "Группа 1: ЖКХ" in card and "(Аксай, Наурызбайский)" in card
            assert await page.locator("#group-1 b.places").inner_text() == "Аксай"
            proposed = page.locator("#group-1 ul.proposed li")
            assert await proposed.count() == 2
            assert (await proposed.first.inner_text()).startswith("Управление энергетики и ЖКХ: установить причину")
            box = await proposed.first.bounding_box()
            assert box is not None and box["height"] > 0  # shown, not hidden
        await page.screenshot(path=str(shots / f"report-{kind}-{language}.png"), full_page=True)
        await browser.close()
    assert [u for u in requests if not u.startswith("file://")] == []
