"""``paper2code generate PAPER``: ingest -> plan -> draft -> validate -> commit.

The offline path (the default) plans from the verified component catalog and drafts from its
templates; the result is validated with the executed checks and committed to git. Exit 0 when the
validation passes, 1 when it ran and a check failed (the failed checks are named), 2 for bad input.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click

from agent.errors import UserError

OFFLINE = "offline"


def _generate_with_llm(paper: str, out: str | None, llm: str, *, max_repairs: int, device: str, force: bool,
                       no_commit: bool, no_cache: bool) -> int:
    """The LLM path (agent.draft.llm): a model drafts with tools, validation judges, the model repairs.
    A folder holding an LLM run's state is resumed."""
    from agent.draft.context import package_name
    from agent.draft.llm import generate_with_llm
    from agent.ingest import load_paper
    from agent.llm import parse_spec
    from agent.loop import state_path
    from agent.plan import plan_paper

    parse_spec(llm)
    if no_commit:
        raise UserError("--no-commit applies to --llm offline; the LLM path commits every step that changes files")
    parsed = load_paper(paper)
    plan = plan_paper(parsed, paper_source=paper)
    folder = Path(out) if out else Path.cwd() / "generated" / package_name(plan.slug)
    if not state_path(folder).is_file():
        folder = _output_folder(out, package_name(plan.slug), force)
    return generate_with_llm(parsed, folder, llm, max_repairs=max_repairs, no_cache=no_cache, device=device,
                             plan=plan)


class Progress:
    """Stage lines on stderr (rich), with a spinner while a stage runs on a terminal."""

    def __init__(self) -> None:
        from rich.console import Console

        self.console = Console(stderr=True, highlight=False, soft_wrap=True)
        self.status: Any = None

    @contextmanager
    def stage(self, name: str, doing: str) -> Iterator[Callable[[str], None]]:
        started = time.perf_counter()
        summary: list[str] = []
        if self.console.is_terminal:
            self.status = self.console.status(f"{name}: {doing}")
            self.status.start()
        try:
            yield summary.append
        except BaseException:
            self._stop()
            self.console.print(f"[red]✗[/red] {name:<9} {time.perf_counter() - started:5.1f}s")
            raise
        self._stop()
        detail = summary[-1] if summary else ""
        self.console.print(f"[green]✓[/green] {name:<9} {time.perf_counter() - started:5.1f}s  {detail}")

    def update(self, text: str) -> None:
        if self.status is not None:
            self.status.update(text)

    def _stop(self) -> None:
        if self.status is not None:
            self.status.stop()
            self.status = None


def _output_folder(out: str | None, package: str, force: bool) -> Path:
    from agent.draft.files import generated_by_us, is_empty

    folder = Path(out) if out else Path.cwd() / "generated" / package
    if folder.exists() and not folder.is_dir():
        raise UserError(f"--out {folder}: exists and is not a folder")
    if not is_empty(folder) and not generated_by_us(folder) and not force:
        raise UserError(f"{folder} is not empty and was not made by paper2code generate; "
                        "pass --force to overwrite it, or choose another --out")
    return folder


def _failed_text(report: Any) -> str:
    failures = report.failures()
    listed = ", ".join(f"{c.target}/{c.name} ({c.status})" for c in failures[:12])
    more = f" and {len(failures) - 12} more" if len(failures) > 12 else ""
    return f"{len(failures)} check(s) failed: {listed}{more}"


@click.command("generate")
@click.argument("paper", type=click.Path(path_type=str))
@click.option("--out", "out", type=click.Path(path_type=str), default=None,
              help="Output folder (default: generated/<slug> under the current folder).")
@click.option("--llm", "llm", default=OFFLINE, show_default=True, metavar="SPEC",
              help="offline (catalog templates, no key), anthropic[:MODEL], openai:MODEL@BASE_URL or scripted:FILE.")
@click.option("--max-repairs", type=click.IntRange(min=0), default=3, show_default=True,
              help="Repair rounds after a failed validation (used by the LLM drafting path).")
@click.option("--device", type=click.Choice(["auto", "cpu", "cuda"]), default="auto", show_default=True,
              help="Where validation's smoke training runs; auto = the GPU when one is visible.")
@click.option("--force", is_flag=True, help="Overwrite a non-empty folder that paper2code did not create.")
@click.option("--no-commit", is_flag=True, help="Write and validate, but make no git commit.")
@click.option("--no-cache", is_flag=True, help="LLM path: bypass the on-disk response cache.")
def command(paper: str, out: str | None, llm: str, max_repairs: int, device: str, force: bool,
            no_commit: bool, no_cache: bool) -> int:
    """Turn PAPER (.pdf, .tex, LaTeX folder or arXiv archive) into a validated Lightning project."""
    if llm.strip().lower() != OFFLINE:
        return _generate_with_llm(paper, out, llm, max_repairs=max_repairs, device=device, force=force,
                                  no_commit=no_commit, no_cache=no_cache)
    progress = Progress()
    with progress.stage("ingest", f"reading {paper}") as done:
        from agent.ingest import load_paper

        parsed = load_paper(paper)
        done(f"{parsed.title or '(untitled)'} ({parsed.source}, {len(parsed.equations)} equations, "
             f"{len(parsed.hyperparameters)} hyperparameters)")
    with progress.stage("plan", "matching the paper against the component catalog") as done:
        try:
            from agent.plan import plan_paper
        except ImportError as exc:
            raise UserError(f"the offline planner is not available in this installation ({exc})") from None
        plan = plan_paper(parsed)
        components = ", ".join(f"{c.slot}={c.component}" for c in plan.components)
        done(f"{plan.family}: {components}")
    from agent.draft.context import package_name

    folder = _output_folder(out, package_name(plan.slug), force)
    with progress.stage("draft", f"rendering {folder}") as done:
        from agent.draft.files import write_validation
        from agent.draft.project import draft_project

        written = draft_project(plan, parsed, folder)
        done(f"{len(written)} files in {folder}")
    with progress.stage("validate", "running the executed checks") as done:
        from agent.types import ValidateOptions
        from agent.validate import validate_project

        def on_check(result: Any) -> None:
            progress.update(f"validate: {result.target} {result.name} {result.status}")

        options = ValidateOptions(device=device, progress=on_check)  # type: ignore[arg-type]
        report = validate_project(folder, options=options)
        write_validation(folder, report)
        counts = {s: sum(1 for c in report.checks if c.status == s) for s in ("pass", "skip")}
        failed = len(report.checks) - counts["pass"] - counts["skip"]
        done(f"{'passed' if report.passed else 'FAILED'}: {counts['pass']} pass, {counts['skip']} skip, "
             f"{failed} failed ({report.environment.get('wall_seconds', 0)} s)")
    if not no_commit:
        with progress.stage("commit", "committing the generation") as done:
            from agent.repo import GitRepo

            verdict = "validation passed" if report.passed else _failed_text(report)
            repo = GitRepo(folder)
            sha = repo.commit_all(f"Generate {plan.slug} from {Path(paper).name} (offline)\n\n{verdict}")
            done(f"{sha[:10]}" if sha else "nothing changed since the last commit")
    console = progress.console
    if report.passed:
        console.print(f"[bold green]done[/bold green]: {folder} (train: cd {folder} && python train.py fit)")
        return 0
    console.print(f"[bold red]validation failed[/bold red]: {_failed_text(report)}")
    for check in report.failures()[:12]:
        console.print(f"  {check.target}/{check.name}: {' '.join(check.detail.split())[:200]}")
    return 1
