"""``generate --llm``: a model drafts the implementation with tools, the validator judges it, the model
repairs it (:class:`agent.loop.DraftAgent`).

:func:`generate_with_llm` builds the system prompt and the paper block from ``prompts/``, gives the offline
planner's plan as a hint, runs (or resumes) the agent, and writes ``validation.json`` only when a final
validation ran — never a passing one for a project that did not pass. The usage ledger (tokens and USD
per call and per run) is printed to stderr and saved in ``.paper2code/usage.json``. An LLM failure
once retries are spent is one line and exit code 1; the state is kept, so a re-run resumes.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from agent.errors import LLMError, UserError
from agent.llm.base import LLMProvider
from agent.types import AgentLimits, AgentResult, Paper, PaperBlock, Plan, ValidateOptions

if TYPE_CHECKING:
    from agent.llm.cost import UsageLedger
    from agent.repo import GitRepo

# What the model writes, by path relative to the output folder ("{package}" is filled in).
DRAFT_FILES = (
    ("paper2code.toml", "the manifest of the validated modules and the smoke run (format below)"),
    ("{package}/__init__.py", "the package"),
    ("{package}/model.py", "nn.Modules with einops and shape comments; no Lightning import"),
    ("{package}/ref.py", "reference functions fn(module, **inputs) computed with torch built-ins"),
    ("{package}/module.py", "the LightningModule wrapping the model"),
    ("{package}/data.py", "a LightningDataModule with synthetic data the smoke run can learn"),
    ("train.py", "the training entry point"),
    ("tests/test_model.py", "pytest tests comparing against the reference with torch.testing.assert_close"),
    ("config.yaml", "hyperparameters, each with source: paper (quoted) or assumed"),
    ("README.md", "how to train; equation -> code map"),
    ("NOTES.md", "decisions with evidence, assumptions, ambiguities, deviations"),
)


def paper_text(paper: Paper) -> str:
    """The paper as plain text for a model: title, abstract, sections, display equations, tables."""
    parts = [f"# {paper.title}"]
    if paper.authors:
        parts.append(", ".join(paper.authors))
    if paper.abstract:
        parts.append(f"## Abstract\n{paper.abstract}")
    for s in paper.sections:
        parts.append(f"{'#' * min(s.level + 1, 5)} {s.number + ' ' if s.number else ''}{s.title}\n{s.text}")
    if paper.equations:
        rows = [f"({e.number or e.id}) {e.latex}    [{e.section or '-'}]" for e in paper.equations]
        parts.append("## Display equations\n" + "\n".join(rows))
    for t in paper.tables:
        cells = "\n".join(" | ".join(row) for row in t.rows)
        parts.append(f"## Table {t.number or t.id}: {t.caption or ''}\n{cells}")
    return "\n\n".join(parts)


def generate_with_llm(
    paper: Paper | str | Path,
    out: str | Path,
    llm: str | LLMProvider,
    *,
    max_repairs: int | None = None,
    limits: AgentLimits | None = None,
    no_cache: bool = False,
    checks: list[str] | None = None,
    step_checks: list[str] | None = None,
    device: str = "auto",
    plan: Plan | None = None,
    use_plan: bool = True,
    env: Mapping[str, str] | None = None,
    echo: Callable[[str], None] | None = None,
) -> int:
    """Draft, validate and repair an implementation of ``paper`` in ``out`` with a model.

    Args:
        paper: a read paper, or the path of one.
        out: the output folder (created; its own git repository unless inside one).
        llm: an ``--llm`` spec (not ``offline``) or a provider.
        max_repairs: repair rounds after a failed validation (default: configuration, 3).
        limits: steps, tokens, USD and wall time (default: configuration's max_steps and max_cost_usd).
        no_cache: bypass the on-disk response cache.
        checks: the checks of the final validation (default: every check the manifest implies).
        step_checks: the quick checks whose verdict is committed with each step (default
            :data:`agent.loop.STEP_CHECKS`).
        device: where validation trains ("auto", "cpu", "cuda").
        plan: the plan given as a hint; default: the offline planner's (``use_plan=False``: none).
        env: environment for keys, endpoints and ``P2C_*`` settings (default ``os.environ``).
        echo: where progress lines go (default: stderr).

    Returns:
        0 when the project passed validation, 1 when it failed, a limit stopped the run, or the LLM
        failed once retries were spent.

    Raises:
        agent.errors.UserError: bad input (unreadable paper, bad spec, missing key, foreign state).
    """
    from agent.ingest import load_paper
    from agent.llm import UsageLedger, get_provider, load_config, usage_path
    from agent.llm.agent_tools import AgentTools
    from agent.llm.cache import default_cache_dir
    from agent.llm.cost import MeteredProvider
    from agent.llm.prompts import render
    from agent.loop import STEP_CHECKS, DraftAgent, state_path
    from agent.repo import GitRepo

    say = echo or (lambda line: print(line, file=sys.stderr, flush=True))
    env = os.environ if env is None else env
    if not isinstance(paper, Paper):
        paper = load_paper(paper)
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise UserError(f"--out {out}: not a folder")
    out.mkdir(parents=True, exist_ok=True)
    config = load_config(None, env=env)  # never the output folder's manifest: the model writes that one
    if no_cache:
        config.cache = False
    limits = limits or AgentLimits(max_steps=config.max_steps, max_cost_usd=config.max_cost_usd)
    config.max_cost_usd = float("inf") if limits.max_cost_usd is None else limits.max_cost_usd
    max_repairs = config.max_repairs if max_repairs is None else max_repairs
    resuming = state_path(out).is_file()
    ledger = UsageLedger.load(usage_path(out)) if resuming and usage_path(out).is_file() else UsageLedger()
    if isinstance(llm, str):
        provider = get_provider(llm, config=config, env=env, cache_dir=default_cache_dir(out, config.cache_dir),
                                ledger=ledger)
        if provider is None:
            raise UserError("generate_with_llm needs a model; '--llm offline' drafts from templates instead")
    else:
        provider = MeteredProvider(llm, ledger, max_cost_usd=config.max_cost_usd, prices=config.prices)

    plan = plan if plan is not None or not use_plan else _offline_plan(paper)
    package = _package(plan, paper.title)
    tools = AgentTools(out, paper, options=ValidateOptions(device=device))
    repo = GitRepo(out)
    _setup(out, paper, plan, repo)
    system = render("system", tools=tools.names, project_name=out.name, package=package)
    files = [{"path": path.format(package=package), "purpose": purpose} for path, purpose in DRAFT_FILES]
    hint = {k: v for k, v in plan.to_dict().items() if k != "paper_source"} if plan is not None else None
    plan_json = json.dumps(hint or {"note": "no offline plan"}, indent=1)  # no local path: resumes from anywhere
    task = render("draft", package=package, plan_json=plan_json, write_tool="write_file", files=files)
    task += "\n" + render("_manifest_format", project_name=out.name, package=package,
                          checks=checks or ["all of the manifest's checks"])
    pdf = paper.path if paper.source == "pdf" and paper.path else None
    block = PaperBlock(text=paper_text(paper), title=paper.title, pdf_path=pdf)
    agent = DraftAgent(provider, tools, repo, system=system, paper=block, limits=limits, max_repairs=max_repairs,
                       checks=checks, step_checks=step_checks or STEP_CHECKS, max_tokens=config.max_tokens,
                       echo=say)
    try:
        result = agent.run(task)
    except LLMError as exc:
        _usage(ledger, out, say)
        again = "" if "re-run" in str(exc) else "; re-run to resume"
        say(f"paper2code: error: {exc}{again} (state kept in {state_path(out)})")
        return 1
    _usage(ledger, out, say)
    return _finish(result, out, repo, say)


def _offline_plan(paper: Paper) -> Plan | None:
    from agent.plan import plan_paper

    try:
        return plan_paper(paper, paper_source=paper.path)
    except UserError:
        return None


def _package(plan: Plan | None, title: str) -> str:
    from agent.draft.context import package_name
    from agent.plan import slugify

    return package_name(plan.slug if plan is not None else slugify(title))


def _setup(out: Path, paper: Paper, plan: Plan | None, repo: GitRepo) -> None:
    """Write paper.json and plan.json (committed when they changed) and drop any validation.json: one is
    written again only when this run's final validation ran."""
    files = {"paper.json": paper.to_dict(), **({"plan.json": plan.to_dict()} if plan is not None else {})}
    changed = False
    for name, data in files.items():
        text = json.dumps(data, indent=2, ensure_ascii=False) + "\n"
        path = out / name
        if not path.is_file() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
            changed = True
    (out / "validation.json").unlink(missing_ok=True)
    if changed:
        repo.commit_all("setup: paper.json and plan.json for the LLM draft")


def _usage(ledger: UsageLedger, out: Path, say: Callable[[str], None]) -> None:
    from agent.llm import usage_path

    path = ledger.save(usage_path(out))
    say(f"usage (saved in {path}):\n{ledger.summary()}")


def _finish(result: AgentResult, out: Path, repo: GitRepo, say: Callable[[str], None]) -> int:
    """Write validation.json when a final validation ran, report the repairs, and give the exit code."""
    from agent.draft.files import write_validation
    from agent.llm.agent_tools import verdict

    for r in result.repairs:
        after = r.verdict_after or "not validated yet"
        say(f"repair {r.attempt}: {r.verdict_before} -> {after}; sent back: {'; '.join(r.failures)[:300]}")
    if result.report is not None:
        write_validation(out, result.report)
        repo.commit_all(f"validation: {verdict(result.report)}{'' if result.report.passed else ' (failed)'}")
    if result.outcome == "passed":
        say(f"passed: validation {verdict(result.report)} after {result.steps} steps and "
            f"{len(result.repairs)} repair(s); the project is in {out}")
        return 0
    say(f"paper2code: {result.message} (state kept in {out / '.paper2code'}; re-run to resume)")
    return 1
