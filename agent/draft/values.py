"""Hyperparameter values of a generated project, each with where it came from.

A :class:`Value` is one setting as the generated code shows it: the paper's value (quoted evidence),
a value derived from other paper values, or an assumption (with the reason). Values are coerced to
the type the code needs; a paper value that cannot be used (a list of candidates, a string) falls
back to the default and says so.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any, Literal

from agent.types import Plan, PlannedHyperparameter

ValueSource = Literal["paper", "derived", "assumed"]
MAX_QUOTE = 160


@dataclass
class Value:
    """One hyperparameter as rendered: ``name: kind = value  # comment``."""

    name: str
    value: Any
    kind: str  # "int", "float", "bool", "str", "tuple[int, ...]"
    source: ValueSource
    evidence: str  # the quote (paper), the rule (derived) or the reason (assumed)
    section: str | None = None

    def literal(self) -> str:
        """The value as a Python literal."""
        return py_literal(self.value)

    def yaml(self) -> str:
        """The value as a YAML scalar or flow sequence."""
        if isinstance(self.value, bool):
            return "true" if self.value else "false"
        if isinstance(self.value, (list, tuple)):
            return "[" + ", ".join(str(v) for v in self.value) + "]"
        if isinstance(self.value, float):
            return float_text(self.value)
        if isinstance(self.value, str):
            return '"' + self.value.replace("\\", "\\\\").replace('"', '\\"') + '"'
        return str(self.value)

    def comment(self) -> str:
        """``paper: "quote" (§section)``, ``derived: rule`` or ``assumed: reason``."""
        where = f" ({self.section})" if self.section else ""
        if self.source == "paper":
            return f'paper: "{quote(self.evidence)}"{where}'
        return f"{self.source}: {quote(self.evidence)}"

    def yaml_comment(self) -> str:
        """The config.yaml comment: ``source: paper — "quote" (§section)`` or ``assumed: reason``."""
        where = f" ({self.section})" if self.section else ""
        if self.source == "paper":
            return f'source: paper — "{quote(self.evidence)}"{where}'
        return f"{self.source}: {quote(self.evidence)}"


def quote(text: str, limit: int = MAX_QUOTE) -> str:
    """One line of evidence, at most ``limit`` characters, safe inside a comment or a string."""
    text = " ".join(str(text).split()).replace('"', "'")
    return text if len(text) <= limit else text[: limit - 3].rstrip() + "..."


def float_text(value: float) -> str:
    """A float written the way a person would: 0.1, 1e-09, 3e-04, 4000.0."""
    text = repr(float(value))
    return text


def py_literal(value: Any) -> str:
    """A Python literal (lists become tuples: no mutable defaults)."""
    if isinstance(value, list):
        value = tuple(value)
    if isinstance(value, float):
        return float_text(value)
    if isinstance(value, str) and '"' not in value and "\\" not in value and value.isprintable():
        return f'"{value}"'
    if isinstance(value, tuple):
        items = [py_literal(v) for v in value]
        return "(" + ", ".join(items) + ("," if len(items) == 1 else "") + ")"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{py_literal(k)}: {py_literal(v)}" for k, v in value.items()) + "}"
    return repr(value)


def kind_of(default: Any) -> str:
    """The annotation of a parameter whose catalog default is ``default``."""
    if isinstance(default, bool):
        return "bool"
    if isinstance(default, int):
        return "int"
    if isinstance(default, float):
        return "float"
    if isinstance(default, (list, tuple)):
        return "tuple[int, ...]"
    return "str"


def coerce(value: Any, kind: str) -> Any:
    """``value`` converted to ``kind``; raises ValueError when it cannot be."""
    if kind == "bool":
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in ("true", "false", "yes", "no"):
            return value.lower() in ("true", "yes")
        raise ValueError(f"{value!r} is not true/false")
    if kind in ("int", "float"):
        if isinstance(value, bool):
            raise ValueError(f"{value!r} is not a number")
        if isinstance(value, str):
            text = value.strip().replace(",", "")
            if not re.fullmatch(r"[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?", text):
                raise ValueError(f"{value!r} is not a number")
            value = float(text)
        if not isinstance(value, (int, float)) or not math.isfinite(value):
            raise ValueError(f"{value!r} is not a finite number")
        if kind == "float":
            return float(value)
        if float(value).is_integer():
            return int(value)
        raise ValueError(f"{value!r} is not an integer")
    if kind.startswith("tuple"):
        if isinstance(value, (list, tuple)) and all(isinstance(v, int) and not isinstance(v, bool) for v in value):
            return list(value)
        raise ValueError(f"{value!r} is not a list of integers")
    if isinstance(value, str):
        return value
    raise ValueError(f"{value!r} is not a string")


class ValueResolver:
    """Looks up hyperparameters in the plan, coerces them, and records what it assumed."""

    def __init__(self, plan: Plan) -> None:
        self.plan = plan
        self.rejected: list[str] = []  # "name: the paper's value X could not be used (why)"

    def planned(self, name: str) -> PlannedHyperparameter | None:
        return self.plan.hyperparameters.get(name)

    def from_plan(self, name: str, kind: str) -> Value | None:
        """The plan's value of ``name`` as ``kind`` (None when absent or unusable)."""
        hp = self.planned(name)
        if hp is None:
            return None
        try:
            value = coerce(hp.value, kind)
        except ValueError as exc:
            self.rejected.append(f"{name}: the planned value {hp.value!r} could not be used ({exc})")
            return None
        source: ValueSource = "paper" if hp.source == "paper" else "assumed"
        return Value(name, value, kind, source, hp.evidence or "no evidence recorded", hp.section)

    def resolve(self, name: str, kind: str, default: Any, reason: str) -> Value:
        """The plan's value of ``name``, else ``default`` assumed for ``reason``."""
        found = self.from_plan(name, kind)
        if found is not None:
            return found
        return Value(name, coerce(default, kind), kind, "assumed", reason)
