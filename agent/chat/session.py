"""The state of one chat: the folder, its plan and paper, its git history, transcript and LLM ledger.

Every change goes the same way (:meth:`ChatSession.land`): edits made by hand are committed first,
separately; the change is written; the quick checks run; a change that passes is committed as
paper2code's (so ``/undo`` can take it back) and shown as a diff; one that fails is rolled back
exactly, and its diff is kept under ``.paper2code/rejected/`` so no work is lost.
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich.console import Console

from agent.chat import render
from agent.chat.merge import Snapshot, read_text
from agent.chat.transcript import Transcript
from agent.errors import UserError
from agent.types import Paper, Plan, ValidateOptions, ValidationReport

QUICK_CHECKS = ["static", "import", "shapes"]  # run after every change (the LLM loop's step checks)
TRAILER = "paper2code chat"
RENDER_SUBJECTS = ("chat: /set ", "chat: /swap ")  # commits whose files are renderings of the plan
USAGE_FILE = Path(".paper2code") / "chat_usage.json"
REJECTED_DIR = Path(".paper2code") / "rejected"


@dataclass
class Outcome:
    """How a change ended: committed (``sha``), nothing to do, or rolled back (``report`` failed)."""

    sha: str | None
    changed: list[str]
    report: ValidationReport | None = None
    rejected: Path | None = None

    @property
    def committed(self) -> bool:
        return self.sha is not None


class ChatSession:
    """One ``paper2code chat DIR``."""

    def __init__(self, folder: str | Path, *, llm: str = "offline", checks: list[str] | None = None,
                 device: str = "auto", console: Console | None = None, env: Mapping[str, str] | None = None) -> None:
        from agent.chat.planio import PAPER_FILE, PLAN_FILE
        from agent.llm import parse_spec
        from agent.repo import GitRepo

        self.folder = Path(folder).resolve()
        if not self.folder.is_dir():
            raise UserError(f"{folder}: no such folder")
        if not (self.folder / "paper2code.toml").is_file():
            raise UserError(f"{folder}: no paper2code.toml; chat works on a folder made by paper2code generate")
        for name in (PLAN_FILE, PAPER_FILE):
            if not (self.folder / name).is_file():
                raise UserError(f"{folder}: not a generated folder (no {name}); run paper2code generate first")
        self.llm_spec = (llm or "offline").strip()
        self.llm_kind, _ = parse_spec(self.llm_spec)
        if checks is not None:
            from agent.validate.registry import BY_NAME

            unknown = [c for c in checks if c not in BY_NAME]
            if unknown:
                raise UserError(f"unknown check {unknown[0]!r}; known: {', '.join(BY_NAME)}")
        self.checks = list(checks) if checks is not None else list(QUICK_CHECKS)
        self.device = device
        self.env: Mapping[str, str] = os.environ if env is None else env
        self.console = console or Console(highlight=False)
        self._plan: Plan | None = None
        self._paper: Paper | None = None
        _ = self.plan  # a broken plan.json is bad input: refuse now, not at the first /set
        self.repo = GitRepo(self.folder)
        self.transcript = Transcript(self.folder)
        self._ledger: Any = None
        self._earlier: Any = None
        self._provider: Any = None
        self.llm_turns = 0
        if self.llm_kind != "offline":
            self.provider_and_config()  # a missing key or a bad model spec is bad input: refuse now

    # ------------------------------------------------------------------ state

    @property
    def plan(self) -> Plan:
        if self._plan is None:
            from agent.chat.planio import load_plan

            self._plan = load_plan(self.folder)
        return self._plan

    @property
    def paper(self) -> Paper:
        if self._paper is None:
            from agent.chat.planio import load_paper

            self._paper = load_paper(self.folder)
        return self._paper

    def reload(self) -> None:
        """Forget the cached plan and paper (after /undo or an edit of plan.json)."""
        self._plan = None
        self._paper = None

    @property
    def package(self) -> str:
        from agent.draft.context import package_name

        return package_name(self.plan.slug)

    @property
    def ledger(self) -> Any:
        """This chat's LLM calls (the cost limit applies to them)."""
        if self._ledger is None:
            from agent.llm import UsageLedger

            self._ledger = UsageLedger()
        return self._ledger

    @property
    def earlier_ledger(self) -> Any:
        """The LLM calls of earlier chats in this folder."""
        if self._earlier is None:
            from agent.llm import UsageLedger

            path = self.folder / USAGE_FILE
            try:
                self._earlier = UsageLedger.load(path) if path.is_file() else UsageLedger()
            except (OSError, ValueError, KeyError, TypeError):
                self._earlier = UsageLedger()  # a damaged private ledger starts afresh
        return self._earlier

    def provider_and_config(self) -> tuple[Any, Any]:
        """The model of ``--llm`` (built once, metered into the ledger) and the LLM settings."""
        if self._provider is None:
            from agent.llm import default_cache_dir, get_provider, load_config

            config = load_config(self.folder, env=self.env)
            provider = get_provider(self.llm_spec, config=config, env=self.env,
                                    cache_dir=default_cache_dir(self.folder, config.cache_dir), ledger=self.ledger)
            if provider is None:
                raise UserError("no model is configured (--llm offline)")
            self._provider = (provider, config)
        return self._provider

    def save_ledger(self) -> None:
        """Save every chat's calls (earlier ones first) in ``.paper2code/chat_usage.json``."""
        if self._ledger is not None and self._ledger.calls:
            from agent.llm import UsageLedger

            UsageLedger(calls=self.earlier_ledger.calls + self._ledger.calls).save(self.folder / USAGE_FILE)

    def files(self) -> list[str]:
        """The project's files (relative, sorted), private folders and caches left out."""
        found = []
        for dirpath, dirnames, filenames in os.walk(self.folder):
            dirnames[:] = sorted(d for d in dirnames if d not in (".git", ".paper2code", "__pycache__")
                                 and not d.endswith((".egg-info", "_cache")) and d != "lightning_logs")
            for name in sorted(filenames):
                if not name.endswith((".pyc", ".ckpt")):
                    found.append((Path(dirpath) / name).relative_to(self.folder).as_posix())
        return found

    def rendered_only(self, relative: str) -> bool:
        """Whether ``relative`` holds only what paper2code rendered: it is committed as it is, and every
        commit that changed it, back to the offline generation, is a rendering of the plan (/set, /swap)."""
        if self.repo.is_dirty():
            return False
        for info in self.repo.file_log(relative):
            if not info.ours:
                return False
            if info.summary.startswith("Generate ") and info.summary.endswith("(offline)"):
                return True
            if not info.summary.startswith(RENDER_SUBJECTS):
                return False
        return False

    # ------------------------------------------------------------------ output

    def say(self, text: str, style: str = "") -> None:
        render.info(self.console, text, style)

    @contextmanager
    def busy(self, text: str) -> Iterator[Any]:
        """A spinner on a terminal; nothing otherwise."""
        if self.console.is_terminal:
            with self.console.status(text) as status:
                yield status
        else:
            yield None

    # ------------------------------------------------------------------ changes

    def commit_hand_edits(self) -> str | None:
        """Commit edits made by hand since the last commit, as the user's own (never undone by /undo)."""
        if not self.repo.is_dirty():
            return None
        sha = self.repo.commit_user_changes()
        if sha:
            self.say(f"committed your edits separately first ({sha[:10]}), so yours and paper2code's stay apart",
                     "yellow")
            self.reload()
        return sha

    def validate(self, checks: list[str] | None) -> ValidationReport:
        """Run ``checks`` (None: all of the manifest's) on the folder."""
        from agent.validate import validate_project

        with self.busy("validating ...") as status:
            def progress(result: Any) -> None:
                if status is not None:
                    status.update(f"validating ... {result.target} {result.name} {result.status}")

            options = ValidateOptions(device=self.device, progress=progress)  # type: ignore[arg-type]
            return validate_project(self.folder, checks=checks, options=options)

    def check(self, snapshot: Snapshot) -> tuple[list[str], ValidationReport | None]:
        """The files a change wrote and, when it wrote any, the quick checks' report."""
        changed = snapshot.changed()
        if not changed:
            return changed, None
        report = self.validate(self.checks)
        render.report_summary(self.console, report, self.checks)
        return changed, report

    def record(self, report: ValidationReport) -> None:
        """validation.json describes the code it sits beside: rewrite it with the checks this change
        passed, so it is committed with the change (the report names the checks that ran)."""
        from agent.draft.files import write_validation

        write_validation(self.folder, report)

    def commit(self, message: str) -> str | None:
        """Commit the folder as paper2code's and show the change."""
        sha = self.repo.commit_all(message, trailer=TRAILER)
        if sha:
            self.say(f"committed {sha[:10]}: {message.splitlines()[0]}", "green")
            render.show_diff(self.console, self.repo.diff(1), limit=render.DIFF_LINES, quiet=render.QUIET_FILES)
        return sha

    def reject(self, snapshot: Snapshot, why: str) -> Path:
        """Roll the change back; its diff is kept in ``.paper2code/rejected/``. Returns that file."""
        diff = self.snapshot_diff(snapshot)
        folder = self.folder / REJECTED_DIR
        folder.mkdir(parents=True, exist_ok=True)
        number = 1 + max((int(p.stem) for p in folder.glob("*.diff") if p.stem.isdigit()), default=0)
        path = folder / f"{number:03d}.diff"
        path.write_text(f"# {why}\n{diff}", encoding="utf-8")
        snapshot.restore()
        self.reload()
        self.say(f"rolled back: {why}; the change is kept in {path.relative_to(self.folder)}", "yellow")
        return path

    def snapshot_diff(self, snapshot: Snapshot) -> str:
        parts = []
        for relative, before in sorted(snapshot.before.items()):
            after = read_text(self.folder / relative)
            if after == before:
                continue
            parts.extend(difflib.unified_diff((before or "").splitlines(keepends=True),
                                              (after or "").splitlines(keepends=True),
                                              f"a/{relative}" if before is not None else "/dev/null",
                                              f"b/{relative}" if after is not None else "/dev/null"))
        return "".join(parts)

    def land(self, snapshot: Snapshot, message: str) -> Outcome:
        """Validate what ``snapshot`` saw change; commit it when the checks pass, else roll it back.
        An error or Ctrl-C before the commit rolls the change back too: nothing half-done stays."""
        try:
            changed, report = self.check(snapshot)
            if not changed:
                self.say("nothing changed")
                return Outcome(None, [])
            assert report is not None
            if not report.passed:
                path = self.reject(snapshot, f"validation failed ({render.verdict(report)})")
                return Outcome(None, changed, report, path)
            self.reload()
            self.record(report)
            return Outcome(self.commit(message), changed, report)
        except BaseException:
            if snapshot.changed() and self.repo.is_dirty():
                self.reject(snapshot, "the change did not finish")
            raise
