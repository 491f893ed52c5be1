"""Who receives citizens, when, and the reception timers (policies/receptions.yaml)."""

from __future__ import annotations

from datetime import datetime, time
from typing import Any

from models.errors import InputError
from models.policy_snapshot import ReceptionPolicyRequest, ReceptionRules
from policies.calendar import is_working_day, local_zone
from policies.catalogue import check_catalogue
from policies.loading import load_policy
from policies.routing import executor_for


def officials() -> dict[str, dict[str, Any]]:
    return dict(load_policy("receptions")["officials"])


def formats() -> list[str]:
    return list(load_policy("receptions")["formats"])


def slot_problem(official: str, start: datetime, end: datetime, kind: str = "office") -> str | None:
    """Why a slot cannot be offered for `official` (None if it can): a working day, the official's
    reception hours and, except for visiting receptions (held on the date of the visit), days."""
    info = officials().get(official)
    if info is None:
        return f"official: unknown official {official!r}; known: {', '.join(sorted(officials()))}"
    local_start, local_end = start.astimezone(local_zone()), end.astimezone(local_zone())
    if local_end <= local_start:
        return "end: must be after the start"
    if local_start.date() != local_end.date():
        return "end: a slot lies within one day"
    if not is_working_day(local_start.date()):
        return f"start: {local_start.date()} is not a working day"
    if kind not in formats():
        return f"kind: unknown format {kind!r}; known: {', '.join(formats())}"
    if kind != "visiting" and local_start.weekday() not in info["days"]:
        return f"start: {official} receives on weekdays {info['days']} (0 = Monday), not on {local_start:%A}"
    open_at, close_at = (time.fromisoformat(h) for h in info["hours"])
    if local_start.time() < open_at or local_end.time() > close_at:
        return f"start: {official} receives from {open_at:%H:%M} to {close_at:%H:%M}"
    return None


def reception_rules() -> dict[str, Any]:
    data = load_policy("receptions")
    return {
        "reminder_hours_before": [int(h) for h in data["reminder_hours_before"]],
        "no_show_grace_minutes": int(data["no_show_grace_minutes"]),
        "instruction_max_working_days": int(data["instruction_max_working_days"]),
    }


def registration_check(req: ReceptionPolicyRequest) -> dict[str, Any]:
    """What a reception's registration takes from the policies: the official receives citizens."""
    check_catalogue("", req.category, req.district, check_type=False)
    if req.official not in officials():
        known = ", ".join(sorted(officials()))
        raise InputError("requested_official", f"unknown official {req.official!r}; known: {known}")
    return {
        "suggested_executor": executor_for(req.category, req.district),
        "reception": ReceptionRules(**reception_rules()),
    }
