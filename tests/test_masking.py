"""Excerpts without personal data (issue 26.4): every planted item of every kind is masked, in
Russian and Kazakh, and what the appeal is about stays."""

from __future__ import annotations

import pytest

from analysis.masking import mask
from analysis.planted_pii import PLANTED


@pytest.mark.parametrize(("text", "name", "items", "kept"), PLANTED, ids=[str(i) for i in range(len(PLANTED))])
def test_every_planted_item_is_masked_and_the_subject_stays(
    text: str, name: str, items: list[tuple[str, str]], kept: list[str]
) -> None:
    masked = mask(text, name)
    left = [(kind, item) for kind, item in items if item in masked]
    assert left == [], masked
    for word in kept:
        assert word in masked, (word, masked)


def test_the_excerpt_of_the_report_uses_the_masking() -> None:
    from analysis.systemic import anonymise

    text = "Я, Сапаров Ержан Болатович, ул. Абая, д. 1, кв. 2: нет воды"
    excerpt = anonymise(text, "Ержан Сапаров", 200)
    for secret in ("Сапаров", "Ержан", "Болатович", "Абая", "кв. 2"):
        assert secret not in excerpt
    assert excerpt.endswith("нет воды")
