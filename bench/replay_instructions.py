"""Benchmark: replay cost in instructions (valgrind's callgrind), ours against the SDK's floor.

    .venv/bin/python bench/replay_instructions.py [--files 60] [--floor 60]

bench/replay.py times the same thing in seconds, but on this machine, a virtual one whose host is
shared, the same replay varied by 50% in elapsed and CPU time from one run to the next. Callgrind
counts instructions, which the same binary and inputs repeat (two runs of the same code here
differed by 0.5%), whatever else the host does. So a change's effect on replay is measured here.

Four replays run under callgrind, two at a time: our corpus (the first N files of tests/histories)
and the floor's bare histories (bench/replay.py's, made on a dev server first), each once with its
histories and once with none. The difference is the replay's own instructions (imports and start-up
cancel out), divided by the events replayed. Issue 27.4's goal is the ratio: ours at most 1.1 times
the SDK's per event. Takes a few minutes (callgrind runs code about 50 times slower).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("APPEALS_CODEC_KEY_FILE", str(ROOT / "tests" / "codec-test-key.json"))
os.environ.setdefault("APPEALS_SEAL_KEY_FILE", str(ROOT / "tests" / "seal-test-key.json"))

CORPUS = ROOT / "tests" / "histories"
COLLECTED = re.compile(r"Collected : (\d+)")


async def child(kind: str, n: int, folder: str) -> None:
    """One replay in this process (run under callgrind by the parent): prints the events replayed."""
    from temporalio.client import WorkflowHistory

    from bench.replay import replay_bare
    from tooling.replay import load_history, replay_all

    if kind == "ours":
        histories = [load_history(path) for path in sorted(CORPUS.glob("*.json"))[:n]]
        failures = sum([bool(outcome.failure) async for outcome in replay_all(histories)])
    else:
        paths = sorted(Path(folder).glob("*.json"))[:n]
        histories = [WorkflowHistory.from_json(p.stem, p.read_text(encoding="utf-8")) for p in paths]
        failures = await replay_bare(histories)
    print(json.dumps({"events": sum(len(h.events) for h in histories), "failures": failures}), flush=True)


def counted(kind: str, n: int, folder: str) -> tuple[int, int]:
    """(instructions, events) of one child replay under callgrind."""
    with tempfile.TemporaryDirectory() as out:
        done = subprocess.run(
            [
                "valgrind",
                "--tool=callgrind",
                f"--callgrind-out-file={out}/callgrind.out",
                sys.executable,
                __file__,
                "--child",
                kind,
                "--files",
                str(n),
                "--folder",
                folder,
            ],
            capture_output=True,
            text=True,
            check=True,
        )
    found = COLLECTED.findall(done.stderr)
    if not found:
        raise RuntimeError(f"callgrind printed no count for {kind} {n}: {done.stderr[-500:]}")
    result = json.loads(done.stdout.strip().splitlines()[-1])
    if result["failures"]:
        raise RuntimeError(f"{kind}: {result['failures']} histories failed to replay")
    return int(found[-1]), int(result["events"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--files", type=int, default=60, help="our histories replayed (the corpus's first N)")
    parser.add_argument("--floor", type=int, default=60, help="bare histories replayed")
    parser.add_argument("--child", choices=["ours", "bare"], help=argparse.SUPPRESS)
    parser.add_argument("--folder", default="", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        asyncio.run(child(args.child, args.files, args.folder))
        return
    from bench.replay import bare_histories, ratio_line

    with tempfile.TemporaryDirectory() as folder:
        for i, history in enumerate(asyncio.run(bare_histories(args.floor))):
            (Path(folder) / f"floor-{i:04d}.json").write_text(history.to_json(), encoding="utf-8")
        runs = [("ours", args.files), ("ours", 0), ("bare", args.floor), ("bare", 0)]
        with ThreadPoolExecutor(2) as pool:
            counts = list(pool.map(lambda run: counted(run[0], run[1], folder), runs))
    (ours, ours_events), (ours_base, _), (bare, bare_events), (bare_base, _) = counts
    ours_per_event = (ours - ours_base) / ours_events
    bare_per_event = (bare - bare_base) / bare_events
    print(f"replay in instructions (callgrind), {args.files} of our histories, {args.floor} bare ones")
    print(f"  ours:      {ours_events:6d} events, {ours_per_event / 1e6:7.3f} M instructions per event")
    print(f"  SDK floor: {bare_events:6d} events, {bare_per_event / 1e6:7.3f} M instructions per event")
    print(ratio_line("instructions per event", ours_per_event, bare_per_event))


if __name__ == "__main__":
    main()
    sys.stdout.flush()
    os._exit(0)  # the SDK's core threads can abort at interpreter finalization
