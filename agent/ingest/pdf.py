"""Read a PDF into :class:`agent.types.Paper`, isolated in a child process.

MuPDF is C code fed untrusted bytes: a malformed file can make it loop or crash. The parse runs
in ``python -m agent.ingest.pdf_worker`` (its own session, stdin closed) under
``limits.pdf_timeout_s``; at the limit the child's whole process group is killed. A crash, a
timeout or a refusal (encrypted, too many pages, no text) becomes one
:class:`agent.errors.IngestError` line.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

from agent.errors import IngestError
from agent.ingest import check_file
from agent.processes import kill_process_group
from agent.types import (
    Algorithm,
    Equation,
    Evidence,
    Figure,
    Hyperparameter,
    IngestLimits,
    Paper,
    Section,
    Table,
)

_PACKAGE_ROOT = Path(__file__).resolve().parent.parent.parent


def parse_pdf(path: Path, *, limits: IngestLimits) -> Paper:
    """Parse the PDF at ``path`` in a child process; ``hyperparameters`` is left empty."""
    path = Path(path)
    check_pdf_file(path, limits)
    argv = [sys.executable, "-m", "agent.ingest.pdf_worker", str(path.resolve()), str(limits.max_pdf_pages),
            str(limits.max_file_bytes)]
    payload = run_isolated(argv, limits.pdf_timeout_s, what=str(path))
    if "error" in payload:
        raise IngestError(str(payload["error"]))
    try:
        paper = paper_from_dict(payload["paper"])
    except (KeyError, TypeError) as exc:
        raise IngestError(f"{path}: the PDF reader returned a malformed result ({exc})") from None
    paper.path = str(path)
    return paper


def check_pdf_file(path: Path, limits: IngestLimits) -> None:
    """Refuse what is not worth starting a child for: missing, empty, too large, not a PDF."""
    size = check_file(path, limits)
    with open(path, "rb") as fh:
        head = fh.read(1024)
        fh.seek(max(0, size - 2048))
        tail = fh.read()
    if b"%PDF-" not in head:
        raise IngestError(f"{path}: not a PDF (no %PDF header)")
    if b"%%EOF" not in tail:
        # MuPDF would "repair" it and return the pages it could find: a paper that looks whole
        raise IngestError(f"{path}: the PDF is truncated (no %%EOF marker at its end)")


def run_isolated(argv: list[str], timeout_s: float, *, what: str) -> dict[str, Any]:
    """Run ``argv`` (a worker printing one JSON object) with a time limit; kill its process group
    at the limit. Returns the decoded object; failures raise IngestError naming ``what``."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(_PACKAGE_ROOT), env.get("PYTHONPATH", "")) if p)
    env["PYTHONIOENCODING"] = "utf-8"
    env.setdefault("PYMUPDF_SUGGEST_LAYOUT_ANALYZER", "0")
    try:
        proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                start_new_session=True, env=env)
    except OSError as exc:
        raise IngestError(f"{what}: cannot start the PDF reader ({exc})") from None
    try:
        out, err = proc.communicate(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        kill_process_group(proc, wait_s=None)
        proc.communicate()
        raise IngestError(f"{what}: reading the PDF took longer than {timeout_s:g} s (pdf_timeout_s); "
                          "the file may be malformed") from None
    except BaseException:
        kill_process_group(proc, wait_s=None)
        proc.communicate()
        raise
    kill_process_group(proc, wait_s=None)  # anything the worker left behind in its session
    if proc.returncode != 0:
        if proc.returncode < 0:
            try:
                cause = f"killed by {signal.Signals(-proc.returncode).name}"
            except ValueError:
                cause = f"killed by signal {-proc.returncode}"
        else:
            last = err.decode("utf-8", "replace").strip().splitlines()
            cause = f"exit status {proc.returncode}" + (f": {last[-1][:200]}" if last else "")
        raise IngestError(f"{what}: the PDF reader crashed ({cause})")
    try:
        payload = json.loads(out.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise IngestError(f"{what}: the PDF reader returned no result") from None
    if not isinstance(payload, dict):
        raise IngestError(f"{what}: the PDF reader returned no result")
    return payload



def paper_from_dict(data: dict[str, Any]) -> Paper:
    """Rebuild a :class:`Paper` from ``Paper.to_dict()`` output."""

    def build(cls: type, item: dict[str, Any]) -> Any:
        names = {f for f in cls.__dataclass_fields__}
        return cls(**{k: v for k, v in item.items() if k in names})

    def hyper(item: dict[str, Any]) -> Hyperparameter:
        item = dict(item)
        item["evidence"] = build(Evidence, item.get("evidence") or {"text": ""})
        return build(Hyperparameter, item)

    fields = dict(data)
    fields["sections"] = [build(Section, s) for s in data.get("sections", [])]
    fields["equations"] = [build(Equation, e) for e in data.get("equations", [])]
    fields["tables"] = [build(Table, t) for t in data.get("tables", [])]
    fields["algorithms"] = [build(Algorithm, a) for a in data.get("algorithms", [])]
    fields["figures"] = [build(Figure, f) for f in data.get("figures", [])]
    fields["hyperparameters"] = [hyper(h) for h in data.get("hyperparameters", [])]
    return build(Paper, fields)
