"""The names the case card shows instead of codes, in one language: units (executors), categories,
districts, receptions' officials and instructions' issuers, as the policies name them. The card is
written inside the workflow, which reads no files: these come with the registration's policy
snapshot (ControlRules.names), in the staff's language."""

from __future__ import annotations

from policies.instructions import issuers
from policies.loading import load_policy
from policies.receptions import officials
from policies.routing import executors


def card_names(language: str) -> dict[str, str]:
    routing = load_policy("routing")
    names: dict[str, str] = {}
    for table in (executors(), officials(), issuers()):
        for code, entry in table.items():
            names[code] = str(entry.get(f"name_{language}") or entry.get("name_ru") or code)
    for group in ("category_names", "district_names"):
        names.update({code: str(name) for code, name in routing[group].get(language, {}).items()})
    return names
