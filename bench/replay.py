"""Benchmark: `audit.py replay`'s engine on the recorded corpus, repeated to a few hundred files.

    .venv/bin/python bench/replay.py [--files 300]

Prints histories/s for the whole corpus and per workflow kind, with the time spent loading
(reading and parsing the JSON) shown apart from the replay itself. Process start-up (imports) is
not counted: it is paid once per `audit.py replay` run, whatever the number of files.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("APPEALS_CODEC_KEY_FILE", str(ROOT / "tests" / "codec-test-key.json"))

from runtime.replay import load_history, replay_all, replay_files  # noqa: E402

CORPUS = ROOT / "tests" / "histories"


async def measure(files: list[Path]) -> None:
    started = time.perf_counter()
    histories = [load_history(path) for path in files]
    loaded = time.perf_counter()
    kinds: dict[str, list[float]] = defaultdict(list)
    failures = 0
    last = loaded
    async for outcome in replay_all(histories):
        now = time.perf_counter()
        kinds[outcome.workflow_type].append(now - last)
        last = now
        failures += bool(outcome.failure)
    replayed = time.perf_counter()
    events = sum(len(h.events) for h in histories)
    total = replayed - started
    print(f"replay benchmark: {len(files)} histories ({events} events) from {CORPUS.name}/, {os.cpu_count()} cores")
    n = len(files)
    print(f"  load (read + parse JSON): {loaded - started:6.2f} s  {n / (loaded - started):8.0f} histories/s")
    print(f"  replay:                   {replayed - loaded:6.2f} s  {n / (replayed - loaded):8.0f} histories/s")
    print(f"  load + replay:            {total:6.2f} s  {n / total:8.0f} histories/s   (goal >= 200)")
    for kind, times in sorted(kinds.items()):
        print(f"  {kind:<24}{len(times):>5} histories  {len(times) / sum(times):8.0f} histories/s (replay only)")
    print(f"  failures: {failures}")
    started = time.perf_counter()
    outcomes = [outcome for batch in replay_files(files) for _, outcome in batch]
    seconds = time.perf_counter() - started
    print(
        f"  audit.py replay's way, {os.cpu_count()} processes (spawn, load and replay): {seconds:6.2f} s  "
        f"{len(files) / seconds:6.0f} histories/s   (goal >= 200); failures: {sum(bool(o.failure) for o in outcomes)}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--files", type=int, default=300)
    args = parser.parse_args()
    corpus = sorted(CORPUS.glob("*.json"))
    files = [corpus[i % len(corpus)] for i in range(args.files)]
    asyncio.run(measure(files))


if __name__ == "__main__":
    main()
    sys.stdout.flush()
    os._exit(0)  # the SDK's core threads can abort at interpreter finalization
