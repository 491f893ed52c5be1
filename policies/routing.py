"""Which executor considers an appeal of a category in a district (seed item 5.2)."""

from __future__ import annotations

from typing import Any

from policies.loading import load_policy


def categories() -> list[str]:
    return list(load_policy("routing")["categories"])


def districts() -> list[str]:
    return list(load_policy("routing")["districts"])


def executors() -> dict[str, dict[str, Any]]:
    return dict(load_policy("routing")["executors"])


def executor_for(category: str, district: str) -> str:
    """First rule whose category and district match ("*" matches anything)."""
    for rule in load_policy("routing")["rules"]:
        if rule["category"] in ("*", category) and rule["district"] in ("*", district):
            return str(rule["executor"])
    raise LookupError(f"category/district: no routing rule for {category!r} in {district!r}")


def official_of(executor: str) -> str:
    info = executors().get(executor)
    return str(info["official"]) if info else executor


def category_name(category: str, language: str) -> str:
    return str(load_policy("routing")["category_names"].get(language, {}).get(category, category))


def district_name(district: str, language: str) -> str:
    return str(load_policy("routing")["district_names"].get(language, {}).get(district, district))


def executor_name(executor: str, language: str) -> str:
    info = executors().get(executor)
    if not info:
        return executor
    return str(info.get(f"name_{language}") or info.get("name_ru") or executor)
