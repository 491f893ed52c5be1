"""Rendering letters and notices from Jinja2 templates in Kazakh and Russian."""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from policies.receptions import officials
from policies.routing import executor_name, official_of

TEMPLATE_DIR = Path(__file__).resolve().parent / "templates"
TEMPLATE_DIR_ENV = "APPEALS_TEMPLATE_DIR"  # a department's own letter templates, same layout (kk/, ru/)
LANGUAGES = ("kk", "ru")


def template_dir() -> Path:
    return Path(os.environ.get(TEMPLATE_DIR_ENV) or TEMPLATE_DIR)


@cache
def _environment(directory: Path) -> Environment:
    return Environment(
        loader=FileSystemLoader(directory),
        undefined=StrictUndefined,  # a missing value is a bug in the caller, not an empty line in a letter
        autoescape=select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )


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
