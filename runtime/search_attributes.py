"""Custom search attributes: operators filter cases by them in the Web UI. None holds personal data."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from temporalio.common import SearchAttributeKey, SearchAttributeUpdate

CASE_STATE = SearchAttributeKey.for_keyword("CaseState")
CASE_KIND = SearchAttributeKey.for_keyword("CaseKind")
CASE_EXECUTOR = SearchAttributeKey.for_keyword("CaseExecutor")
CASE_CATEGORY = SearchAttributeKey.for_keyword("CaseCategory")
CASE_DISTRICT = SearchAttributeKey.for_keyword("CaseDistrict")
CASE_DEADLINE = SearchAttributeKey.for_datetime("CaseDeadline")
CASE_OVERDUE = SearchAttributeKey.for_bool("CaseOverdue")
CASE_POSSIBLE_REPEAT = SearchAttributeKey.for_bool("CasePossibleRepeat")
CASE_OFFICIAL = SearchAttributeKey.for_keyword("CaseOfficial")  # receptions: who receives
CASE_DATE = SearchAttributeKey.for_datetime("CaseDate")  # receptions: the slot's start
CASE_ISSUER = SearchAttributeKey.for_keyword("CaseIssuer")  # Presidential instructions: who gave it
# "akim" for an appeal under the akim's control (seed 5.4). A keyword, not a bool: the dev server's
# SQLite visibility store takes at most 3 custom Bool attributes, and those are taken.
CASE_CONTROL = SearchAttributeKey.for_keyword("CaseControl")
UNDER_AKIM_CONTROL = "akim"
CASE_ATTENTION = SearchAttributeKey.for_bool("CaseAttention")  # a side effect failed for good: an operator must look

ALL_KEYS: list[SearchAttributeKey[Any]] = [
    CASE_STATE,
    CASE_KIND,
    CASE_EXECUTOR,
    CASE_CATEGORY,
    CASE_DISTRICT,
    CASE_DEADLINE,
    CASE_OVERDUE,
    CASE_POSSIBLE_REPEAT,
    CASE_OFFICIAL,
    CASE_DATE,
    CASE_ISSUER,
    CASE_ATTENTION,
    CASE_CONTROL,
]


def keyword_or_unset(key: SearchAttributeKey[str], value: str) -> SearchAttributeUpdate[Any]:
    return key.value_set(value) if value else key.value_unset()


def moment_or_unset(key: SearchAttributeKey[datetime], iso: str) -> SearchAttributeUpdate[Any]:
    return key.value_set(datetime.fromisoformat(iso)) if iso else key.value_unset()
