"""Render the generated project of a plan: ``draft_project(plan, paper, out) -> list[Path]``.

The layout is DESIGN.md's "Generated implementation": paper2code.toml, README.md, NOTES.md,
config.yaml, train.py, paper.json, plan.json, <package>/ (model.py, module.py, data.py, equations.py,
references.py) and tests/test_model.py. Rendering is deterministic: the same plan and paper give
the same bytes (no timestamps, no machine paths, sorted JSON keys).
"""

from __future__ import annotations

import functools
import json
import textwrap
from pathlib import Path
from typing import Any

import jinja2

from agent.catalog import get
from agent.draft import helpers
from agent.draft.context import Context, build_context, comment_lines, paper_display_name
from agent.draft.files import write_files
from agent.draft.sources import render_equations, render_references
from agent.draft.testgen import causal_test, dict_literal, reference_tests, shape_test
from agent.draft.values import py_literal, quote
from agent.resources import templates_dir
from agent.types import Paper, Plan


def _wrap(text: str, width: int = 116, first: str = "", rest: str = "") -> str:
    return textwrap.fill(str(text), width=width, initial_indent=first, subsequent_indent=rest,
                         break_on_hyphens=False, break_long_words=False)


@functools.cache
def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(templates_dir() / "project")),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        autoescape=False,
    )
    env.filters["py"] = py_literal
    env.globals["catalog"] = get
    env.globals["comment"] = lambda text, indent=0: "\n".join(comment_lines(text, indent))
    env.globals["md"] = helpers.markdown_cell
    env.filters["wrap"] = _wrap
    return env


def _render(name: str, **context: Any) -> str:
    text = _environment().get_template(name).render(**context)
    return text.rstrip("\n") + "\n"


def _json(data: Any) -> str:
    return json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def paper_json(paper: Paper) -> dict[str, Any]:
    """The Paper as written to paper.json: machine paths reduced to the paper's name."""
    data = paper.to_dict()
    data["path"] = paper_display_name(paper)
    return data


def plan_json(plan: Plan, paper: Paper) -> dict[str, Any]:
    """The Plan as written to plan.json (the paper path reduced to its name)."""
    data = plan.to_dict()
    data["paper_source"] = paper_display_name(paper)
    return data


def render_files(plan: Plan, paper: Paper) -> tuple[Context, dict[str, str]]:
    """The project of ``plan`` as {relative path: text}, with the context it was rendered from."""
    ctx = build_context(plan, paper)
    pkg = ctx.package
    common = {"ctx": ctx, "family": ctx.spec.name}
    files: dict[str, str] = {}
    files[f"{pkg}/__init__.py"] = _render("__init__.py.j2", **common)
    files[f"{pkg}/model.py"] = _render("model.py.j2", **common, **helpers.model_context(ctx))
    files[f"{pkg}/module.py"] = _render("module.py.j2", **common, **helpers.module_context(ctx))
    files[f"{pkg}/data.py"] = _render("data.py.j2", **common, **helpers.data_context(ctx))
    equations = render_equations(ctx.functions, ctx.equation_imports, helpers.equations_header(ctx))
    if equations is not None:
        files[f"{pkg}/equations.py"] = equations
    reference_components = [e.component for e in ctx.entries if "reference" in e.table]
    references = render_references(reference_components, helpers.references_header(ctx))
    if references is not None:
        files[f"{pkg}/references.py"] = references
    tests = reference_tests(ctx)
    test_imports, test_local = helpers.test_imports(ctx, tests, equations is not None)
    files["tests/test_model.py"] = _render(
        "test_model.py.j2", **common, imports=test_imports, local_imports=test_local, shape_test=shape_test(ctx),
        causal_test=causal_test(ctx), reference_tests=tests,
        tiny_training=dict_literal(helpers.training_init(ctx)), tiny_data=dict_literal(helpers.data_init(ctx)))
    files["train.py"] = _render("train.py.j2", **common)
    files["config.yaml"] = _render("config.yaml.j2", **common)
    files["paper2code.toml"] = ctx.manifest
    files["pyproject.toml"] = _render("pyproject.toml.j2", **common)
    files[".gitignore"] = _render("gitignore.j2", **common)
    rows = helpers.docs_context(ctx, has_equations=equations is not None, has_references=references is not None)
    files["README.md"] = _render("README.md.j2", **common, **rows)
    files["NOTES.md"] = _render("NOTES.md.j2", **common, **rows)
    files["paper.json"] = _json(paper_json(paper))
    files["plan.json"] = _json(plan_json(plan, paper))
    return ctx, files


def draft_project(plan: Plan, paper: Paper, out: Path) -> list[Path]:
    """Render the project of ``plan`` into ``out`` and return the files written, sorted.

    Raises:
        UserError: the plan cannot be drafted offline (unknown family, a component that refuses its
            slot fillers, an unusable slug).
    """
    _, files = render_files(plan, paper)
    return write_files(Path(out), files)


__all__ = ["draft_project", "paper_json", "plan_json", "quote", "render_files"]
