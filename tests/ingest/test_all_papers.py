"""Every paper we have goes through ``paper2code ingest PATH --json``.

Inputs: each folder of ../shared/papers (its LaTeX source folder when it has ``.tex`` files, and each
PDF), every ``rcb/<id>/paper.tex``, and each bundled example (folder and PDF). Each must exit 0 with
JSON honouring the DESIGN.md contract, or, for a file in BROKEN, exit 2 with one clear line.

The CLI runs in-process (``agent.cli.main``): a fresh interpreter per paper pays ~0.7 s of PyMuPDF
import per PDF, which on 2 cores is most of this file's budget. One test below runs the real
console entry point in a subprocess for each kind of input.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from agent.cli import main
from tests.conftest import EXAMPLES, REPO_ROOT, SHARED_PAPERS, require_shared

# Inputs that are genuinely broken: path relative to ../shared/papers -> (the reason, a word the
# one-line error must contain). Empty: every paper we hold is readable.
BROKEN: dict[str, tuple[str, str]] = {}

# Papers that print no numbered display equation at all (checked by hand: no "(n)" tag in the PDF
# text, no numbered math environment outside comments in the source). Every other paper must
# yield equation number 1.
NO_NUMBERED_EQUATIONS = {
    "batchnorm/paper.pdf", "gqa/", "gqa/paper.pdf", "llama/paper.pdf", "mistral_7b/paper.pdf",
    "mixtral/paper.pdf", "rag/paper.pdf", "swish/paper.pdf", "tinystories/paper.pdf",
    "rcb/REPA-E/paper.tex", "rcb/fractalgen/paper.tex", "rcb/llm-sci-use/paper.tex",
    "rcb/semanticist/paper.tex",  # its 15 equation environments all end in \\nonumber
}

MIN_SHARED_INPUTS = 45  # 25 folders: 5 LaTeX sources + 23 PDFs, plus 19 rcb papers (48 in all)


def _label(path: Path) -> str:
    if path.is_relative_to(SHARED_PAPERS):
        rel = path.relative_to(SHARED_PAPERS).as_posix()
    else:
        rel = "examples/" + path.relative_to(EXAMPLES).as_posix()
    return rel + ("/" if path.is_dir() else "")


def _shared_inputs() -> list[Path]:
    if not SHARED_PAPERS.is_dir():
        return []
    inputs: list[Path] = []
    for folder in sorted(p for p in SHARED_PAPERS.iterdir() if p.is_dir() and p.name != "rcb"):
        if any(folder.glob("*.tex")):
            inputs.append(folder)
        inputs.extend(sorted(folder.glob("*.pdf")))
    inputs.extend(sorted(SHARED_PAPERS.glob("rcb/*/paper.tex")))
    return inputs


def _example_inputs() -> list[Path]:
    inputs: list[Path] = []
    for folder in sorted(p for p in EXAMPLES.iterdir() if (p / "main.tex").is_file()):
        inputs += [folder, folder / "paper.pdf"]
    return inputs


SHARED_INPUTS = _shared_inputs()
ALL_INPUTS = SHARED_INPUTS + _example_inputs()


def test_the_walk_finds_every_paper() -> None:
    require_shared()
    assert len(SHARED_INPUTS) >= MIN_SHARED_INPUTS, [_label(p) for p in SHARED_INPUTS]
    assert len(_example_inputs()) >= 4
    for rel in BROKEN:
        assert (SHARED_PAPERS / rel).exists(), f"BROKEN names a path that is gone: {rel}"


def _check_contract(doc: dict, kind: str, label: str) -> None:
    for key in ("title", "abstract", "sections", "equations", "hyperparameters", "tables", "algorithms",
                "source"):
        assert key in doc, f"{label}: no '{key}' in the JSON"
    assert doc["source"] == kind
    assert isinstance(doc["title"], str) and doc["title"].strip(), f"{label}: empty title"
    assert doc["sections"], f"{label}: no sections"
    for section in doc["sections"]:
        assert {"title", "level", "text"} <= section.keys()
        assert isinstance(section["level"], int) and 1 <= section["level"] <= 6
    assert isinstance(doc["equations"], list)
    for eq in doc["equations"]:
        assert {"id", "number", "label", "latex", "section", "context"} <= eq.keys()
        assert eq["latex"].strip(), f"{label}: equation {eq['id']} is empty"
    ids = [eq["id"] for eq in doc["equations"]]
    assert len(ids) == len(set(ids)), f"{label}: duplicate equation ids"
    if label not in NO_NUMBERED_EQUATIONS:
        numbers = [eq["number"] for eq in doc["equations"] if eq["number"]]
        assert "1" in numbers, f"{label}: equation (1) not found; numbers {numbers[:10]}"
    for hp in doc["hyperparameters"]:
        assert {"name", "symbol", "value", "evidence"} <= hp.keys()
        assert hp["evidence"]["text"].strip(), f"{label}: {hp['name']} has no evidence"
    for table in doc["tables"]:
        assert isinstance(table["rows"], list)


@pytest.mark.parametrize("path", ALL_INPUTS, ids=_label)
def test_ingest_json(path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    label = _label(path)
    rc = main(["ingest", str(path), "--json"])
    out, err = capsys.readouterr()
    if label.rstrip("/") in BROKEN:
        reason, word = BROKEN[label.rstrip("/")]
        assert rc == 2, f"{label} is listed as broken ({reason}) but ingest answered {rc}"
        lines = err.strip().splitlines()
        assert len(lines) == 1 and word in lines[0] and "Traceback" not in err, err
        assert out == ""
        return
    assert rc == 0, f"{label}: exit {rc}: {err.strip()[-500:]}"
    doc = json.loads(out)
    kind = "pdf" if path.suffix == ".pdf" else "latex"
    _check_contract(doc, kind, label)


@pytest.mark.parametrize("name", ["tiny_lm", "tiny_lm/paper.pdf"])
def test_console_entry_point_in_a_real_process(name: str) -> None:
    proc = subprocess.run([sys.executable, "-m", "agent", "ingest", str(EXAMPLES / name), "--json"],
                          capture_output=True, text=True, timeout=120, cwd=REPO_ROOT)
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    assert "TinyLM" in doc["title"]
    assert doc["source"] == ("pdf" if name.endswith(".pdf") else "latex")
