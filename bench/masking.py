"""Benchmark: the masking of excerpts (issue 26.4) on the planted set (analysis/planted_pii.py).

    .venv/bin/python bench/masking.py

Prints the recall per kind of item (goal: every planted item masked), how many of the words that say
what the appeal is about survive (over-masking), and the time per excerpt.

Kazakhstan personal-data detectors on PyPI, judged and not used: `kz-iin-validator` checks an IIN's
digits (our models/identity.py does that already); `presidio` needs spaCy models downloaded at run
time (not allowed here) and has no Kazakh or Russian recognisers of names; `natasha` (Russian NER)
ships its models in packages but finds no Kazakh-spelled names. `pymorphy3` with its dictionaries
package finds Russian and Russian-spelled Kazakh names in every case form, and the suffix rules add
the Kazakh -ұлы/-қызы forms.
"""

from __future__ import annotations

import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from analysis.masking import mask  # noqa: E402
from analysis.planted_pii import HELD_OUT, PLANTED  # noqa: E402


def main() -> None:
    measure("planted set", PLANTED)
    measure("held-out set (written after the masking was built, not tuned on)", HELD_OUT)


def measure(name: str, cases: list[tuple[str, str, list[tuple[str, str]], list[str]]]) -> None:
    print(f"\n{name}")
    planted: Counter[str] = Counter()
    masked_ok: Counter[str] = Counter()
    kept = kept_ok = 0
    started = time.perf_counter()
    missed: list[str] = []
    for text, name, items, words in cases:
        masked = mask(text, name)
        for kind, item in items:
            planted[kind] += 1
            masked_ok[kind] += item not in masked
            if item in masked:
                missed.append(f"{kind} {item!r} in {masked!r}")
        kept += len(words)
        kept_ok += sum(word in masked for word in words)
    per = (time.perf_counter() - started) / len(cases) * 1000
    print(f"{len(cases)} planted excerpts (ru and kk), {sum(planted.values())} items of personal data")
    for kind in sorted(planted):
        print(f"  {kind:<11} recall {masked_ok[kind]}/{planted[kind]}")
    print(f"recall, all kinds: {sum(masked_ok.values())}/{sum(planted.values())} (goal: every item)")
    print(f"words saying what the appeal is about kept: {kept_ok}/{kept}")
    print(f"time: {per:.2f} ms per excerpt (the analyser loaded once)")
    for line in missed:
        print(f"  missed: {line}")


if __name__ == "__main__":
    main()
