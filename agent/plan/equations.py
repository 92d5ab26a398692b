"""Link a paper's numbered equations to the components that implement them, and compile them.

Each numbered equation is compared with the cue equations of the chosen components (shared
identifiers and function names); every one is then compiled with :mod:`agent.equations` and
checked numerically, so the generated project can test its components against the paper's own
formulas (equations.py) and cover what the catalog lacks.
"""

from __future__ import annotations

import keyword
import logging
import re
import time

from agent.errors import UserError
from agent.types import Component, Equation, Paper, PlannedEquation

log = logging.getLogger(__name__)

COMPILE_BUDGET_S = 20.0  # total compile time per paper
MAX_EQUATIONS = 24
LINK_THRESHOLD = 0.6

_WRAPPERS = re.compile(r"\\(?:mathrm|text|operatorname|mathit|textrm|mathbf|bm|boldsymbol)\s*\{([^{}]*)\}")
_COMMAND = re.compile(r"\\([A-Za-z]+)")
_NOISE = {"frac", "left", "right", "cdot", "quad", "qquad", "big", "bigg", "mathcal", "mathbb", "limits",
          "displaystyle", "top", "in", "the", "of", "and", "for", "where", "with", "i", "j", "t", "n", "x"}


def _tokens(text: str) -> set[str]:
    text = _WRAPPERS.sub(r" \1 ", text)
    text = _COMMAND.sub(r" \1 ", text)
    words = re.findall(r"[A-Za-z]+", text)
    return {w.lower() for w in words if w.lower() not in _NOISE}


def _lhs_name(latex: str) -> str | None:
    """The function or symbol an equation defines: 'DyT' in ``\\mathrm{DyT}(x) = ...``."""
    lhs = latex.split("=", 1)[0] if "=" in latex else ""
    lhs = _WRAPPERS.sub(r"\1", lhs)
    match = re.match(r"\s*\\?([A-Za-z][A-Za-z0-9]*)", lhs)
    return match.group(1).lower() if match else None


def link_score(equation: Equation, component: Component) -> float:
    """How well an equation matches a component's cue equations and names (0..1+)."""
    eq_tokens = _tokens(equation.latex)
    best = 0.0
    for cue in component.cues.equations:
        cue_tokens = _tokens(cue)
        if len(cue_tokens) >= 2:
            shared = eq_tokens & cue_tokens
            if len(shared) >= 2:
                best = max(best, len(shared) / len(cue_tokens))
    name = _lhs_name(equation.latex)
    names = {component.name.replace("_", ""), component.symbol.lower(), *(n.lower() for n in component.symbols)}
    names |= {cue.split("(")[0].strip().lower() for cue in component.cues.equations if "(" in cue.split("=")[0]}
    if name and len(name) > 1 and name in names:
        best = max(best, 1.0)
    return best


def link(equation: Equation, components: list[Component]) -> tuple[Component | None, float]:
    scored = sorted(((link_score(equation, c), c.name, c) for c in components), key=lambda t: (-t[0], t[1]))
    if scored and scored[0][0] >= LINK_THRESHOLD:
        return scored[0][2], scored[0][0]
    return None, 0.0


def _function_name(number: str | None, compiled_name: str, taken: set[str]) -> str:
    base = re.sub(r"\W+", "_", compiled_name).strip("_").lower() or "equation"
    if base[0].isdigit():
        base = f"eq_{base}"
    if keyword.iskeyword(base):  # Diff-Transformer's eq. (2) defines lambda
        base = f"{base}_"
    suffix = re.sub(r"\W+", "_", number or str(len(taken)))
    name = base if base not in taken else f"{base}_eq{suffix}"
    taken.add(name)
    return name


def plan_equations(paper: Paper, components: list[Component]) -> tuple[list[PlannedEquation], list[str]]:
    """One PlannedEquation per numbered equation (up to MAX_EQUATIONS), compiled within a time budget."""
    from agent.equations import compile_equation

    planned: list[PlannedEquation] = []
    notes: list[str] = []
    taken: set[str] = set()
    started = time.perf_counter()
    numbered = [e for e in paper.equations if e.number][:MAX_EQUATIONS]
    for equation in numbered:
        component, _ = link(equation, components)
        entry = PlannedEquation(
            number=equation.number,
            latex=equation.latex,
            role=component.slot if component else "uncovered",
            implemented_by=component.name if component else None,
            section=equation.section,
        )
        if time.perf_counter() - started > COMPILE_BUDGET_S:
            entry.note = "not compiled: the planner's compile time budget was spent"
            planned.append(entry)
            continue
        try:
            compiled = compile_equation(equation.latex)
        except UserError as exc:  # unsupported notation: recorded, never guessed
            entry.note = f"not compiled: {exc}"
        except Exception as exc:  # a compiler bug must not stop planning; it is recorded
            log.warning("equation (%s) crashed the compiler: %s", equation.number, exc)
            entry.note = f"not compiled: compiler error {type(exc).__name__}: {exc}"
        else:
            entry.compiled = True
            entry.verified = bool(compiled.verified)
            entry.function = _function_name(equation.number, compiled.name, taken)
            entry.source = compiled.source.replace(f"def {compiled.name}(", f"def {entry.function}(", 1)
            if not compiled.verified:
                entry.note = f"compiled but not verified (max error {compiled.max_error})"
        planned.append(entry)
    if len([e for e in paper.equations if e.number]) > MAX_EQUATIONS:
        notes.append(f"only the first {MAX_EQUATIONS} numbered equations were compiled")
    return planned, notes
