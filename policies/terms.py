"""Terms of consideration and deadline-control rules, read from `policies/terms.yaml`."""

from __future__ import annotations

import os

from models.policy_snapshot import ControlRules
from policies.loading import load_policy
from runtime.settings import LEAD_SECONDS, read

TIMING_PROFILE_ENV = "APPEALS_TIMING_PROFILE"


def term_working_days(appeal_type: str) -> int:
    terms = load_policy("terms")["terms_working_days"]
    if appeal_type not in terms:
        raise ValueError(f"type: unknown appeal type {appeal_type!r}; known: {', '.join(sorted(terms))}")
    return int(terms[appeal_type])


def appeal_types() -> list[str]:
    return sorted(load_policy("terms")["terms_working_days"])


def control_rules(profile: str | None = None) -> ControlRules:
    data = load_policy("terms")
    profile = profile or os.environ.get(TIMING_PROFILE_ENV, "production")
    profiles = data["timing_profiles"]
    if profile not in profiles:
        raise ValueError(f"{TIMING_PROFILE_ENV}: unknown timing profile {profile!r}; known: {', '.join(profiles)}")
    spd = profiles[profile]["seconds_per_working_day"]
    limits = load_policy("limits")
    return ControlRules(
        forward_working_days=int(data["forward_working_days"]),
        hearing_working_days=int(data["hearing_working_days"]),
        finalization_working_days=int(data["finalization_working_days"]),
        extension_max_months=int(data["extension_max_months"]),
        reminder_working_days_before=[int(d) for d in data["reminder_working_days_before"]],
        reminder_hour=int(data["reminder_hour"]),
        disciplinary_grace_working_days=int(data["disciplinary_grace_working_days"]),
        staff_language=str(data["staff_language"]),
        seconds_per_working_day=float(spd) if spd else None,
        lead_seconds=read(LEAD_SECONDS),
        utc_offset_minutes=_utc_offset_minutes(),
        keep_refusals=int(limits["keep_refusals"]),
        keep_timeline=int(limits["keep_timeline"]),
        new_run_after_events=int(limits["new_run_after_events"]),
        new_run_after_signals=int(limits["new_run_after_signals"]),
        seal_max_age_seconds=int(limits["seal_max_age_seconds"]),
    )


def _utc_offset_minutes() -> int:
    """The local zone's offset now (policies/terms.yaml `timezone`, through the calendar)."""
    from policies.calendar import local_now

    offset = local_now().utcoffset()
    return int(offset.total_seconds() // 60) if offset else 0
