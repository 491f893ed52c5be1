"""Official letters as PDF (issue 24): the answer, the acknowledgement, the extension notice, the
preliminary decision and the closure notice, rendered with WeasyPrint from the same text the
e-mail carries: the akimat's and the department's letterhead, the registration number and date,
the applicant's name and address, the text with who approved it (the letter's own signature block:
name and position) and page numbers. The rendering runs in a process of its own (issue 27), so the
worker's process neither holds WeasyPrint nor waits for its interpreter.
DejaVu Sans (a system font) holds every Kazakh letter and is embedded. The PDF's SHA-256 is kept
with it in the registry (DocumentRecord kind `letter`), so what was delivered can be shown to be
what was approved."""

from __future__ import annotations

import atexit
import base64
import hashlib
import multiprocessing
import os
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from models.notices import NotificationRequest
from models.registry import DocumentRecord
from policies.calendar import local_zone
from policies.loading import load_policy

TEMPLATES = Path(__file__).resolve().parent / "templates" / "pdf"
PAGE = {"ru": "Страница", "kk": "Бет"}


@cache
def _environment() -> Environment:
    return Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html", "j2"]))


def is_pdf_letter(template: str) -> bool:
    return template in load_policy("delivery")["pdf_letters"]


def _dated(iso: str) -> str:
    try:
        return datetime.fromisoformat(iso).astimezone(local_zone()).strftime("%d.%m.%Y")
    except ValueError:
        return iso[:10]


def letter_html(req: NotificationRequest, subject: str, body: str, dated: str) -> str:
    language = req.language if req.language in PAGE else "ru"
    c = req.context
    return (
        _environment()
        .get_template("letter.html.j2")
        .render(
            language=language,
            subject=subject,
            page_word=PAGE[language],
            letterhead=load_policy("delivery")["letterhead"][language],
            reg_number=req.reg_number,
            dated=_dated(c.get("signed_on") or dated),
            applicant_name=c.get("applicant_name", ""),
            applicant_address=c.get("applicant_address", ""),
            paragraphs=[p.strip() for p in body.split("\n\n") if p.strip()],
        )
    )


@cache
def _fonts() -> Any:
    """One font configuration for every letter: building it per letter (finding DejaVu Sans, reading
    its tables) was a third of a letter's 44 ms (issue 27, py-spy over bench/lifecycle.py)."""
    from weasyprint.text.fonts import FontConfiguration

    return FontConfiguration()


def render_pdf(html: str) -> bytes:
    """The letter's HTML as PDF, in the letters' process."""
    from weasyprint import HTML

    return bytes(HTML(string=html).write_pdf(font_config=_fonts()))


_POOL: list[ProcessPoolExecutor] = []
_POOL_LOCK = threading.Lock()


def _pool() -> ProcessPoolExecutor:
    """The letters' own process (started on first use, with `spawn`: the worker's threads are not
    copied): WeasyPrint and its fonts take about 110 MB and a letter 30 ms of an interpreter that
    the workflows would otherwise wait for (issue 27: three quarters of a full appeal's samples were
    the two letters). One process renders one letter at a time."""
    with _POOL_LOCK:
        if not _POOL:
            spawn = multiprocessing.get_context("spawn")
            pool = ProcessPoolExecutor(
                max_workers=1, mp_context=spawn, initializer=watch_parent, initargs=(os.getpid(),)
            )
            _POOL.append(pool)
            atexit.register(_POOL[0].shutdown, wait=False, cancel_futures=True)
        return _POOL[0]


def watch_parent(parent: int, every: float = 1.0) -> None:
    """In the letters' process: exit when the worker that started it is gone. A worker killed
    outright (SIGKILL, the OOM killer) cannot stop it, and each worker started again would leave
    one more letters' process behind (seen after the benchmarks' kills, issue 27)."""

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(every)
        os._exit(0)

    threading.Thread(target=watch, name="watch-parent", daemon=True).start()


def stop_letters_process() -> None:
    """Stop the letters' process (its CPU time then counts in this process's children's)."""
    with _POOL_LOCK:
        for pool in _POOL:
            pool.shutdown(wait=True)
        _POOL.clear()


def letter_pdf(req: NotificationRequest, subject: str, body: str, dated: str) -> bytes:
    html = letter_html(req, subject, body, dated)
    try:
        return _pool().submit(render_pdf, html).result(timeout=120)
    except BrokenProcessPool:  # the letters' process died: a new one for this letter and the next
        with _POOL_LOCK:
            _POOL.clear()
        return _pool().submit(render_pdf, html).result(timeout=120)


def letter_documents(rendered: list[tuple[NotificationRequest, str, str]], dated: str) -> list[DocumentRecord]:
    """The official letters among rendered notices, as the registry keeps them: the PDF (base64)
    with its SHA-256, under the notice's key. Written with the notices, by whichever activity
    writes them to the outbox (a move's commit, a notice of its own)."""
    documents = []
    for req, subject, body in rendered:
        if is_pdf_letter(req.template):
            pdf = letter_pdf(req, subject, body, dated)
            documents.append(
                DocumentRecord(
                    key=req.key,
                    kind="letter",
                    reg_number=req.reg_number,
                    language=req.language,
                    title=subject,
                    body=base64.b64encode(pdf).decode("ascii"),
                    sha256=hashlib.sha256(pdf).hexdigest(),
                )
            )
    return documents


def letter_of(engine: Engine, key: str) -> tuple[bytes, str] | None:
    """A notice's PDF letter and its SHA-256, if it has one."""
    with Session(engine) as session:
        query = select(DocumentRecord).where(DocumentRecord.key == key, DocumentRecord.kind == "letter")
        found = session.exec(query).first()
    if found is None:
        return None
    return base64.b64decode(found.body), found.sha256
