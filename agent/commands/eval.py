"""``paper2code eval``: are the implementations still right, and is the generator getting better or worse?

Three forms::

    paper2code eval [DIR]                     validate every implementation below DIR (default generated/)
    paper2code eval SUITE [--llm SPEC]        score a suite (evals/<suite>/suite.toml) with a generator
    paper2code eval --suite researchcodebench --root PATH --llm SPEC    the ResearchCodeBench adapter

Exit codes: 0 all good; 1 an implementation failed a check, a suite case regressed against
``--baseline`` (or could not run); 2 bad usage or input.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

import click

from agent.commands.options import split_names
from agent.errors import UserError

RCB = "researchcodebench"


def _console() -> Any:
    """Tables on stdout; in a CI log (no terminal) wide enough not to wrap every cell."""
    from rich.console import Console

    return Console(highlight=False, width=None if sys.stdout.isatty() else 200)



@click.command("eval")
@click.argument("target", required=False, type=click.Path(path_type=str))
@click.option("--llm", "llm", default="offline", show_default=True, metavar="SPEC",
              help="Generator for a suite: offline, anthropic[:MODEL], openai:MODEL@BASE_URL, scripted:FILE; "
                   "for researchcodebench also oracle and empty.")
@click.option("--suite", "suite_name", default=None, metavar="NAME",
              help="A suite by name (evals/NAME), or 'researchcodebench' with --root.")
@click.option("--root", "root", default=None, type=click.Path(path_type=str),
              help="ResearchCodeBench: a local checkout (holding pset/papers.yaml) or its pset folder.")
@click.option("--json", "json_file", default=None, type=click.Path(dir_okay=False, path_type=str),
              help="Write the results as JSON to this file.")
@click.option("--junit", "junit_file", default=None, type=click.Path(dir_okay=False, path_type=str),
              help="Write JUnit XML to this file (CI test reports).")
@click.option("--md", "md_file", default=None, type=click.Path(dir_okay=False, path_type=str),
              help="Write a Markdown report to this file (e.g. $GITHUB_STEP_SUMMARY).")
@click.option("--baseline", "baseline_file", default=None, type=click.Path(dir_okay=False, path_type=str),
              help="Compare with an earlier --json result; exit 1 on a regression beyond the tolerance.")
@click.option("--write-baseline", is_flag=True,
              help="Write this run as the baseline (to --baseline FILE, or the suite's own baseline file).")
@click.option("--tolerance", type=click.FloatRange(0, 1, max_open=True), default=None,
              help="How far a score may fall below the baseline (default: the suite's, else 0).")
@click.option("--jobs", "-j", type=click.IntRange(min=1), default=None,
              help="How many validations (or cases) run at once (default: one per core).")
@click.option("--checks", "checks", default=None, metavar="A,B,...", help="Only these validation checks.")
@click.option("--stages", "stages", default=None, metavar="S,...",
              help="Suite stages to run: plan, draft, validate, hidden (default all).")
@click.option("--case", "case_ids", multiple=True, metavar="ID",
              help="Only this suite case (or ResearchCodeBench paper id); repeatable.")
@click.option("--keep", "keep", default=None, type=click.Path(file_okay=False, path_type=str),
              help="Keep each generated implementation in KEEP/<case>.")
@click.option("--timeout", type=click.FloatRange(min=1), default=None,
              help="Wall-clock seconds per validation check, or per benchmark test.")
@click.option("--device", type=click.Choice(["auto", "cpu", "cuda"]), default="auto", show_default=True,
              help="Where smoke training runs during validation.")
def command(target: str | None, llm: str, suite_name: str | None, root: str | None, json_file: str | None,
            junit_file: str | None, md_file: str | None, baseline_file: str | None, write_baseline: bool,
            tolerance: float | None, jobs: int | None, checks: str | None, stages: str | None,
            case_ids: tuple[str, ...], keep: str | None, timeout: float | None, device: str) -> int:
    """Validate the implementations below TARGET (default generated/), or score the suite TARGET."""
    from agent.evaluate.implementations import default_jobs

    jobs = jobs or default_jobs()
    if suite_name == RCB or (target == RCB and root):
        if target not in (None, RCB):
            raise UserError(f"--suite {RCB} takes no TARGET (got {target!r}); give the checkout with --root")
        return _rcb(root, llm, jobs, json_file, md_file, junit_file, baseline_file, write_baseline, tolerance,
                    list(case_ids) or None, timeout)
    from agent.evaluate.suite import find_suite

    suite_dir = find_suite(suite_name) if suite_name else (find_suite(target) if target else None)
    if suite_name and suite_dir is None:
        raise UserError(f"--suite {suite_name}: no evals/{suite_name}/suite.toml here (or {suite_name}/suite.toml)")
    if suite_dir is not None:
        return _suite(suite_dir, llm, jobs, json_file, md_file, junit_file, baseline_file, write_baseline,
                      tolerance, split_names(checks, "--checks"), stages, list(case_ids) or None, keep, timeout, device)
    for name, given in (("--baseline", baseline_file), ("--write-baseline", write_baseline), ("--stages", stages),
                        ("--case", case_ids), ("--keep", keep), ("--root", root)):
        if given:
            raise UserError(f"{name} applies to a suite; {target or 'generated'} is a folder of implementations")
    if llm != "offline":
        raise UserError("--llm applies to a suite; validating implementations needs no model")
    return _implementations(target or "generated", jobs, json_file, md_file, junit_file,
                            split_names(checks, "--checks"), timeout, device)


def _implementations(target: str, jobs: int, json_file: str | None, md_file: str | None, junit_file: str | None,
                     checks: list[str] | None, timeout: float | None, device: str) -> int:
    from agent.evaluate import report
    from agent.evaluate.implementations import evaluate_implementations, failure_lines, find_implementations
    from agent.evaluate.progress import ItemProgress
    from agent.types import ValidateOptions

    if not Path(target).is_dir():
        raise UserError(f"{target}: no such folder or suite (a folder of implementations, or evals/<suite>)")
    total = len(find_implementations(target))
    options = ValidateOptions(timeout_s=timeout, device=device)  # type: ignore[arg-type]
    started = time.perf_counter()
    with ItemProgress("validating", total) as bar:
        results = evaluate_implementations(
            target, checks=checks, options=options, jobs=jobs, on_start=lambda f: bar.note(f.name),
            on_done=lambda r: bar.done(r.name, r.status, r.seconds, _first_failure(r)))
    seconds = time.perf_counter() - started
    used_jobs = max(1, min(jobs, len(results)))
    if json_file:
        report.write_text(json_file, report.to_json(results, root=target, seconds=seconds, jobs=used_jobs), "--json")
    if junit_file:
        report.write_text(junit_file, report.to_junit(results), "--junit")
    if md_file:
        report.write_text(md_file, report.to_markdown(results, root=target, seconds=seconds, jobs=used_jobs), "--md")
    report.render_table(results, _console(), seconds=seconds, jobs=used_jobs)
    lines = failure_lines(results)
    for line in lines:
        click.echo(f"FAILED {line}", err=True)
    return 1 if lines else 0


def _first_failure(result: Any) -> str:
    if result.status == "error":
        return result.error[:120]
    failed = result.failed_checks()
    return f"{failed[0].target}/{failed[0].name} {failed[0].status}" + (
        f" (+{len(failed) - 1})" if len(failed) > 1 else "") if failed else ""


def _suite(folder: Path, llm: str, jobs: int, json_file: str | None, md_file: str | None, junit_file: str | None,
           baseline_file: str | None, write_baseline: bool, tolerance: float | None, checks: list[str] | None,
           stages_text: str | None, case_ids: list[str] | None, keep: str | None, timeout: float | None,
           device: str) -> int:
    from agent.evaluate import baseline as baselines
    from agent.evaluate import leaderboard, report
    from agent.evaluate.progress import ItemProgress
    from agent.evaluate.runner import parse_stages, result_json, run_suite
    from agent.evaluate.suite import load_suite
    from agent.types import ValidateOptions

    suite = load_suite(folder)
    stages = parse_stages(stages_text)
    tolerance = suite.tolerance if tolerance is None else tolerance
    baseline_path = baseline_file or (suite.baseline if write_baseline else None)
    if write_baseline and baseline_path is None:
        raise UserError("--write-baseline: name the file with --baseline FILE (the suite names none)")
    if write_baseline and (case_ids or stages != parse_stages(None)):
        raise UserError("--write-baseline records a full run: leave out --case and --stages")
    previous = baselines.load_baseline(baseline_path) if baseline_path and not write_baseline else None
    count = len(case_ids) if case_ids else len(suite.cases)
    options = ValidateOptions(timeout_s=timeout, device=device)  # type: ignore[arg-type]
    with ItemProgress(f"suite {suite.name}", count) as bar:
        result = run_suite(suite, llm=llm, stages=stages, cases=case_ids, jobs=jobs, keep=keep, checks=checks,
                           options=options, on_start=lambda c: bar.note(c.id),
                           on_done=lambda s: bar.done(s.case, s.status, s.seconds, s.error[:120]))
    data = result_json(result)
    comparison = None
    if previous is not None:
        comparison = baselines.compare(data, previous, tolerance=tolerance, selected=case_ids,
                                       baseline_path=str(baseline_path))
        data["comparison"] = comparison.to_dict()
    text = json.dumps(data, indent=2, default=str) + "\n"
    if json_file:
        report.write_text(json_file, text, "--json")
    if junit_file:
        report.write_text(junit_file, leaderboard.suite_junit(data, comparison=comparison), "--junit")
    if md_file:
        report.write_text(md_file, leaderboard.suite_markdown(data, comparison=comparison, baseline=previous), "--md")
    leaderboard.render_suite(data, _console(), comparison=comparison, baseline=previous)
    errors = [c for c in result.cases if c.status == "error"]
    if write_baseline:
        if errors:
            raise UserError(f"not writing a baseline: case {errors[0].case} could not run: {errors[0].error}")
        data.pop("comparison", None)
        report.write_text(baseline_path, json.dumps(data, indent=2, default=str) + "\n", "--baseline")
        click.echo(f"baseline written to {baseline_path}", err=True)
    for case in errors:
        click.echo(f"ERROR {case.case}: {case.error}", err=True)
    for delta in comparison.regressions if comparison else []:
        click.echo(f"REGRESSION {delta.text()}", err=True)
    return 1 if errors or (comparison is not None and comparison.regressed) else 0


def _rcb(root: str | None, llm: str, jobs: int, json_file: str | None, md_file: str | None, junit_file: str | None,
         baseline_file: str | None, write_baseline: bool, tolerance: float | None, papers: list[str] | None,
         timeout: float | None) -> int:
    from agent.evaluate import baseline as baselines
    from agent.evaluate import rcb, report

    if not root:
        raise UserError(f"--suite {RCB} needs --root PATH (a local checkout of ResearchCodeBench)")
    if write_baseline and not baseline_file:
        raise UserError("--write-baseline: name the file with --baseline FILE")
    previous = baselines.load_baseline(baseline_file) if baseline_file and not write_baseline else None
    result = rcb.run_benchmark(root, llm, papers=papers, jobs=jobs, timeout_s=timeout or rcb.TEST_TIMEOUT_S,
                               echo=lambda line: click.echo(line, err=True))
    data = rcb.result_json(result)
    comparison = None
    if previous is not None:
        comparison = baselines.compare(data, previous, tolerance=tolerance or 0.0, selected=papers,
                                       baseline_path=str(baseline_file))
        data["comparison"] = comparison.to_dict()
    if json_file:
        report.write_text(json_file, json.dumps(data, indent=2) + "\n", "--json")
    if md_file:
        report.write_text(md_file, rcb.to_markdown(data, comparison), "--md")
    if junit_file:
        report.write_text(junit_file, rcb.to_junit(data), "--junit")
    rcb.render(data, _console(), comparison)
    if write_baseline:
        data.pop("comparison", None)
        report.write_text(baseline_file, json.dumps(data, indent=2) + "\n", "--baseline")
        click.echo(f"baseline written to {baseline_file}", err=True)
    for delta in comparison.regressions if comparison else []:
        click.echo(f"REGRESSION {delta.text()}", err=True)
    return 1 if comparison is not None and comparison.regressed else 0
