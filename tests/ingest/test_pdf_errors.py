"""Bad PDFs and a misbehaving reader: each is one IngestError line, never a traceback or a
half-read paper; the child process is killed (with its process group) at the time limit."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from agent.errors import IngestError
from agent.ingest.pdf import parse_pdf, run_isolated
from agent.ingest.pdf_worker import parse_pdf_in_process
from agent.types import IngestLimits
from tests.conftest import REPO_ROOT

LIMITS = IngestLimits()


def text_pdf(path: Path, pages: int = 1) -> Path:
    import pymupdf

    doc = pymupdf.open()
    for k in range(pages):
        page = doc.new_page()
        page.insert_text((72, 72), f"Page {k + 1} of a small test document with enough words.", fontsize=11)
    doc.save(path)
    return path


def _error(path: Path, limits: IngestLimits = LIMITS) -> str:
    with pytest.raises(IngestError) as info:
        parse_pdf(path, limits=limits)
    message = str(info.value)
    assert "\n" not in message and "Traceback" not in message
    return message


def test_missing_file(tmp_path: Path) -> None:
    assert "no such file" in _error(tmp_path / "absent.pdf")


def test_directory(tmp_path: Path) -> None:
    assert "not a regular file" in _error(tmp_path)


def test_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.pdf"
    path.write_bytes(b"")
    assert "empty" in _error(path)


def test_random_bytes(tmp_path: Path) -> None:
    path = tmp_path / "noise.pdf"
    path.write_bytes(b"\x00\x01" + os.urandom(4096))
    assert "not a PDF" in _error(path)


def test_pdf_header_then_garbage(tmp_path: Path) -> None:
    path = tmp_path / "garbage.pdf"
    path.write_bytes(b"%PDF-1.7\n" + os.urandom(4096) + b"\n%%EOF\n")
    message = _error(path)
    assert "cannot read the PDF" in message or "no pages" in message


def test_truncated_pdf(tmp_path: Path) -> None:
    whole = text_pdf(tmp_path / "whole.pdf", pages=3).read_bytes()
    path = tmp_path / "cut.pdf"
    path.write_bytes(whole[: len(whole) // 2])
    assert "truncated" in _error(path)


def test_encrypted_pdf(tmp_path: Path) -> None:
    import pymupdf

    doc = pymupdf.open(text_pdf(tmp_path / "plain.pdf"))
    path = tmp_path / "locked.pdf"
    doc.save(path, encryption=pymupdf.PDF_ENCRYPT_AES_256, user_pw="user-secret", owner_pw="owner-secret")
    message = _error(path)
    assert "encrypted" in message and "password" in message


def test_too_many_pages(tmp_path: Path) -> None:
    path = text_pdf(tmp_path / "long.pdf", pages=4)
    message = _error(path, IngestLimits(max_pdf_pages=3))
    assert "4 pages" in message and "limit of 3" in message


def test_file_too_large(tmp_path: Path) -> None:
    path = text_pdf(tmp_path / "big.pdf")
    assert "over the" in _error(path, IngestLimits(max_file_bytes=200))


def test_scanned_pdf_without_text(tmp_path: Path) -> None:
    import pymupdf

    doc = pymupdf.open()
    page = doc.new_page()
    pix = pymupdf.Pixmap(pymupdf.csRGB, pymupdf.IRect(0, 0, 64, 64), False)
    pix.clear_with(200)
    page.insert_image(page.rect, pixmap=pix)
    path = tmp_path / "scan.pdf"
    doc.save(path)
    assert "no extractable text" in _error(path)


def test_in_process_parse_refuses_the_same_inputs(tmp_path: Path) -> None:
    path = tmp_path / "noise.pdf"
    path.write_bytes(b"not a pdf at all " * 100)
    with pytest.raises(IngestError, match="not a PDF"):
        parse_pdf_in_process(path, LIMITS)


def test_small_pdf_still_parses(tmp_path: Path) -> None:
    paper = parse_pdf(text_pdf(tmp_path / "ok.pdf", pages=2), limits=LIMITS)
    assert paper.pages == 2 and paper.source == "pdf"


# ---------------------------------------------------------------------------------------------
# The child process: time limit, crashes, garbage output
# ---------------------------------------------------------------------------------------------


def test_timeout_is_enforced_on_the_worker(tmp_path: Path) -> None:
    path = text_pdf(tmp_path / "ok.pdf")
    start = time.monotonic()
    message = _error(path, IngestLimits(pdf_timeout_s=0.05))
    assert "longer than 0.05 s" in message
    assert time.monotonic() - start < 5


def test_timeout_kills_the_whole_process_group(tmp_path: Path) -> None:
    pid_file = tmp_path / "grandchild.pid"
    script = (
        "import subprocess, sys, time; "
        "p = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)']); "
        f"open({str(pid_file)!r}, 'w').write(str(p.pid)); time.sleep(60)"
    )
    with pytest.raises(IngestError, match="longer than"):
        run_isolated([sys.executable, "-c", script], 3.0, what="hang.pdf")
    grandchild = int(pid_file.read_text())
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and _alive(grandchild):
        time.sleep(0.05)
    assert not _alive(grandchild)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie waiting for init to reap it is dead for our purposes
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().split(")")[-1].split()[0] != "Z"
    except OSError:
        return True


def test_crashing_worker(tmp_path: Path) -> None:
    code = "import os, signal; os.kill(os.getpid(), signal.SIGSEGV)"
    with pytest.raises(IngestError, match=r"crashed \(killed by SIGSEGV\)"):
        run_isolated([sys.executable, "-c", code], 20, what="bad.pdf")


def test_worker_failing_with_an_exit_status() -> None:
    code = "import sys; sys.stderr.write('boom happened\\n'); sys.exit(3)"
    with pytest.raises(IngestError, match=r"exit status 3: boom happened"):
        run_isolated([sys.executable, "-c", code], 20, what="bad.pdf")


def test_worker_printing_garbage() -> None:
    with pytest.raises(IngestError, match="returned no result"):
        run_isolated([sys.executable, "-c", "print('hello')"], 20, what="bad.pdf")


def test_cli_reports_bad_pdf_in_one_line(tmp_path: Path) -> None:
    path = tmp_path / "cut.pdf"
    whole = text_pdf(tmp_path / "whole.pdf", pages=2).read_bytes()
    path.write_bytes(whole[: len(whole) // 3])
    out = subprocess.run([sys.executable, "-m", "agent", "ingest", str(path)], capture_output=True, text=True,
                         cwd=REPO_ROOT, timeout=60)
    assert out.returncode == 2
    assert "Traceback" not in out.stderr and len(out.stderr.strip().splitlines()) == 1
    assert "truncated" in out.stderr
