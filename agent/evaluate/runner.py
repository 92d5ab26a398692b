"""Run an evaluation suite: per case, generate with the chosen provider, validate, run the hidden tests,
and score what came out (:class:`agent.types.CaseScore`).

Stages, in order: ``plan`` (ingest and plan; scores components and hyperparameters), ``draft``
(write the implementation), ``validate`` (the executed checks, judged again here rather than taken
from the generator's own report) and ``hidden`` (the case's pytest files). ``--stages plan`` gives a
quick check of the planner alone. The offline generator is ``agent.plan.plan_paper`` followed by
``agent.draft.project.draft_project``; any other ``--llm`` spec goes through
``agent.draft.llm.generate_with_llm``, which plans, drafts and repairs with the model.
"""

from __future__ import annotations

import importlib.metadata
import json
import os
import platform
import shutil
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import agent
from agent.errors import UserError
from agent.evaluate.scoring import implementation_choices, plan_choices, score_choices
from agent.types import CaseScore, EvalCase, EvalSuite, SuiteResult, ValidateOptions

STAGES = ("plan", "draft", "validate", "hidden")
OFFLINE = "offline"

# ingest, plan and draft run in this process and hold the GIL: one at a time, while the validations
# and hidden tests of other cases run in their sandboxes.
_IN_PROCESS = threading.Lock()


def parse_stages(text: str | None) -> list[str]:
    """``"plan,validate"`` -> the stages in pipeline order; a stage needs the ones it builds on."""
    if not text:
        return list(STAGES)
    names = [n.strip() for n in text.split(",") if n.strip()]
    unknown = [n for n in names if n not in STAGES]
    if unknown or not names:
        raise UserError(f"--stages: unknown stage {unknown[0]!r}; stages: {', '.join(STAGES)}" if unknown
                        else "--stages needs at least one stage")
    if any(n in names for n in ("validate", "hidden")) and "draft" not in names:
        names.append("draft")
    if "draft" in names and "plan" not in names:
        names.append("plan")
    return [s for s in STAGES if s in names]


def run_suite(
    suite: EvalSuite,
    *,
    llm: str = OFFLINE,
    stages: list[str] | None = None,
    cases: list[str] | None = None,
    jobs: int = 1,
    keep: str | Path | None = None,
    checks: list[str] | None = None,
    options: ValidateOptions | None = None,
    on_start: Callable[[EvalCase], None] | None = None,
    on_done: Callable[[CaseScore], None] | None = None,
) -> SuiteResult:
    """Score every case of ``suite`` (or those named in ``cases``), ``jobs`` cases at a time.

    Args:
        suite: a loaded suite (:func:`agent.evaluate.suite.load_suite`).
        llm: the generator: ``offline`` or an ``--llm`` spec.
        stages: which stages run (default all, see :data:`STAGES`).
        cases: only these case ids.
        jobs: cases run at once.
        keep: keep each generated implementation in ``keep/<case id>`` (default: a temporary folder).
        checks: validation checks (default: all the manifest implies).
        options: validation options.
        on_start, on_done: progress hooks (called from worker threads).
    """
    from agent.llm import parse_spec

    stages = stages or list(STAGES)
    kind, _ = parse_spec(llm)
    if kind != OFFLINE:
        if "draft" not in stages:
            raise UserError("an LLM plans and drafts in one run: --stages must include draft with --llm " + llm)
        from agent.llm import get_provider, load_config

        get_provider(llm, config=load_config(None))  # a missing key or script is bad input, not a failed case
    selected = suite.cases
    if cases:
        unknown = [c for c in cases if c not in {x.id for x in suite.cases}]
        if unknown:
            raise UserError(f"suite {suite.name!r} has no case {unknown[0]!r}; cases: "
                            f"{', '.join(c.id for c in suite.cases)}")
        selected = [c for c in suite.cases if c.id in cases]
    options = options or ValidateOptions()
    started = time.perf_counter()

    def run(case: EvalCase) -> CaseScore:
        if on_start is not None:
            on_start(case)
        score = run_case(case, llm=llm, stages=stages, keep=keep, checks=checks, options=options)
        if on_done is not None:
            on_done(score)
        return score

    if jobs <= 1 or len(selected) <= 1:
        scores = [run(c) for c in selected]
    else:
        with ThreadPoolExecutor(max_workers=min(jobs, len(selected)), thread_name_prefix="p2c-case") as pool:
            scores = list(pool.map(run, selected))
    environment = {"paper2code": agent.__version__, "python": platform.python_version(),
                   "torch": _version("torch"), "cpus": os.cpu_count(), "jobs": jobs}
    return SuiteResult(suite=suite.name, llm=llm, cases=scores, stages=list(stages),
                       seconds=round(time.perf_counter() - started, 2), environment=environment)


def _version(package: str) -> str | None:
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return None


def run_case(case: EvalCase, *, llm: str, stages: list[str], keep: str | Path | None = None,
             checks: list[str] | None = None, options: ValidateOptions | None = None) -> CaseScore:
    """Generate, validate, test and score one case; never raises for a case that fails or breaks."""
    score = CaseScore(case=case.id, status="pass")
    if not case.available:
        score.status, score.error = "skip", case.skip_reason
        return score
    started = time.perf_counter()
    temporary = keep is None
    out = Path(tempfile.mkdtemp(prefix=f"p2c-eval-{case.id}-")) / case.id if temporary else Path(keep) / case.id
    try:
        try:
            if llm.strip().lower() == OFFLINE:
                _offline(case, out, stages, score)
            else:
                _with_llm(case, out, llm, score, options or ValidateOptions(), checks)
        except UserError as exc:  # the generator refused the paper: it scores nothing on this case
            _refused(case, stages, score, str(exc))
            return score
        if "validate" in stages:
            _validate(out, checks, options or ValidateOptions(), score)
        if "hidden" in stages and case.hidden_tests:
            _hidden(out, case, score)
    except Exception as exc:  # a bug in a stage: reported against this case, the others go on
        score.status, score.error = "error", f"{type(exc).__name__}: {exc}"
    finally:
        score.seconds = round(time.perf_counter() - started, 2)
        if temporary:
            shutil.rmtree(out.parent, ignore_errors=True)
        else:
            score.output = str(out)
    if score.status == "pass" and _falls_short(score):
        score.status = "fail"
    return score


def _refused(case: EvalCase, stages: list[str], score: CaseScore, why: str) -> None:
    """The generator gave up on the paper (a UserError): every expectation of the stages asked for fails."""
    score.status, score.error = "fail", f"generation failed: {why}"
    score.stages = list(stages)
    score_choices(score, case.components, case.hyperparameters, set(), {})
    if "validate" in stages:
        score.validation_passed, score.validation_failures = False, ["nothing was generated"]
    if "hidden" in stages and case.hidden_tests:
        score.hidden_passed, score.hidden_total = 0, len(case.hidden_tests)
        score.hidden_failures = ["nothing was generated"]


def _falls_short(score: CaseScore) -> bool:
    return bool(score.components_missing or score.hyperparameters_wrong or score.validation_passed is False
                or (score.hidden_total and score.hidden_passed != score.hidden_total))


def _offline(case: EvalCase, out: Path, stages: list[str], score: CaseScore) -> None:
    from agent.ingest import load_paper
    from agent.plan import plan_paper

    with _IN_PROCESS:
        paper = load_paper(case.paper)
        plan = plan_paper(paper, paper_source=case.paper)
        score.stages.append("plan")
        if "draft" in stages:
            from agent.draft.project import draft_project

            if out.exists():
                shutil.rmtree(out)
            draft_project(plan, paper, out)
            score.stages.append("draft")
    if "draft" in stages:
        components, hyperparameters = implementation_choices(out, trust_plan=True)
    else:
        components, hyperparameters = plan_choices(plan)
    score_choices(score, case.components, case.hyperparameters, components, hyperparameters)


def _with_llm(case: EvalCase, out: Path, llm: str, score: CaseScore, options: ValidateOptions,
              checks: list[str] | None) -> None:
    from agent.draft.llm import generate_with_llm
    from agent.llm import usage_path

    log: list[str] = []
    if out.exists():  # every run starts fresh: a kept folder from an earlier run is not resumed
        shutil.rmtree(out)
    code = generate_with_llm(case.paper, out, llm, device=options.device, echo=log.append, checks=checks,
                             step_checks=checks)
    score.stages += ["plan", "draft"]
    if code != 0:
        score.error = next((line for line in reversed(log) if line.startswith("paper2code:")), "generation failed")
    ledger = usage_path(out)
    if ledger.is_file():
        total = json.loads(ledger.read_text(encoding="utf-8")).get("total", {})
        score.input_tokens = int(total.get("input_tokens", 0)) + int(total.get("cache_read_tokens", 0)) + int(
            total.get("cache_write_tokens", 0))
        score.output_tokens = int(total.get("output_tokens", 0))
        score.cost_usd = float(total.get("cost_usd", 0.0))
    components, hyperparameters = implementation_choices(out, trust_plan=False)
    score_choices(score, case.components, case.hyperparameters, components, hyperparameters)


def _validate(out: Path, checks: list[str] | None, options: ValidateOptions, score: CaseScore) -> None:
    from agent.validate import validate_project

    score.stages.append("validate")
    if not (out / "paper2code.toml").is_file():
        score.validation_passed = False
        score.validation_failures = ["the implementation has no paper2code.toml"]
        return
    try:
        report = validate_project(out, checks=checks, options=options)
    except UserError as exc:  # a malformed manifest written by a model: the implementation fails validation
        score.validation_passed = False
        score.validation_failures = [f"manifest: {exc}"]
        return
    score.validation_passed = report.passed
    score.validation_failures = [f"{c.target}/{c.name} ({c.status})" for c in report.failures()]


def _hidden(out: Path, case: EvalCase, score: CaseScore) -> None:
    from agent.evaluate.hidden import run_hidden_tests

    score.stages.append("hidden")
    outcome = run_hidden_tests(out, case.hidden_tests)
    score.hidden_passed, score.hidden_total = outcome.passed, outcome.total
    score.hidden_failures = outcome.failures


def result_json(result: SuiteResult) -> dict[str, Any]:
    """The JSON of a suite run: the result, each case's metrics, and ``scores`` ({case: {metric: value}},
    what a baseline comparison reads)."""
    data = result.to_dict()
    for case, entry in zip(result.cases, data["cases"]):
        entry["metrics"] = case.metrics()
    data["scores"] = {c.case: c.metrics() for c in result.cases if c.status != "skip"}
    data["skipped"] = {c.case: c.error for c in result.cases if c.status == "skip"}
    data["kind"] = "suite"
    return data
