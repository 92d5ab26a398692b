"""Plan edits made in chat: set a hyperparameter, swap the component of a slot.

Both take a :class:`Plan` and return a changed copy (the input is never mutated); names the user
types are resolved generously (``lr``, ``learning rate``, ``rmsnorm``, ``RMSNorm``, ``rope``) and
refused with one clear line when they mean nothing. A value set in chat is recorded in the plan
with the evidence ``set in chat``; the paper's value stays listed among the alternatives.
"""

from __future__ import annotations

import copy
import difflib
import re
from typing import Any

from agent.errors import UserError
from agent.types import Paper, Plan, PlannedComponent, PlannedHyperparameter

SET_IN_CHAT = "set in chat"

# Words people use for hyperparameters, beyond the canonical names and table headers.
NAME_ALIASES = {
    "lr": "learning_rate", "learning_rate": "learning_rate", "peak_lr": "learning_rate",
    "warmup": "warmup_steps", "warm_up": "warmup_steps", "warmup_step": "warmup_steps",
    "heads": "num_heads", "n_heads": "num_heads", "nheads": "num_heads", "h": "num_heads",
    "layers": "num_layers", "n_layers": "num_layers", "depth": "num_layers", "n": "num_layers",
    "width": "d_model", "hidden_size": "d_model", "model_dim": "d_model", "dmodel": "d_model",
    "d_ffn": "d_ff", "dff": "d_ff", "ffn_dim": "d_ff", "hidden_dim": "d_ff",
    "attn_dropout": "attention_dropout", "attention_weight_dropout": "attention_dropout",
    "p_drop": "dropout", "pdrop": "dropout", "residual_dropout": "dropout",
    "wd": "weight_decay", "eps": "adam_eps", "epsilon": "adam_eps", "beta1": "adam_beta1", "beta2": "adam_beta2",
    "smoothing": "label_smoothing", "ls": "label_smoothing", "vocab": "vocab_size", "steps": "max_steps",
    "context_length": "max_seq_len", "seq_len": "max_seq_len", "kv_heads": "num_kv_heads",
    "clip": "grad_clip", "gradient_clipping": "grad_clip", "max_grad_norm": "grad_clip",
}

# Words for components, beyond what the catalog names give (normalised: lower case, letters and digits).
COMPONENT_ALIASES = {
    "rope": "rotary_position", "rotary": "rotary_position", "alibi": "alibi_position",
    "sinusoidal": "sinusoidal_position", "sinusoid": "sinusoidal_position", "learned": "learned_position",
    "gqa": "grouped_query_attention", "mqa": "multi_query_attention", "mha": "multi_head_attention",
    "ln": "layer_norm", "rms": "rms_norm", "dynamictanh": "dyt", "relu": "feed_forward_relu",
    "gelu": "feed_forward_gelu", "moe": "mixture_of_experts", "lora": "lora_linear",
}


def normalise(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", text.lower())


def _canonical() -> dict[str, Any]:
    from agent.ingest.hparam_names import CANONICAL

    return CANONICAL


def _catalog_defaults(plan: Plan) -> dict[str, Any]:
    """Canonical hyperparameters the plan's components take, with their catalog defaults."""
    from agent.catalog import registry

    found: dict[str, Any] = {}
    for entry in plan.components:
        try:
            component = registry.get(entry.component)
        except UserError:
            continue
        for param in component.params.values():
            if param.canonical:
                found.setdefault(param.canonical, param.default)
    return found


def known_names(plan: Plan) -> list[str]:
    """Every hyperparameter name /set accepts for this plan."""
    return sorted(set(plan.hyperparameters) | set(_catalog_defaults(plan)) | set(_canonical()))


def resolve_name(text: str, plan: Plan) -> str:
    """The canonical hyperparameter a user means by ``text`` (``lr``, ``learning rate``, ``d_model``)."""
    known = known_names(plan)
    key = re.sub(r"[\s\-]+", "_", text.strip().lower())
    if key in known:
        return key
    if key in NAME_ALIASES:
        return NAME_ALIASES[key]
    flat = normalise(text)
    for name in known:
        if normalise(name) == flat:
            return name
    for name, info in _canonical().items():
        if any(len(normalise(h)) > 2 and normalise(h) == flat for h in info.headers):
            return name
    close = difflib.get_close_matches(key, known, n=3)
    hint = f"; did you mean {', '.join(close)}?" if close else "; /plan lists the hyperparameters"
    raise UserError(f"unknown hyperparameter {text.strip()!r}{hint}")


def parse_value(text: str) -> Any:
    """A value as typed: int, float (``3e-4``), bool, or a string (quotes removed)."""
    raw = text.strip()
    if not raw:
        raise UserError("a value is missing (NAME=VALUE)")
    low = raw.lower()
    if low in ("true", "false", "yes", "no", "on", "off"):
        return low in ("true", "yes", "on")
    cleaned = raw.replace("_", "").replace(",", "")
    if re.fullmatch(r"[-+]?\d+", cleaned):
        return int(cleaned)
    if re.fullmatch(r"[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?", cleaned):
        return float(cleaned)
    if len(raw) >= 2 and raw[0] == raw[-1] and raw[0] in "'\"":
        return raw[1:-1]
    return raw


def _typed(name: str, value: Any, reference: Any) -> Any:
    """``value`` converted to the type of the hyperparameter (its canonical kind, or its current value)."""
    info = _canonical().get(name)
    if info is not None:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise UserError(f"{name} takes a number ({info.description}), not {value!r}")
        if info.kind is int and float(value) != int(value):
            raise UserError(f"{name} takes a whole number ({info.description}), not {value!r}")
        if not info.accepts(value):
            raise UserError(f"{name}={value!r} is outside the plausible range {info.low:g}..{info.high:g} "
                            f"({info.description})")
        return info.coerce(value)
    if reference is None:
        return value
    if isinstance(reference, bool):
        if not isinstance(value, bool):
            raise UserError(f"{name} takes true or false, not {value!r}")
        return value
    if isinstance(reference, (int, float)):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise UserError(f"{name} takes a number, not {value!r}")
        if isinstance(reference, int) and float(value) != int(value):
            raise UserError(f"{name} takes a whole number, not {value!r}")
        return int(value) if isinstance(reference, int) else float(value)
    return str(value)


def parse_pairs(args: str, usage: str) -> list[tuple[str, str]]:
    """``a=1 b = 2`` -> [("a", "1"), ("b", "2")]."""
    text = re.sub(r"\s*=\s*", "=", args.strip())
    pairs = []
    for item in text.split():
        name, sep, value = item.partition("=")
        if not sep or not name or not value:
            raise UserError(f"expected {usage}, got {item!r}")
        pairs.append((name, value))
    if not pairs:
        raise UserError(f"expected {usage}")
    return pairs


def set_hyperparameters(plan: Plan, pairs: list[tuple[str, str]]) -> tuple[Plan, list[str]]:
    """A copy of ``plan`` with the hyperparameters set; also one line per change ("d_model: 512 -> 64").

    Raises:
        UserError: an unknown name, a value of the wrong kind or out of range, or nothing to change.
    """
    new = copy.deepcopy(plan)
    defaults = _catalog_defaults(plan)
    lines = []
    for text, raw in pairs:
        name = resolve_name(text, plan)
        old = new.hyperparameters.get(name)
        reference = old.value if old is not None else defaults.get(name)
        value = _typed(name, parse_value(raw), reference)
        if old is not None and old.value == value and type(old.value) is type(value):
            if len(pairs) == 1:
                raise UserError(f"{name} is already {value!r} ({old.source}: {old.evidence[:120]})")
            continue
        was = f"the paper's value: {old.value!r}" if old is not None and old.source == "paper" else (
            f"was {old.value!r}" if old is not None else "not set before")
        alternatives = list(old.alternatives) if old is not None else []
        if old is not None and old.source == "paper" and all(a.get("value") != old.value for a in alternatives):
            alternatives.insert(0, {"value": old.value, "evidence": old.evidence, "section": old.section})
        new.hyperparameters[name] = PlannedHyperparameter(
            value=value, source="assumed", evidence=f"{SET_IN_CHAT}: {name}={value!r} ({was})", section=None,
            symbol=old.symbol if old is not None else None, alternatives=alternatives)
        lines.append(f"{name}: {old.value if old is not None else '(unset)'!r} -> {value!r}")
    if not lines:
        raise UserError("nothing to change: every value is already set")
    check_constraints(new)
    return new, lines


def _value(plan: Plan, name: str) -> Any:
    hp = plan.hyperparameters.get(name)
    return hp.value if hp is not None and isinstance(hp.value, int) and not isinstance(hp.value, bool) else None


def check_constraints(plan: Plan) -> None:
    """Refuse sizes the model cannot be built with (the checks run a tiny preset, so they would not see it)."""
    d_model, heads, kv_heads = _value(plan, "d_model"), _value(plan, "num_heads"), _value(plan, "num_kv_heads")
    if d_model and heads and d_model % heads:
        raise UserError(f"d_model={d_model} does not divide into num_heads={heads} heads (d_k = d_model / h, "
                        "Vaswani et al. §3.2.2); set both, e.g. /set d_model=... num_heads=...")
    if heads and kv_heads and heads % kv_heads:
        raise UserError(f"num_heads={heads} is not a multiple of num_kv_heads={kv_heads} (grouped-query attention)")
    components = {c.component for c in plan.components}
    if d_model and d_model % 2 and components & {"sinusoidal_position", "rotary_position"}:
        raise UserError(f"d_model={d_model} must be even: sinusoidal and rotary positions pair its features")


def config_notes(config_yaml: str, plan: Plan, names: list[str]) -> list[str]:
    """Why config.yaml shows another value than the plan's for ``names`` (its comment), one line each."""
    notes = []
    for name in names:
        match = re.search(rf"(?m)^\s+{re.escape(name)}: (\S+)(?:\s+#\s*(.*))?$", config_yaml)
        planned = plan.hyperparameters.get(name)
        if match is None or planned is None:
            continue
        try:
            shown = parse_value(match.group(1))
        except UserError:
            continue
        if shown != planned.value:
            notes.append(f"config.yaml keeps {name}: {match.group(1)} ({match.group(2) or 'no reason given'})")
    return notes


# --------------------------------------------------------------------------------------------- swap


def plan_slots(plan: Plan) -> list[str]:
    """Slots of the plan, in order, without duplicates."""
    return list(dict.fromkeys(c.slot for c in plan.components))


def resolve_component(text: str, slot: str | None = None) -> str:
    """The catalog component a user means (``rmsnorm``, ``RMSNorm``, ``rope``), optionally within ``slot``."""
    from agent.catalog import registry

    components = registry.all_components()
    names = {c.name for c in components}
    key = text.strip()
    if key in names:
        return key
    flat = normalise(key)
    if flat in COMPONENT_ALIASES:
        return COMPONENT_ALIASES[flat]
    exact = [c.name for c in components if flat in (normalise(c.name), normalise(c.symbol))]
    if len(exact) == 1:
        return exact[0]
    pool = [c for c in components if slot is None or c.slot == slot]
    partial = [c.name for c in pool if flat and flat in normalise(c.name)]
    if len(partial) == 1:
        return partial[0]
    if len(partial) > 1:
        raise UserError(f"{text.strip()!r} could mean {', '.join(sorted(partial))}; name one")
    choices = sorted(c.name for c in pool)
    close = difflib.get_close_matches(key.lower(), choices, n=3)
    hint = f"did you mean {', '.join(close)}?" if close else f"choices: {', '.join(choices)}"
    raise UserError(f"no catalog component {text.strip()!r}{' for slot ' + repr(slot) if slot else ''}; {hint}")


def _relink_equations(plan: Plan, paper: Paper, components: list[Any]) -> None:
    """Point the plan's equations at the components that now implement them (compiled code is kept)."""
    from agent.plan.equations import link

    by_number = {e.number: e for e in paper.equations if e.number}
    for planned in plan.equations:
        equation = by_number.get(planned.number)
        if equation is None:
            continue
        component, _ = link(equation, components)
        planned.role = component.slot if component else "uncovered"
        planned.implemented_by = component.name if component else None


def _refresh_hyperparameters(plan: Plan, paper: Paper, components: list[Any]) -> None:
    """Hyperparameters the new components take are added; catalog defaults follow the new components;
    the paper's values and values set in chat are kept."""
    from agent.plan import hyperparams

    fresh, _ = hyperparams.choose(paper, components)
    for name, planned in fresh.items():
        old = plan.hyperparameters.get(name)
        if old is None or (old.source == "assumed" and not old.evidence.startswith(SET_IN_CHAT)):
            plan.hyperparameters[name] = planned


def swap_components(plan: Plan, paper: Paper, pairs: list[tuple[str, str]]) -> tuple[Plan, list[str]]:
    """A copy of ``plan`` with components swapped, re-wired like the offline planner wires them."""
    from agent.catalog import registry
    from agent.plan.offline import wire

    new = copy.deepcopy(plan)
    model = new.component_for("model")
    if model is None:
        raise UserError("plan.json has no 'model' component; /swap needs a plan made by the offline planner")
    chosen: dict[str, PlannedComponent] = {}
    for entry in new.components:
        if entry.slot != "model" and entry.slot not in chosen:
            chosen[entry.slot] = entry
    lines = []
    for slot_text, component_text in pairs:
        slot = slot_text.strip().lower()
        if slot == "model":
            raise UserError("the model itself cannot be swapped in chat; generate again to change the family")
        if slot not in chosen:
            slots = ", ".join(s for s in plan_slots(plan) if s != "model")
            raise UserError(f"the plan has no slot {slot!r}; slots: {slots}")
        name = resolve_component(component_text, slot)
        component = registry.get(name)
        if component.slot != slot:
            raise UserError(f"{name} fills the slot {component.slot!r}, not {slot!r}")
        before = chosen[slot].component
        if before == name:
            raise UserError(f"{slot} is already {name}")
        chosen[slot] = PlannedComponent(slot=slot, component=name, evidence=f"{SET_IN_CHAT}: /swap {slot}={name} "
                                        f"(was {before})")
        lines.append(f"{slot}: {before} -> {name}")
    components = wire(model.component, chosen)
    components[0].evidence, components[0].section, components[0].assumed = model.evidence, model.section, model.assumed
    new.components = components
    catalog = [registry.get(c.component) for c in components]
    _relink_equations(new, paper, catalog)
    _refresh_hyperparameters(new, paper, catalog)
    check_constraints(new)
    return new, lines
