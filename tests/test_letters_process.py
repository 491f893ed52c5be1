"""Official letters are rendered in a process of their own (issue 27): WeasyPrint and its fonts
(about 110 MB, 30 ms of an interpreter per letter) stay out of the worker's process, and a letters'
process that dies is replaced for the next letter."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

SCRIPT = """
import os, signal, sys
from models.notices import NotificationRequest
from activities import pdf_letters
request = NotificationRequest("APL-2026-000001", "k", "applicant", "answer_letter", "kk",
                              {"applicant_name": "Сапарова Ә.", "signed_on": "2026-12-01T10:00:00+05:00"})
first = pdf_letters.letter_pdf(request, "Жауап", "Құрметті өтініш беруші! Су берілді.", "2026-12-01")
print("pdf", first[:5] == b"%PDF-", "weasyprint here", "weasyprint" in sys.modules)
(pool,) = pdf_letters._POOL
for pid in list(pool._processes):
    os.kill(pid, signal.SIGKILL)  # the letters' process dies
second = pdf_letters.letter_pdf(request, "Жауап", "Екінші хат.", "2026-12-01")
print("after its death", second[:5] == b"%PDF-")
pdf_letters.stop_letters_process()
"""


def test_a_letter_is_rendered_in_the_letters_process_which_is_replaced_when_it_dies() -> None:
    run = subprocess.run([sys.executable, "-c", SCRIPT], cwd=ROOT, capture_output=True, text=True, timeout=180)
    assert run.returncode == 0, run.stderr
    assert "pdf True weasyprint here False" in run.stdout, run.stdout
    assert "after its death True" in run.stdout, run.stdout + run.stderr


ORPHAN = """
import os, sys, time
from models.notices import NotificationRequest
from activities import pdf_letters
request = NotificationRequest("APL-2026-000001", "k", "applicant", "answer_letter", "kk", {"applicant_name": "А."})
pdf_letters.letter_pdf(request, "Жауап", "Су берілді.", "2026-12-01")
(pool,) = pdf_letters._POOL
print(*pool._processes, flush=True)
time.sleep(600)  # killed outright by the test
"""


def test_the_letters_process_exits_when_its_worker_is_killed_outright() -> None:
    import os
    import signal
    import time

    worker = subprocess.Popen([sys.executable, "-c", ORPHAN], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    assert worker.stdout is not None
    letters = int(worker.stdout.readline().split()[0])
    os.kill(worker.pid, signal.SIGKILL)
    worker.wait()
    for _ in range(100):  # it watches its parent once a second
        try:
            os.kill(letters, 0)
        except ProcessLookupError:
            break
        with open(f"/proc/{letters}/stat") as stat:
            if stat.read().rsplit(")", 1)[1].split()[0] == "Z":
                break  # exited; only its entry waits for the reaper
        time.sleep(0.1)
    else:
        os.kill(letters, signal.SIGKILL)
        raise AssertionError("the letters' process outlived its worker")
