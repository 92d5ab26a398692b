"""The drafting agent's tools beyond files: read the paper, compile its equations, use the verified
catalog, run validation, and finish.

:class:`AgentTools` gives every spec the agent sends (its own plus :class:`agent.llm.tools.FileTools`'s)
and turns a :class:`agent.types.ToolCall` into a ``tool_result`` block. As with the file tools, nothing a
model sends raises: bad arguments, unknown names and failing compilations come back as ``is_error``
results. Text taken from the paper or from executed code goes back inside untrusted-data blocks.
``finish`` is only described here; the loop (:mod:`agent.loop`) acts on it. Validation runs only in
the validator's sandbox (:func:`agent.validate.validate_project`); nothing here imports generated code.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from pathlib import Path
from typing import Any

from agent.errors import UserError
from agent.llm.base import tool_result
from agent.llm.tools import FileTools
from agent.llm.untrusted import wrap_untrusted
from agent.types import CheckResult, Paper, ToolCall, ToolSpec, ValidateOptions, ValidationReport

log = logging.getLogger(__name__)

FINISH = "finish"
DETAIL_TAIL = 1500  # characters of a failed check's detail sent back (tracebacks end with the cause)
_SKIP = {".git", ".paper2code", "__pycache__", "lightning_logs"}

_NAME = {"type": "string"}
_OBJ = {"type": "object"}


def _spec(name: str, description: str, properties: dict[str, Any] | None = None,
          required: tuple[str, ...] = ()) -> ToolSpec:
    schema: dict[str, Any] = {"type": "object", "properties": properties or {}}
    if required:
        schema["required"] = list(required)
    return ToolSpec(name, description, schema)


AGENT_SPECS = [
    _spec("read_section", "Read one section of the paper, by number (\"3.2\") or title.",
          {"section": {"type": "string", "description": "section number or title"}}, ("section",)),
    _spec("list_equations", "List the paper's display equations: id, number, section and LaTeX."),
    _spec("get_equation", "One display equation with the sentences around it.",
          {"equation": {"type": "string", "description": "an id (eq3) or the printed number (3)"}}, ("equation",)),
    _spec("compile_equation", "Compile LaTeX into a torch function, checked numerically against the LaTeX.",
          {"latex": _NAME, "shapes": {"type": "object", "additionalProperties": _NAME,
                                      "description": "einops-style shape per symbol, e.g. {\"Q\": \"n d\"}"}},
          ("latex",)),
    _spec("list_components", "List verified catalog components (each proven equal to a trusted implementation).",
          {"slot": {"type": "string", "description": "optional: attention, norm, ffn, position, ..."}}),
    _spec("show_component", "A catalog component's parameters, interface, shape contracts and reference.",
          {"name": _NAME}, ("name",)),
    _spec("render_component", "The Python source of a catalog component (with its dependencies and imports).",
          {"name": _NAME, "params": {**_OBJ, "description": "template parameters, e.g. {\"causal\": true}"}},
          ("name",)),
    _spec("validate", "Run the validator's executed checks on the project (paper2code.toml); default: all.",
          {"checks": {"type": "array", "items": _NAME,
                      "description": "e.g. [\"import\", \"shapes\", \"reference\"]"}}),
    _spec(FINISH, "Submit the implementation: the project is validated; failures come back to you.",
          {"summary": {"type": "string", "description": "one paragraph: what was built"}}),
]


def tree_files(root: str | Path) -> dict[str, str]:
    """Relative path -> SHA-256 of every file validation sees (git and private folders left out)."""
    root = Path(root)
    found: dict[str, str] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if d not in _SKIP)
        for name in sorted(filenames):
            path = Path(dirpath) / name
            if path.is_symlink() or not path.is_file():
                continue
            found[path.relative_to(root).as_posix()] = hashlib.sha256(path.read_bytes()).hexdigest()
    return found


def tree_digest(root: str | Path) -> str:
    """One SHA-256 over :func:`tree_files`: equal digests, equal projects."""
    return hashlib.sha256(json.dumps(tree_files(root), sort_keys=True).encode()).hexdigest()


def verdict(report: ValidationReport) -> str:
    """"k/n checks pass" over the checks that ran (skips left out)."""
    ran = [c for c in report.checks if c.status != "skip"]
    return f"{sum(c.status == 'pass' for c in ran)}/{len(ran)} checks pass"


def failure_lines(report: ValidationReport, *, tail: int = 160) -> list[str]:
    """One line per failed check: "[status] check on target: end of its detail"."""
    lines = []
    for c in report.failures():
        detail = " ".join(c.detail.split())
        detail = detail if len(detail) <= tail else "..." + detail[-tail:]
        lines.append(f"[{c.status}] {c.name} on {c.target}: {detail}")
    return lines


def with_tails(report: ValidationReport) -> list[CheckResult]:
    """The failed checks, each detail cut to its last :data:`DETAIL_TAIL` characters."""
    out = []
    for c in report.failures():
        detail = c.detail if len(c.detail) <= DETAIL_TAIL else "[...]\n" + c.detail[-DETAIL_TAIL:]
        out.append(CheckResult(c.name, c.target, c.status, detail))
    return out


def describe_report(report: ValidationReport, checks: list[str] | None) -> str:
    """A compact, deterministic text of a report for the model (no timings, no paths)."""
    which = ", ".join(checks) if checks else "all of the manifest's checks"
    head = f"validation ({which}): {verdict(report)} — {'PASSED' if report.passed else 'FAILED'}"
    rows = [f"[{c.status}] {c.name} on {c.target}" for c in report.checks if c.status == "pass"]
    failures = "\n".join(f"[{c.status}] {c.name} on {c.target}: {c.detail}" for c in with_tails(report))
    text = "\n".join([head, *rows])
    if failures:
        text += "\n" + wrap_untrusted(failures, kind="validation_output")
    return text


class AgentTools:
    """Every tool of the drafting agent on one output folder and one paper."""

    def __init__(self, root: str | Path, paper: Paper, *, options: ValidateOptions | None = None) -> None:
        self.root = Path(root).resolve()
        self.paper = paper
        self.files = FileTools(self.root)
        self.options = options or ValidateOptions()
        self.validations = 0  # validator runs (memo hits not counted)
        self._memo: dict[tuple[str, tuple[str, ...] | None], ValidationReport] = {}
        self._handlers = {
            "read_section": self._read_section,
            "list_equations": self._list_equations,
            "get_equation": self._get_equation,
            "compile_equation": self._compile_equation,
            "list_components": self._list_components,
            "show_component": self._show_component,
            "render_component": self._render_component,
            "validate": self._validate,
        }

    def specs(self) -> list[ToolSpec]:
        return self.files.specs() + list(AGENT_SPECS)

    @property
    def names(self) -> list[str]:
        return [spec.name for spec in self.specs()]

    def run(self, call: ToolCall) -> dict[str, Any]:
        """Run ``call`` (anything but ``finish``); returns a ``tool_result`` block."""
        if call.name in self.files.names:
            return self.files.run(call)
        if call.error is not None or call.arguments is None:
            return tool_result(call.id, f"{call.name}: {call.error or 'no arguments'}", is_error=True)
        handler = self._handlers.get(call.name)
        if handler is None:
            return tool_result(call.id, f"unknown tool {call.name!r}; available: {', '.join(self.names)}",
                               is_error=True)
        try:
            return tool_result(call.id, handler(**call.arguments))
        except TypeError as exc:
            return tool_result(call.id, f"{call.name}: bad arguments: {exc}", is_error=True)
        except UserError as exc:
            return tool_result(call.id, f"{call.name}: {exc}", is_error=True)
        except Exception as exc:  # a compiler or catalog bug must not end the run; the model can go on
            log.warning("tool %s failed: %s: %s", call.name, type(exc).__name__, exc)
            return tool_result(call.id, f"{call.name} failed: {type(exc).__name__}: {exc}", is_error=True)

    # ------------------------------------------------------------------ validation

    def validate(self, checks: list[str] | None = None) -> ValidationReport:
        """Validate the project in the sandbox; the same files and checks are validated once.

        A project the validator cannot read (no or a bad ``paper2code.toml``) gives a failed report
        with one ``manifest`` check naming the cause.
        """
        from agent.validate import validate_project

        key = (tree_digest(self.root), tuple(checks) if checks is not None else None)
        if key in self._memo:
            return self._memo[key]
        self.validations += 1
        try:
            report = validate_project(self.root, checks=checks, options=self.options)
        except UserError as exc:
            report = ValidationReport(passed=False, checks=[CheckResult("manifest", self.root.name, "error", str(exc))])
        self._memo[key] = report
        return report

    def remember(self, digest: str, checks: list[str] | None, report: ValidationReport) -> None:
        """Seed the memo with a report saved by an earlier run of the same files and checks."""
        self._memo[(digest, tuple(checks) if checks is not None else None)] = report

    def _validate(self, checks: list[str] | None = None) -> str:
        if checks is not None and (not isinstance(checks, list) or not all(isinstance(c, str) for c in checks)):
            raise UserError("checks must be a list of check names")
        from agent.validate.registry import BY_NAME

        unknown = [c for c in checks or [] if c not in BY_NAME]
        if unknown:
            raise UserError(f"unknown check {unknown[0]!r}; known: {', '.join(BY_NAME)}")
        return describe_report(self.validate(checks or None), checks or None)

    # ------------------------------------------------------------------ paper

    def _read_section(self, section: str) -> str:
        wanted = str(section).strip().lower()
        sections = self.paper.sections
        found = next((s for s in sections if (s.number or "").lower() == wanted), None)
        found = found or next((s for s in sections if s.title.lower() == wanted), None)
        found = found or next((s for s in sections if wanted and wanted in s.title.lower()), None)
        if found is None:
            listing = "; ".join(f"{s.number + ' ' if s.number else ''}{s.title}" for s in sections[:60])
            raise UserError(f"no section {section!r}; sections: {listing or '(none)'}")
        title = f"{found.number + ' ' if found.number else ''}{found.title}"
        return wrap_untrusted(f"{title}\n\n{found.text}", kind="paper_section")

    def _list_equations(self) -> str:
        if not self.paper.equations:
            return "the paper has no display equations"
        rows = [f"{e.id} ({e.number or '-'}) [{e.section or '-'}] {e.latex}" for e in self.paper.equations]
        return wrap_untrusted("\n".join(rows), kind="paper_equations")

    def _get_equation(self, equation: str) -> str:
        wanted = str(equation).strip().strip("()")
        eq = next((e for e in self.paper.equations if e.id == wanted), None) or self.paper.equation(wanted)
        if eq is None:
            raise UserError(f"no equation {equation!r}; see list_equations")
        head = f"{eq.id} ({eq.number or 'unnumbered'}), section {eq.section or '-'}"
        text = f"{head}\n{eq.latex}\n\ncontext: {eq.context}"
        return wrap_untrusted(text, kind="paper_equation")

    def _compile_equation(self, latex: str, shapes: dict[str, str] | None = None) -> str:
        from agent.equations import compile_equation

        if not isinstance(latex, str) or not latex.strip():
            raise UserError("latex must be a non-empty string")
        if shapes is not None and not (isinstance(shapes, dict) and all(isinstance(v, str) for v in shapes.values())):
            raise UserError("shapes must map symbols to einops-style strings")
        eq = compile_equation(latex, shapes)
        facts = {"name": eq.name, "inputs": eq.inputs, "shapes": eq.shapes, "output_shape": eq.output_shape,
                 "verified": eq.verified, "max_error": eq.max_error, "notes": eq.notes}
        return json.dumps(facts) + "\n\n" + eq.source

    # ------------------------------------------------------------------ catalog

    def _list_components(self, slot: str | None = None) -> str:
        from agent import catalog

        components = catalog.by_slot(slot) if slot else catalog.all_components()
        if not components:
            raise UserError(f"no component fills slot {slot!r}")
        return "\n".join(f"{c.name} [{c.slot}]: {c.summary}" for c in components)

    def _show_component(self, name: str) -> str:
        from agent import catalog

        c = catalog.get(name)
        facts = {
            "name": c.name, "slot": c.slot, "summary": c.summary, "kind": c.kind, "symbol": c.symbol,
            "paper": c.paper, "interface": c.interface, "params": {k: p.to_dict() for k, p in c.params.items()},
            "contracts": [k.to_dict() for k in c.contracts], "reference": c.reference.to_dict(),
            "traits": c.traits, "has_reference_file": c.reference_file is not None,
        }
        return json.dumps(facts, indent=1, default=str)

    def _render_component(self, name: str, params: dict[str, Any] | None = None) -> str:
        from agent import catalog

        if params is not None and not isinstance(params, dict):
            raise UserError("params must be an object of template parameters")
        source = catalog.render_module([name], {name: params} if params else None)
        reference = catalog.reference_source(name)
        if reference:
            source += f"\n\n# --- reference functions of {name} (fn(module, **inputs) -> expected), for a ref.py ---\n"
            source += reference
        return source
