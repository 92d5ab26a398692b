"""The template context of a generated project, built from a :class:`Plan` and its :class:`Paper`.

Everything the project templates (``codegen_templates/project/*.j2``) print comes from here:
the components with their evidence, the rendered catalog code, the Config and its presets, the
optimiser and data settings, the manifest, the compiled equations and the tests that tie them to
the components, and the notes (assumptions, deviations, what was left out).
"""

from __future__ import annotations

import ast
import keyword
import re
import textwrap
from dataclasses import dataclass, field
from typing import Any

from agent.catalog import get, render_module
from agent.catalog.render import merge_imports
from agent.draft.families import FamilySpec, family_spec
from agent.draft.links import LinkTest, link_tests
from agent.draft.manifest import ModuleEntry, module_entries, render_manifest, training_table
from agent.draft.settings import Settings, build_settings, render_params
from agent.draft.sources import CompiledFunction, compiled_functions, reference_function_name
from agent.draft.values import Value, py_literal, quote
from agent.draft.wiring import Wiring, wire
from agent.errors import UserError
from agent.types import Paper, Plan

WIDTH = 116  # comment lines stay under ruff's 120 with their indentation


@dataclass
class Split:
    """A rendered module cut into its import lines and its definitions."""

    imports: list[str]
    body: str


@dataclass
class Context:
    """What the project templates render."""

    plan: Plan
    paper: Paper
    paper_name: str
    package: str
    spec: FamilySpec
    wiring: Wiring
    settings: Settings
    params: dict[str, dict[str, Any]]
    model_code: Split
    training_code: Split | None
    entries: list[ModuleEntry]
    manifest: str
    functions: list[CompiledFunction]
    equation_imports: list[str]
    links: list[LinkTest]
    notes: dict[str, list[str]] = field(default_factory=dict)
    symbols: dict[str, str] = field(default_factory=dict)  # component -> class/function name

    def as_dict(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}


def package_name(slug: str) -> str:
    """A valid Python package name from the plan's slug."""
    name = re.sub(r"\W+", "_", slug.strip().lower()).strip("_") or "paper"
    if name[0].isdigit():
        name = "paper_" + name
    if keyword.iskeyword(name) or name in ("torch", "einops", "tests", "test", "pytorch_lightning", "lightning"):
        name += "_impl"
    return name


def paper_display_name(paper: Paper) -> str:
    """The paper's path as recorded in generated files: its last component (no machine paths)."""
    if not paper.path:
        return paper.title or "paper"
    return re.split(r"[\\/]", str(paper.path).rstrip("/\\"))[-1] or paper.title or "paper"


def split_module(source: str) -> Split:
    """Import lines and definitions of a module rendered by :func:`agent.catalog.render_module`."""
    tree = ast.parse(source)
    imports: list[str] = []
    first_def = None
    for node in tree.body:
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            imports.append(ast.get_source_segment(source, node) or "")
        elif not (isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)):
            first_def = node
            break
    lines = source.splitlines()
    start = 0 if first_def is None else first_def.lineno - 1
    if first_def is not None and getattr(first_def, "decorator_list", None):
        start = min(d.lineno for d in first_def.decorator_list) - 1
    return Split(imports, "\n".join(lines[start:]).strip("\n") + "\n")


def comment_lines(text: str, indent: int = 0, width: int = WIDTH) -> list[str]:
    """``text`` as ``# ...`` lines wrapped to fit ruff's line length at ``indent``."""
    pad = " " * indent
    wrapped = textwrap.wrap(text, width=width - indent - 2, break_long_words=True, break_on_hyphens=False)
    return [f"{pad}# {line}" for line in wrapped] or [f"{pad}#"]


def _render_training(wiring: Wiring, settings: Settings) -> Split | None:
    if not wiring.training_names:
        return None
    params: dict[str, dict[str, Any]] = {}
    values = {v.name: v.value for v in settings.training}
    for name in wiring.training_names:
        component = get(name)
        out = dict(wiring.training_params.get(name, {}))
        for param, spec in component.params.items():
            key = spec.canonical or param
            if spec.slot is None and key in values and param not in out:
                out[param] = type(spec.default)(values[key]) if isinstance(spec.default, (int, float)) else values[key]
            elif spec.slot is None and key == "d_model" and settings.model_value("d_model"):
                out[param] = settings.model_value("d_model").value
        params[name] = out
    return split_module(render_module(wiring.training_names, params))


def _symbols(wiring: Wiring, params: dict[str, dict[str, Any]]) -> dict[str, str]:
    names = list(wiring.order) + list(wiring.training_names)
    return {n: params.get(n, {}).get("class_name", get(n).symbol) for n in names}


def _check_plan(plan: Plan) -> None:
    if not plan.slug or not plan.title:
        raise UserError("the plan has no title or slug; cannot name the generated project")


def lora_targets(wiring: Wiring) -> tuple[str, ...]:
    """The attention projections LoRA wraps: the plan's targets, else W_q and the fused W_k/W_v."""
    planned = wiring.choices.get("linear")
    targets = planned.params.get("targets") if planned is not None else None
    if wiring.component("attention") == "differential_attention":
        return ("to_q", "to_v")
    if isinstance(targets, list) and targets and all(isinstance(t, str) and t.isidentifier() for t in targets):
        return tuple(targets)
    return ("to_q", "to_kv")


def _notes(plan: Plan, wiring: Wiring, settings: Settings, link_notes: list[str]) -> dict[str, list[str]]:
    assumed_components = [c for c in wiring.choices.values() if c.assumed or not c.from_plan]
    deviations = [
        f"Data: the paper's dataset is replaced by a deterministic synthetic {plan.task} task generated in "
        f"code ({wiring.family.summary}); `SyntheticData(data_path=...)` loads real tensors instead.",
        "Validation runs at a tiny size (Config.from_name('tiny'), the [training] table of paper2code.toml) so "
        "that every check runs in seconds on a CPU; config.yaml keeps the paper's sizes.",
    ]
    deviations += wiring.notes + settings.notes
    if wiring.rendered("lora_linear") and "to_kv" in lora_targets(wiring):
        deviations.append("LoRA on `to_kv`: the attention projects keys and values with one matrix, so adapting it "
                          "adapts W_k together with W_v (the paper adapts W_q and W_v).")
    if wiring.rendered("lora_linear"):
        deviations.append("LoRA wraps the attention projections after the model is built; with no pretrained "
                          "checkpoint in a smoke run the tiny preset trains the base weights too "
                          "(lora_freeze_base=False); the paper preset freezes them.")
    if wiring.rendered("differential_attention"):
        deviations.append("Differential attention uses lambda_init = 0.8 - 0.6 exp(-0.3 (l - 1)) with l = 1 in "
                          "every layer: the blocks do not pass the layer index down.")
    not_implemented = [f"{c.component} (slot {c.slot}): the {wiring.family.name} skeleton has no place for it"
                       for c in wiring.unused]
    for eq in plan.equations:
        if eq.implemented_by is None and not eq.compiled:
            label = f"eq. ({eq.number})" if eq.number else "an unnumbered equation"
            why = f" ({eq.note})" if eq.note else ""
            not_implemented.append(f"{label} `{quote(eq.latex, 90)}`: the plan links no component to it and it was "
                                   f"not compiled{why}; parts of it may still be implemented by the components above")
    used = {v.name for v in settings.model + settings.training + settings.data + settings.trainer}
    used |= {v.name for _, v in settings.nested}
    if any(v.name == "gradient_clip_val" for v in settings.trainer):
        used.add("grad_clip")
    derived = {"d_k", "d_v", "head_dim"} if "num_heads" in used else set()
    for name, hp in sorted(plan.hyperparameters.items()):
        if name in used or hp.source != "paper":
            continue
        if name in derived:
            continue  # d_model / num_heads gives the head size
        not_implemented.append(f"the paper's {name} = {hp.value} is not used by this implementation "
                               f"(\"{quote(hp.evidence, 100)}\")")
    return {
        "assumed_components": [f"{c.slot}: {c.component} ({quote(c.evidence)})" for c in assumed_components],
        "deviations": deviations,
        "not_implemented": not_implemented,
        "ambiguities": list(plan.ambiguities),
        "links": link_notes,
    }


def build_context(plan: Plan, paper: Paper) -> Context:
    """Everything the templates need to render the project of ``plan``."""
    _check_plan(plan)
    spec = family_spec(plan.family)
    wiring = wire(plan, spec)
    settings = build_settings(plan, wiring)
    params = render_params(wiring, settings)
    model_code = split_module(render_module(wiring.model_names, params))
    training_code = _render_training(wiring, settings)
    package = package_name(plan.slug)
    entries = module_entries(package, wiring, settings, params)
    paper_name = paper_display_name(paper)
    manifest = render_manifest(package, paper_name, entries, training_table(package, settings))
    functions, equation_imports = compiled_functions(plan.equations)
    symbols = _symbols(wiring, params)
    positional = {n for n, p in params.items() if p.get("position")}
    linkable = {n: s for n, s in symbols.items() if n not in positional}
    slots = {slot: choice.component for slot, choice in wiring.choices.items()}
    links, link_notes = link_tests(functions, linkable, slots)
    notes = _notes(plan, wiring, settings, link_notes)
    return Context(plan, paper, paper_name, package, spec, wiring, settings, params, model_code, training_code,
                   entries, manifest, functions, equation_imports, links, notes, symbols)


def merged_imports(*groups: list[str]) -> str:
    """Import lines merged into isort order (one block, sections separated by a blank line)."""
    return "\n".join(merge_imports([line for group in groups for line in group]))


def first_party(package: str, lines: list[str]) -> str:
    """First-party import lines (the generated package), sorted."""
    return "\n".join(sorted(lines, key=lambda s: (s.startswith("from"), s.lower()))) if lines else ""


def reference_name(component: str, function: str) -> str:
    return reference_function_name(get(component), function)


def values_literal(values: dict[str, Any]) -> str:
    return "{" + ", ".join(f"{k!r}: {py_literal(v)}" for k, v in values.items()) + "}"


def describe(value: Value) -> str:
    return value.comment()
