"""Choose one value per hyperparameter: the paper's when it gives one, else a stated assumption.

When the paper gives several values (base and big models, table rows, fine-tuning settings), the
base model's pre-training value wins and the others are kept as alternatives in plan.json.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from agent.types import Component, Hyperparameter, Paper, PlannedHyperparameter

# Training hyperparameters every plan carries, with the default used when the paper is silent.
TRAINING_DEFAULTS: dict[str, tuple[Any, str]] = {
    "optimizer": ("adamw", "AdamW (Loshchilov & Hutter, 2019) is the common default"),
    "learning_rate": (3e-4, "a common Adam learning rate for Transformers of this size"),
    "batch_size": (32, "sized for a single machine"),
    "adam_beta1": (0.9, "PyTorch's Adam default"),
    "adam_beta2": (0.999, "PyTorch's Adam default"),
    "adam_eps": (1e-8, "PyTorch's Adam default"),
    "weight_decay": (0.0, "no weight decay stated"),
    "grad_clip": (0.0, "no gradient clipping stated"),
    "max_steps": (100_000, "no training length stated"),
    "dropout": (0.1, "the Transformer's dropout rate (Vaswani et al., 2017)"),
    "label_smoothing": (0.0, "no label smoothing stated"),
}

# Names the paper may use for a hyperparameter the components take under another name.
ALIASES = {"d_k": "head_dim"}

_SETTING_RANK = (
    (re.compile(r"fine[- ]?tun|transfer|downstream", re.I), 3),
    (re.compile(r"\bbase\b|-b\b|-b/|\bb/|^b$|small|tiny", re.I), 0),
)


def _setting_rank(setting: str | None) -> int:
    if not setting:
        return 1
    for pattern, rank in _SETTING_RANK:
        if pattern.search(setting):
            return rank
    return 2


def _evidence_text(hp: Hyperparameter) -> str:
    return " ".join(hp.evidence.text.split())


def _where(hp: Hyperparameter) -> str | None:
    return hp.evidence.table or hp.evidence.section


def _exact_for_rounded(chosen: Hyperparameter, others: list[Hyperparameter]) -> Hyperparameter | None:
    """Prose rounds binary sizes ("a context of 32k tokens" is 32,000 as read); a candidate stating the
    exact size (32768, in the architecture table) in the same setting is the paper's value."""
    value = chosen.value
    if not isinstance(value, int) or isinstance(value, bool) or value < 1000 or value % 1000:
        return None
    binary = value // 1000 * 1024
    rank = _setting_rank(chosen.setting)
    return next((hp for hp in others if hp.value == binary and _setting_rank(hp.setting) == rank), None)


_SETTINGS_SECTION = re.compile(
    r"hyper-?parameter|implementation details|experimental (?:setup|settings?|details)|"
    r"training (?:details|setup|settings?)|model (?:architecture|configuration|settings?|details)|"
    r"architectural details|^(?:setup|settings?)$", re.I)
_BOUND = re.compile(r"\b(?:up to|at most|maximum of|at least|no more than)\s*\S{0,2}$", re.I)


def _mention_rank(hp: Hyperparameter) -> int:
    """0 for a value stated where a paper states its settings (a hyper-parameter, setup or architecture
    section, with its tables), 1 for a mention elsewhere, 2 for a bound ("a maximum of 13 experts")."""
    text = hp.evidence.text
    at = text.find(str(hp.symbol)) if hp.symbol else -1
    value = f"{hp.value}"
    head = text[: text.find(value)] if value in text else (text[:at] if at >= 0 else "")
    if _BOUND.search(head.rstrip()):
        return 2
    if _SETTINGS_SECTION.search(hp.evidence.section or ""):
        return 0
    return 1


def from_paper(candidates: list[Hyperparameter]) -> PlannedHyperparameter:
    """The preferred value among the paper's candidates for one name, the rest as alternatives: the
    base setting's first, then values stated where the paper lists its settings, then first mention."""
    ranked = sorted(enumerate(candidates),
                    key=lambda item: (_setting_rank(item[1].setting), _mention_rank(item[1]), item[0]))
    chosen = ranked[0][1]
    exact = _exact_for_rounded(chosen, [hp for _, hp in ranked[1:]])
    if exact is not None:
        chosen = exact
    alternatives = []
    seen = {(chosen.value, chosen.setting)}
    for _, hp in ranked:
        if hp is chosen or (hp.value, hp.setting) in seen:
            continue
        seen.add((hp.value, hp.setting))
        alternatives.append({"value": hp.value, "setting": hp.setting, "evidence": _evidence_text(hp),
                             "section": _where(hp)})
    return PlannedHyperparameter(
        value=chosen.value,
        source="paper",
        evidence=_evidence_text(chosen),
        section=_where(chosen),
        symbol=chosen.symbol,
        alternatives=alternatives,
    )


def needed_names(components: Iterable[Component]) -> dict[str, tuple[Any, str]]:
    """Canonical hyperparameters the plan needs, with the value assumed when the paper is silent.

    Training settings take the plain default (no smoothing, no clipping) over a component's own
    default, so nothing the paper does not state is switched on silently.
    """
    needed: dict[str, tuple[Any, str]] = {
        name: (value, f"not stated in the paper; {reason}") for name, (value, reason) in TRAINING_DEFAULTS.items()
    }
    for component in components:
        for param in component.params.values():
            if param.canonical and param.canonical not in needed:
                needed[param.canonical] = (param.default, f"not stated in the paper; default of {component.name}")
    return needed


def detect_optimizer(text: str) -> tuple[str, str] | None:
    """The optimizer the paper names, with the sentence saying so."""
    for name, pattern in (
        ("adamw", r"\badamw\b|decoupled weight decay"),
        ("adam", r"\badam\b"),
        ("sgd", r"\bsgd\b|stochastic gradient descent with momentum"),
        ("adafactor", r"\badafactor\b"),
    ):
        match = re.search(pattern, text, re.I)
        if match:
            start = text.rfind(". ", 0, match.start()) + 2
            end = text.find(". ", match.end())
            return name, text[max(start, 0): end + 1 if end != -1 else len(text)].strip()
    return None


def choose(paper: Paper, components: Iterable[Component]) -> tuple[dict[str, PlannedHyperparameter], list[str]]:
    """All hyperparameters of the plan, and the ambiguities met while choosing them."""
    by_name: dict[str, list[Hyperparameter]] = {}
    for hp in paper.hyperparameters:
        by_name.setdefault(hp.name, []).append(hp)
    for alias, name in ALIASES.items():  # d_k is the per-head size the components call head_dim
        if name not in by_name and alias in by_name:
            by_name[name] = by_name[alias]
    needed = needed_names(components)
    chosen: dict[str, PlannedHyperparameter] = {}
    ambiguities: list[str] = []
    for name in sorted(set(needed) | set(by_name)):
        if name in by_name and isinstance(by_name[name][0].value, (int, float)):
            planned = from_paper(by_name[name])
            chosen[name] = planned
            values = {a["value"] for a in planned.alternatives} - {planned.value}
            if values:
                ambiguities.append(
                    f"{name}: the paper gives several values ({', '.join(map(str, sorted(values, key=str)))}); "
                    f"using {planned.value}" + (f" ({_setting_of(by_name[name], planned)})" if planned else "")
                )
        elif name in needed:
            value, reason = needed[name]
            chosen[name] = PlannedHyperparameter(value=value, source="assumed", evidence=reason)
    optimizer = detect_optimizer(" ".join(s.text for s in paper.sections))
    if optimizer:
        chosen["optimizer"] = PlannedHyperparameter(value=optimizer[0], source="paper", evidence=optimizer[1])
    return chosen, ambiguities


def _setting_of(candidates: list[Hyperparameter], planned: PlannedHyperparameter) -> str:
    setting = next((h.setting for h in candidates if h.value == planned.value and h.setting), None)
    return f"setting {setting}" if setting else "stated in the text"
