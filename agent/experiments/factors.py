"""Factors of an ablation (``--factor norm=layernorm,rmsnorm``) and the cells of its design.

A factor whose name is a slot of the plan (``norm``, ``position``/``pos``, ``attention``, ``ffn``, ...)
swaps catalog components; its levels may be catalog names or the short names people use
(``rmsnorm``, ``layernorm``, ``rope``, ``sinusoidal``, ``gelu``, ``pre``). Any other name is a
hyperparameter whose levels are values. The first level of every factor is the baseline's.
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Iterable
from typing import Any

from agent.errors import UserError
from agent.types import ExperimentCell, ExperimentFactor

SLOT_ALIASES = {
    "pos": "position", "positional": "position", "positions": "position", "pos_emb": "position",
    "attn": "attention", "mlp": "ffn", "ff": "ffn", "feedforward": "ffn", "feed_forward": "ffn",
    "normalization": "norm", "schedule": "lr_schedule", "sched": "lr_schedule", "lr_sched": "lr_schedule",
}
COMPONENT_ALIASES = {
    "rope": "rotary_position", "sincos": "sinusoidal_position", "absolute": "learned_position",
    "ln": "layer_norm", "rms": "rms_norm", "bn": "batch_norm",
    "mha": "multi_head_attention", "gqa": "grouped_query_attention", "mqa": "multi_query_attention",
    "swa": "sliding_window_attention", "moe": "mixture_of_experts", "noam": "inverse_sqrt_warmup",
    "ls": "label_smoothed_cross_entropy", "ce": "label_smoothed_cross_entropy",
}
RESERVED = {"seed": "use --seeds", "seeds": "use --seeds", "max_steps": "use --max-steps"}
IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_.]*$")


def _norm(text: str) -> str:
    return re.sub(r"[\s_\-]+", "", text.lower())


def parse_value(text: str) -> Any:
    """A command-line value: int, float, bool, none or string (quotes stripped)."""
    raw = text.strip()
    if len(raw) >= 2 and raw[0] == raw[-1] and raw[0] in "'\"":
        return raw[1:-1]
    low = raw.lower()
    if low in ("true", "false"):
        return low == "true"
    if low in ("none", "null"):
        return None
    try:
        return int(raw)
    except ValueError:
        pass
    try:
        value = float(raw)
    except ValueError:
        return raw
    if not math.isfinite(value):
        raise UserError(f"value {raw!r} is not a finite number")
    return value


def catalog_slots() -> set[str]:
    """Every slot some catalog component fills."""
    from agent.catalog import all_components

    return {c.slot for c in all_components()}


def slot_name(name: str, plan_slots: Iterable[str]) -> str | None:
    """The plan slot a factor name means (aliases allowed), or None when it is not a slot."""
    slots = set(plan_slots)
    key = name.strip().lower()
    for candidate in (key, SLOT_ALIASES.get(key), SLOT_ALIASES.get(key.replace("-", "_"))):
        if candidate and candidate in slots:
            return candidate
    return None


def resolve_component(slot: str, value: str) -> str:
    """The catalog component of ``slot`` that ``value`` names (catalog name, alias or short name)."""
    from agent.catalog import by_slot

    candidates = [c.name for c in by_slot(slot)]
    if not candidates:
        raise UserError(f"no catalog component fills the slot {slot!r}")
    raw = value.strip()
    if raw in candidates:
        return raw
    alias = COMPONENT_ALIASES.get(raw.lower())
    if alias in candidates:
        return alias
    key = _norm(raw)
    tests = (
        lambda name: _norm(name) == key,
        lambda name: _norm(name.removesuffix(f"_{slot}")) == key,
        lambda name: key in name.split("_"),
        lambda name: bool(key) and _norm(name).startswith(key),
    )
    for test in tests:
        hits = [name for name in candidates if test(name)]
        if len(hits) == 1:
            return hits[0]
        if len(hits) > 1:
            raise UserError(f"{raw!r} is ambiguous for the slot {slot!r}: {', '.join(hits)}")
    raise UserError(f"no catalog component {raw!r} fills the slot {slot!r}; choose from {', '.join(candidates)}")


def split_levels(text: str) -> list[str]:
    """Levels separated by commas, commas inside parentheses or quotes kept."""
    levels, depth, quote, current = [], 0, "", ""
    for ch in text:
        if quote:
            quote = "" if ch == quote else quote
        elif ch in "'\"":
            quote = ch
        elif ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
        elif ch == "," and depth == 0:
            levels.append(current.strip())
            current = ""
            continue
        current += ch
    levels.append(current.strip())
    return levels


def parse_factor(spec: str, plan_slots: Iterable[str] | None) -> ExperimentFactor:
    """Parse ``NAME=LEVEL,LEVEL,...``.

    Args:
        spec: the option's text.
        plan_slots: the slots of the implementation's plan.json, or None when it has none (then only
            hyperparameter factors are possible).

    Raises:
        UserError: malformed text, fewer than two levels, a repeated level or an unknown component.
    """
    name, sep, rest = spec.partition("=")
    name = name.strip()
    if not sep or not name or not rest.strip():
        raise UserError(f"--factor {spec!r}: expected NAME=LEVEL,LEVEL (e.g. norm=layernorm,rmsnorm)")
    if not IDENT.match(name):
        raise UserError(f"--factor {spec!r}: {name!r} is not a valid factor name")
    if name in RESERVED:
        raise UserError(f"--factor {name}: not a factor ({RESERVED[name]})")
    labels = split_levels(rest)
    if any(not label for label in labels):
        raise UserError(f"--factor {spec!r}: an empty level")
    if len(labels) < 2:
        raise UserError(f"--factor {spec!r}: a factor needs at least two levels to compare")
    slot = slot_name(name, plan_slots or ())
    if slot is None and plan_slots is None and slot_name(name, catalog_slots()) is not None:
        raise UserError(f"--factor {name}: swapping components needs the plan.json that paper2code generate "
                        "writes; this folder has none (hyperparameter factors work on any manifest)")
    if slot is not None:
        levels: list[Any] = [resolve_component(slot, label) for label in labels]
        kind = "component"
    else:
        levels = [parse_value(label) for label in labels]
        kind = "hyperparameter"
    seen: set[str] = set()
    for level in levels:
        key = repr(level)
        if key in seen:
            raise UserError(f"--factor {spec!r}: the level {level!r} is given twice")
        seen.add(key)
    return ExperimentFactor(name=name, kind=kind, target=slot or name, levels=levels, labels=labels)  # type: ignore[arg-type]


def parse_sets(specs: Iterable[str]) -> dict[str, Any]:
    """``--set NAME=VALUE`` options as {name: value}."""
    out: dict[str, Any] = {}
    for spec in specs:
        name, sep, value = spec.partition("=")
        name = name.strip()
        if not sep or not IDENT.match(name) or not value.strip():
            raise UserError(f"--set {spec!r}: expected NAME=VALUE (e.g. learning_rate=1e-3)")
        if name in RESERVED:
            raise UserError(f"--set {name}: {RESERVED[name]}")
        out[name] = parse_value(value)
    return out


def check_factors(factors: list[ExperimentFactor]) -> None:
    """Refuse two factors that set the same slot or hyperparameter."""
    seen: dict[str, str] = {}
    for factor in factors:
        key = f"{factor.kind}:{factor.target}"
        if key in seen:
            raise UserError(f"--factor {factor.name} and --factor {seen[key]} both set {factor.target!r}")
        seen[key] = factor.name


def design_cells(factors: list[ExperimentFactor], *, ofat: bool = False, plan_level: set[str] | None = None,
                 fixed: dict[str, Any] | None = None) -> list[ExperimentCell]:
    """The cells of the design, baseline (first level of every factor) first.

    Args:
        factors: the parsed factors.
        ofat: one factor at a time (baseline plus each other level of one factor) instead of the full grid.
        plan_level: hyperparameters set in plan.json and redrafted instead of passed to the LightningModule.
        fixed: hyperparameters held at one value in every cell (``--set``).
    """
    if not factors:
        raise UserError("give at least one --factor NAME=LEVEL,LEVEL")
    check_factors(factors)
    fixed = fixed or {}
    clash = [f.name for f in factors if f.kind == "hyperparameter" and f.target in fixed]
    if clash:
        raise UserError(f"{clash[0]!r} is both a --factor and a --set")
    plan_level = plan_level or set()
    if ofat:
        choices = [tuple(0 for _ in factors)]
        for i, factor in enumerate(factors):
            for j in range(1, len(factor.levels)):
                choices.append(tuple(j if k == i else 0 for k in range(len(factors))))
    else:
        choices = list(itertools.product(*(range(len(f.levels)) for f in factors)))
    cells = []
    for choice in choices:
        cell = ExperimentCell(id=" ".join(f"{f.name}={f.labels[j]}" for f, j in zip(factors, choice)),
                              levels={f.name: f.labels[j] for f, j in zip(factors, choice)},
                              baseline=not any(choice))
        for name, value in fixed.items():
            (cell.plan_hyperparameters if name in plan_level else cell.overrides)[name] = value
        for factor, j in zip(factors, choice):
            if factor.kind == "component":
                cell.swaps[factor.target] = factor.levels[j]
            elif factor.target in plan_level:
                cell.plan_hyperparameters[factor.target] = factor.levels[j]
            else:
                cell.overrides[factor.target] = factor.levels[j]
        cells.append(cell)
    return cells


def cell_slug(cell_id: str) -> str:
    """A folder name for a cell: its id with unsafe characters replaced."""
    slug = re.sub(r"[^A-Za-z0-9._=-]+", "_", cell_id.replace(" ", "__")).strip("_")
    return slug[:120] or "cell"
