"""Time is a parameter (issue 20): one helper reads the wall clock, local dates are Almaty's."""

from __future__ import annotations

import ast
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from policies.calendar import local_today, local_year

ROOT = Path(__file__).resolve().parent.parent
CLOCK = ROOT / "runtime" / "clock.py"
# Reads of the wall clock (durations use time.perf_counter / time.monotonic, which have no hour).
WALL_CLOCK = {("datetime", "now"), ("datetime", "today"), ("datetime", "utcnow"), ("date", "today"), ("time", "time")}


def wall_clock_reads(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            owner = node.func.value
            name = owner.id if isinstance(owner, ast.Name) else owner.attr if isinstance(owner, ast.Attribute) else ""
            if (name, node.func.attr) in WALL_CLOCK:
                found.append(f"{path.relative_to(ROOT)}:{node.lineno}: {name}.{node.func.attr}()")
    return found


def test_only_the_clock_helper_reads_the_wall_clock() -> None:
    sources = [p for p in ROOT.rglob("*.py") if ".venv" not in p.parts and p != CLOCK]
    sources = [p for p in sources if p.name != "sandbox_probe.py"]  # a workflow that must be stopped reading it
    reads = [read for path in sources for read in wall_clock_reads(path)]
    assert reads == []  # take `now` as a parameter, or runtime.clock.utc_now() / local_today()


@pytest.mark.parametrize(
    ("utc", "local_day", "year"),
    [
        ("2026-12-02T18:59:59+00:00", "2026-12-02", 2026),
        ("2026-12-02T19:00:00+00:00", "2026-12-03", 2026),  # midnight in Almaty (UTC+5)
        ("2026-12-31T20:52:00+00:00", "2027-01-01", 2027),  # a registration number of the new year
        ("2024-02-29T17:30:00+00:00", "2024-02-29", 2024),  # 23:30 at UTC+6, the last evening of it
        ("2024-02-29T18:30:00+00:00", "2024-02-29", 2024),  # 23:30 again: UTC+5 from 1 March 2024
        ("2024-02-29T19:00:00+00:00", "2024-03-01", 2024),
    ],
)
def test_the_local_day_and_year_are_almatys_not_utcs(utc: str, local_day: str, year: int) -> None:
    at = datetime.fromisoformat(utc).astimezone(UTC)
    assert local_today(at) == date.fromisoformat(local_day)
    assert local_year(at) == year


CLOCK_TESTS = ["tests/test_clock.py", "tests/test_readme_claims.py", "tests/test_calendar.py"]


NIGHTS = {  # the failing hour; Saturday; New Year
    "thursday-night": "2026-12-03 20:52:00",
    "saturday-night": "2026-12-05 23:30:00",
    "new-year-eve": "2026-12-31 19:30:00",
}


def test_the_clock_sensitive_tests_pass_with_the_wall_clock_at_night() -> None:
    """The same tests in processes whose wall clock (faketime) reads a night hour in Almaty: the
    hours at which CI failed before (a run at 20:52 UTC, 01:52 in Almaty). The three nights run at
    once: each process mostly starts up, and one after another they took 25 s of the suite."""
    import shutil
    import subprocess
    import sys

    from tests.conftest import require

    require(shutil.which("faketime") is not None, "faketime", "apt-get install faketime")
    runs = {
        night: subprocess.Popen(
            ["faketime", "-f", f"@{moment}", sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"]
            + ["-k", "not night and not status_lists", *CLOCK_TESTS],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for night, moment in NIGHTS.items()
    }
    for night, run in runs.items():
        stdout, stderr = run.communicate(timeout=300)
        assert run.returncode == 0, f"{night}: " + stdout[-3000:] + stderr[-2000:]
        assert " passed" in stdout and " failed" not in stdout, f"{night}: {stdout[-1000:]}"
