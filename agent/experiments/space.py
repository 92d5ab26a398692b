"""The search space of a sweep: ``--param NAME=DIST`` with DIST one of ``loguniform(a,b)``,
``uniform(a,b)``, ``int(a,b)``, ``intlog(a,b)`` or ``choice(x,y,...)`` (a bare ``x,y,...`` is a choice).
A NAME that is a plan slot takes a choice of catalog components (``norm=choice(layernorm,rmsnorm)``).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from agent.errors import UserError
from agent.experiments.factors import (
    IDENT,
    RESERVED,
    catalog_slots,
    parse_value,
    resolve_component,
    slot_name,
    split_levels,
)

DISTRIBUTIONS = ("loguniform", "uniform", "int", "intlog", "choice")
_CALL = re.compile(r"^\s*([a-z_]+)\s*\((.*)\)\s*$", re.S)


@dataclass
class SearchParam:
    """One dimension of the search space."""

    name: str  # as the user wrote it (and as Optuna records it)
    target: str  # the plan slot or the hyperparameter's name
    kind: str  # one of DISTRIBUTIONS
    text: str  # the distribution as written
    component: bool = False  # a choice of catalog components for a plan slot
    low: float = 0.0
    high: float = 0.0
    labels: list[str] = field(default_factory=list)  # choice: as written
    choices: list[Any] = field(default_factory=list)  # choice: values or catalog component names

    def suggest(self, trial: Any) -> Any:
        """Draw this parameter for an Optuna trial; returns the value a run uses."""
        if self.kind == "loguniform":
            return trial.suggest_float(self.name, self.low, self.high, log=True)
        if self.kind == "uniform":
            return trial.suggest_float(self.name, self.low, self.high)
        if self.kind in ("int", "intlog"):
            return trial.suggest_int(self.name, int(self.low), int(self.high), log=self.kind == "intlog")
        label = trial.suggest_categorical(self.name, self.labels)
        return self.choices[self.labels.index(label)]


def _bounds(name: str, kind: str, args: list[str]) -> tuple[float, float]:
    if len(args) != 2:
        raise UserError(f"--param {name}: {kind}(low, high) takes two numbers")
    values = [parse_value(a) for a in args]
    if not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values):
        raise UserError(f"--param {name}: {kind}({', '.join(args)}) needs numbers")
    low, high = float(values[0]), float(values[1])
    if not low < high:
        raise UserError(f"--param {name}: {kind} needs low < high")
    if kind in ("loguniform", "intlog") and low <= 0:
        raise UserError(f"--param {name}: {kind} needs a positive lower bound")
    if kind in ("int", "intlog") and not (float(low).is_integer() and float(high).is_integer()):
        raise UserError(f"--param {name}: {kind} bounds must be integers")
    if not (math.isfinite(low) and math.isfinite(high)):
        raise UserError(f"--param {name}: bounds must be finite")
    return low, high


def parse_param(spec: str, plan_slots: Iterable[str] | None) -> SearchParam:
    """Parse ``NAME=DIST``; see the module docstring.

    Raises:
        UserError: malformed text, an unknown distribution, bad bounds or an unknown component.
    """
    name, sep, rest = spec.partition("=")
    name = name.strip()
    if not sep or not name or not rest.strip():
        raise UserError(f"--param {spec!r}: expected NAME=DIST, e.g. learning_rate=loguniform(1e-4,1e-2)")
    if not IDENT.match(name):
        raise UserError(f"--param {spec!r}: {name!r} is not a valid name")
    if name in RESERVED:
        raise UserError(f"--param {name}: not searchable ({RESERVED[name]})")
    match = _CALL.match(rest)
    kind, body = (match.group(1), match.group(2)) if match else ("choice", rest)
    if kind not in DISTRIBUTIONS:
        raise UserError(f"--param {name}: unknown distribution {kind!r}; use {', '.join(DISTRIBUTIONS)}")
    args = split_levels(body)
    slot = slot_name(name, plan_slots or ())
    if slot is None and plan_slots is None and slot_name(name, catalog_slots()) is not None:
        raise UserError(f"--param {name}: searching over components needs the plan.json that paper2code "
                        "generate writes; this folder has none")
    param = SearchParam(name=name, target=slot or name, kind=kind, text=rest.strip(), component=slot is not None)
    if kind != "choice":
        if param.component:
            raise UserError(f"--param {name}: a plan slot takes choice(component, ...), not {kind}")
        param.low, param.high = _bounds(name, kind, args)
        return param
    if len(args) < 2 or any(not a for a in args):
        raise UserError(f"--param {name}: choice needs at least two non-empty options")
    if len(set(args)) != len(args):
        raise UserError(f"--param {name}: an option is given twice")
    param.labels = args
    param.choices = [resolve_component(slot, a) for a in args] if slot else [parse_value(a) for a in args]
    return param
