"""Read a paper into :class:`agent.types.Paper`.

Accepted inputs: a ``.tex`` file, a LaTeX source folder (the main file is found), an arXiv
source archive (``.tar.gz``, ``.tgz``, ``.tar``, ``.zip``), or a ``.pdf``. Anything else, and
anything broken or hostile, raises :class:`agent.errors.IngestError` with one clear line.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from agent.errors import IngestError
from agent.types import IngestLimits, Paper

ARCHIVE_SUFFIXES = (".tar.gz", ".tgz", ".tar", ".zip")


def load_paper(path: str | Path, limits: IngestLimits | None = None) -> Paper:
    """Read the paper at ``path`` and extract its hyperparameters."""
    limits = limits or IngestLimits()
    paper = _read(Path(path), limits)

    from agent.ingest.hyperparameters import extract_hyperparameters

    paper.path = str(path)
    paper.hyperparameters = extract_hyperparameters(paper)
    return paper


def check_file(path: Path, limits: IngestLimits) -> int:
    """Refuse a path that is not a non-empty regular file within the size limit; returns its size."""
    if not path.exists():
        raise IngestError(f"{path}: no such file")
    if not path.is_file():
        raise IngestError(f"{path}: not a regular file")
    size = path.stat().st_size
    if size == 0:
        raise IngestError(f"{path}: the file is empty")
    if size > limits.max_file_bytes:
        raise IngestError(f"{path}: {size / 1e6:.1f} MB is over the {limits.max_file_bytes / 1e6:.1f} MB limit")
    return size


def _read(path: Path, limits: IngestLimits) -> Paper:
    if not path.exists():
        raise IngestError(f"{path}: no such file or folder")
    if path.is_dir():
        from agent.ingest.latex import parse_latex_folder

        return parse_latex_folder(path, limits=limits)
    check_file(path, limits)
    name = path.name.lower()
    if name.endswith(ARCHIVE_SUFFIXES):
        from agent.ingest.archive import extract_archive
        from agent.ingest.latex import parse_latex_folder

        with tempfile.TemporaryDirectory(prefix="paper2code-src-") as tmp:
            root = extract_archive(path, Path(tmp), limits=limits)
            paper = parse_latex_folder(root, limits=limits)
            return paper
    if name.endswith(".pdf"):
        from agent.ingest.pdf import parse_pdf

        return parse_pdf(path, limits=limits)
    if name.endswith(".tex"):
        from agent.ingest.latex import parse_latex_file

        return parse_latex_file(path, limits=limits)
    raise IngestError(f"{path}: unsupported input; expected .pdf, .tex, a LaTeX folder or an arXiv archive")
