"""``/explain N``: which code implements equation N, with the paper's evidence.

It names the component the plan links to the equation, where its class or function is defined in
the generated package (file and line), the compiled form of the equation in ``equations.py`` when
there is one, and the tests that compare the two; then quotes the paper around the equation.
"""

from __future__ import annotations

import re
from pathlib import Path

from rich.text import Text

from agent.chat import render
from agent.chat.session import ChatSession
from agent.errors import UserError
from agent.types import PlannedEquation


def _definitions(folder: Path, names: list[str], files: list[str]) -> list[str]:
    """``path:line  class Name`` for each top-level definition of ``names`` in ``files``."""
    wanted = [n for n in dict.fromkeys(names) if n]
    if not wanted:
        return []
    pattern = re.compile(r"^(class|def)\s+(" + "|".join(map(re.escape, wanted)) + r")\b")
    found = []
    for relative in files:
        try:
            lines = (folder / relative).read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError):
            continue
        for number, line in enumerate(lines, 1):
            match = pattern.match(line)
            if match:
                found.append(f"{relative}:{number}  {match.group(1)} {match.group(2)}")
    return found


def _tests_using(folder: Path, names: list[str], files: list[str]) -> list[str]:
    """``path::test_name`` of the test functions whose body mentions one of ``names``."""
    found = []
    wanted = [n for n in names if n]
    for relative in files:
        if not relative.startswith("tests/") or not relative.endswith(".py"):
            continue
        try:
            text = (folder / relative).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            continue
        for match in re.finditer(r"(?ms)^def (test_\w+)\(.*?(?=^def |\Z)", text):
            if any(re.search(rf"\b{re.escape(n)}\b", match.group(0)) for n in wanted):
                found.append(f"{relative}::{match.group(1)}")
    return found


def find_equation(session: ChatSession, key: str) -> PlannedEquation:
    number = key.strip().strip("()").removeprefix("eq").removeprefix(".").strip()
    if not number:
        raise UserError("usage: /explain N (an equation number; /equations lists them)")
    for planned in session.plan.equations:
        if planned.number == number:
            return planned
    numbers = ", ".join(f"({e.number})" for e in session.plan.equations if e.number) or "none"
    raise UserError(f"no equation ({number}) in the plan; numbered equations: {numbers}")


def explain(session: ChatSession, key: str) -> str:
    """Print the explanation of equation ``key``; returns a one-line summary."""
    from agent.catalog import registry

    planned = find_equation(session, key)
    console = session.console
    paper_eq = session.paper.equation(planned.number or "")
    files = [f for f in session.files() if f.endswith(".py")]
    console.print(Text(f"Equation ({planned.number})" + (f" — §{planned.section}" if planned.section else ""),
                       style="bold"))
    render.info(console, f"  {planned.latex}")
    summary = f"equation ({planned.number}): "
    names: list[str] = []
    if planned.implemented_by:
        try:
            component = registry.get(planned.implemented_by)
        except UserError:
            component = None
        entry = next((c for c in session.plan.components if c.component == planned.implemented_by), None)
        render.info(console, f"implemented by the component {planned.implemented_by} (slot {planned.role})"
                    + (f": {component.summary}" if component else ""))
        if component is not None:
            names = [component.symbol, *component.symbols]
            for where in _definitions(session.folder, names, files):
                render.info(console, f"  defined at {where}")
            render.info(console, f"  proven equal to {component.reference.target} ({component.reference.kind})")
        if entry is not None:
            render.info(console, f"  chosen because: \"{render.short(entry.evidence, 300)}\""
                        + (f" (§{entry.section})" if entry.section else ""))
        summary += f"implemented by {planned.implemented_by}"
    else:
        render.info(console, "no catalog component implements it (role: uncovered)")
        summary += "no component"
    if planned.function:
        state = "verified numerically" if planned.verified else "not verified"
        render.info(console, f"compiled from the LaTeX as {planned.function}() ({state})")
        for where in _definitions(session.folder, [planned.function], files):
            render.info(console, f"  defined at {where}")
        names.append(planned.function)
        summary += f"; compiled as {planned.function}"
    elif planned.note:
        render.info(console, f"not compiled: {render.short(planned.note, 200)}")
    tests = _tests_using(session.folder, names, files)
    if tests:
        render.info(console, "tested by: " + ", ".join(tests[:6]))
    if paper_eq is not None and paper_eq.context:
        render.info(console, f"the paper: \"{render.short(paper_eq.context, 600)}\"")
    return summary
