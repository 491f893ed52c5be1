"""Rendering letters and notices from Jinja2 templates in Kazakh and Russian."""

from __future__ import annotations

import os
from datetime import date, datetime, time, timedelta
from functools import cache
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from policies import calendar
from policies.appeals import closure_ground, forward_body, unit_name
from policies.receptions import officials
from policies.routing import executor_name, official_of
from runtime.status_access import status_url

TEMPLATE_DIR = Path(__file__).resolve().parent / "templates"
TEMPLATE_DIR_ENV = "APPEALS_TEMPLATE_DIR"  # a department's own letter templates, same layout (kk/, ru/)
LANGUAGES = ("kk", "ru")


def template_dir() -> Path:
    return Path(os.environ.get(TEMPLATE_DIR_ENV) or TEMPLATE_DIR)


def local(value: str) -> str:
    """A date or moment as people in Kazakhstan read it: local date (and time), never raw UTC.
    An ISO moment with an offset is shown in Asia/Almaty; one without is local already."""
    if not value:
        return ""
    try:
        if len(value) == 10:
            return date.fromisoformat(value).strftime("%d.%m.%Y")
        moment = datetime.fromisoformat(value)
    except ValueError:
        return value
    if moment.tzinfo is not None:
        moment = moment.astimezone(calendar.local_zone())
        if moment.time() == time(0, 0):  # the end of a term: the day before, in full
            return (moment.date() - timedelta(days=1)).strftime("%d.%m.%Y") + " 23:59"
    return moment.strftime("%d.%m.%Y %H:%M")


def body_name(key: str, language: str) -> str:
    """A forwarding target by its catalogue key (Kazakh: the dative form the notice needs)."""
    body = forward_body(key)
    if not body:
        return key
    return str(body["name_kk_dative"] if language == "kk" else body["name_ru"])


def position(role: str, language: str) -> str:
    """The position a signature names for a role (policies/identity.yaml `positions`)."""
    from policies.loading import load_policy

    found = load_policy("identity").get("positions", {}).get(role, {})
    return str(found.get(language) or found.get("ru") or role)


def ground_text(key: str, language: str) -> str:
    ground = closure_ground(key)
    return str(ground.get(language) or ground.get("ru") or key)


@cache
def _environment(directory: Path) -> Environment:
    env = Environment(
        loader=FileSystemLoader(directory),
        undefined=StrictUndefined,  # a missing value is a bug in the caller, not an empty line in a letter
        # HTML templates are named *.html.j2: escape them (select_autoescape(["html"]) alone matched
        # none, and a move's reason reached the auditor's trail as markup: issue 20, attack 6).
        autoescape=select_autoescape(["html", "html.j2"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["local"] = local
    env.filters["local_date"] = calendar.local_date
    env.globals.update(
        body_name=body_name, ground_text=ground_text, unit_name=unit_name, position=position, status_url=status_url
    )
    return env


def environment() -> Environment:
    return _environment(template_dir())


def render(template: str, language: str, context: dict[str, str]) -> tuple[str, str]:
    """(subject, body) of `template` in `language`; the first line of the file is the subject."""
    if language not in LANGUAGES:
        raise ValueError(f"language: no templates for {language!r}; available: {', '.join(LANGUAGES)}")
    values = dict(context)
    executor = values.get("executor", "")
    values.setdefault("executor_name", executor_name(executor, language) if executor else "")
    values.setdefault("official", official_of(executor) if executor else "")
    official_id = values.get("official_id", "")
    if official_id:
        info = officials().get(official_id, {})
        values.setdefault("official_name", str(info.get(f"name_{language}") or info.get("name_ru") or official_id))
    text = environment().get_template(f"{language}/{template}.txt.j2").render(**values)
    subject, _, body = text.partition("\n")
    return subject.strip(), body.strip() + "\n"
