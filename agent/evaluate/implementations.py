"""``paper2code eval DIR``: find every implementation (a folder with ``paper2code.toml``) below DIR and
validate them in parallel.

Each validation already runs its checks in a sandboxed child process, so the parent only waits: a
thread per running validation is enough to keep ``jobs`` sandboxes (default: one per core) busy.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path

from agent.errors import UserError
from agent.types import ImplementationResult, ValidateOptions

MANIFEST = "paper2code.toml"
SKIP_DIRS = {".git", "__pycache__", "node_modules", ".venv", "venv", ".tox", ".mypy_cache", ".pytest_cache"}


def find_implementations(root: str | Path) -> list[Path]:
    """Folders holding a ``paper2code.toml`` at or below ``root``, sorted; an implementation's own
    subfolders are not searched further (its tests or data are not implementations of their own)."""
    root = Path(root)
    if not root.is_dir():
        raise UserError(f"{root}: not a folder")
    if (root / MANIFEST).is_file():
        return [root]
    found: list[Path] = []
    for folder, dirs, files in os.walk(root):
        if MANIFEST in files and Path(folder) != root:
            found.append(Path(folder))
            dirs[:] = []
            continue
        dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS and not d.startswith("."))
    return sorted(found)


def default_jobs() -> int:
    """One validation per core this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


def validate_one(folder: Path, root: Path, checks: list[str] | None, options: ValidateOptions) -> ImplementationResult:
    """Validate one implementation; a bad manifest or a validation that cannot run is an ``error``
    result naming the cause, never an exception (one broken folder must not hide the others)."""
    from agent.validate import load_manifest, validate_project

    relative = str(folder.relative_to(root)) if folder != root else folder.name
    started = time.perf_counter()
    try:
        name = load_manifest(folder).name
    except UserError as exc:
        return ImplementationResult(folder.name, relative, "error", error=str(exc),
                                    seconds=round(time.perf_counter() - started, 2))
    try:
        report = validate_project(folder, checks=checks, options=options)
    except UserError as exc:
        return ImplementationResult(name, relative, "error", error=str(exc),
                                    seconds=round(time.perf_counter() - started, 2))
    except Exception as exc:  # a bug in validation: reported against this implementation, the others go on
        return ImplementationResult(name, relative, "error", error=f"validation crashed: {type(exc).__name__}: {exc}",
                                    seconds=round(time.perf_counter() - started, 2))
    return ImplementationResult(name, relative, "pass" if report.passed else "fail", report=report,
                                seconds=round(time.perf_counter() - started, 2))


def evaluate_implementations(
    root: str | Path,
    *,
    checks: list[str] | None = None,
    options: ValidateOptions | None = None,
    jobs: int | None = None,
    on_start: Callable[[Path], None] | None = None,
    on_done: Callable[[ImplementationResult], None] | None = None,
) -> list[ImplementationResult]:
    """Validate every implementation below ``root``, ``jobs`` at a time (default: one per core).

    Args:
        root: a folder holding implementations (or one implementation).
        checks: only these checks (as ``paper2code validate --checks``).
        options: validation options shared by every implementation (its progress hook is not used).
        jobs: how many validations run at once.
        on_start: called with each folder as its validation starts.
        on_done: called with each result as it finishes (from worker threads).

    Returns:
        One result per implementation, in folder order.

    Raises:
        UserError: ``root`` is not a folder or holds no implementation; an unknown check name.
    """
    root = Path(root)
    folders = find_implementations(root)
    if not folders:
        raise UserError(f"{root}: no implementations below it (folders with {MANIFEST})")
    if checks is not None:
        from agent.validate.registry import BY_NAME

        unknown = [c for c in checks if c not in BY_NAME]
        if unknown:
            raise UserError(f"unknown check {unknown[0]!r}; known: {', '.join(BY_NAME)}")
    base = replace(options or ValidateOptions(), progress=None)
    jobs = max(1, min(jobs or default_jobs(), len(folders)))

    def run(folder: Path) -> ImplementationResult:
        if on_start is not None:
            on_start(folder)
        result = validate_one(folder, root, checks, base)
        if on_done is not None:
            on_done(result)
        return result

    if jobs == 1:
        return [run(f) for f in folders]
    with ThreadPoolExecutor(max_workers=jobs, thread_name_prefix="p2c-eval") as pool:
        return list(pool.map(run, folders))


def failure_lines(results: list[ImplementationResult], limit: int = 200) -> list[str]:
    """One line per failed check (or broken implementation), naming the implementation and the check."""
    lines: list[str] = []
    for r in results:
        if r.status == "error":
            lines.append(f"{r.name} ({r.path}): could not validate: {r.error}")
        for c in r.failed_checks():
            detail = " ".join(c.detail.split())[:limit]
            lines.append(f"{r.name} ({r.path}): {c.target}/{c.name} {c.status}: {detail}")
    return lines
