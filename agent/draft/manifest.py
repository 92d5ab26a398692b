"""The ``paper2code.toml`` of a generated project: one ``[[module]]`` per rendered component, sized
by the tiny configuration, and a ``[training]`` smoke run.

Leaf components (attention, norms, feed-forward layers, positions, adapters) keep the catalog's own
shape contracts, including the trusted reference they are proven equal to. Composite components
(blocks, the model) are checked at the project's tiny sizes; they keep a reference only when their
slots hold the fillers that reference was written for.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from agent.catalog import get
from agent.catalog.contracts import shape_fields
from agent.draft.settings import Settings
from agent.draft.values import float_text
from agent.draft.wiring import Wiring
from agent.types import Component, ShapeContract

GENERATOR = "paper2code generate (offline)"
# Slot fillers each composite's reference function was written for (see the .ref.py files).
_REFERENCE_FILLERS = {
    "attention": {"multi_head_attention"},
    "self_attention": {"multi_head_attention"},
    "cross_attention": {"multi_head_attention"},
    "norm": {"layer_norm"},
    "ffn": {"feed_forward_relu", "feed_forward_gelu"},
}
_MAX_SEQ = 12


@dataclass
class ModuleEntry:
    """One ``[[module]]`` table."""

    name: str
    component: str
    table: dict[str, Any]


def _reference_target(package: str, component: Component, function: str) -> str:
    from agent.draft.sources import reference_function_name

    return f"{package}.references:{reference_function_name(component, function)}"


def _defaults_kept(component: Component, params: dict[str, Any], rendered: dict[str, dict[str, Any]]) -> bool:
    """Whether every slot of ``component`` holds a filler its reference function supports."""
    for param, spec in component.params.items():
        if spec.slot is None:
            continue
        value = params.get(param, spec.default)
        allowed = _REFERENCE_FILLERS.get(param)
        if allowed is None:
            if value != spec.default:
                return False
        elif value not in allowed:
            return False
        if value and rendered.get(value, {}).get("position"):
            return False  # a position inside the filler: the reference ignores it
    return True


def _pick_contract(component: Component, family: str) -> ShapeContract | None:
    usable = [c for c in component.contracts if c.host is None and c.inputs]
    if not usable:
        return None
    if family in ("decoder_lm",):
        causal = next((c for c in usable if "causal" in c.properties and c.init.get("causal")), None)
        if causal is not None:
            return causal
    return next((c for c in usable if not c.init.get("causal")), usable[0])


def _table(package: str, target: str, contract: ShapeContract, init: dict[str, Any],
           reference: str | None) -> dict[str, Any]:
    table: dict[str, Any] = {"target": f"{package}.{target}", "init": init, "inputs": dict(contract.inputs)}
    table.update(shape_fields(contract))
    if reference:
        table["reference"] = reference
    if contract.modules:
        table["modules"] = {arg: {"target": f"{package}.model:{get(spec['component']).symbol}",
                                  "init": dict(spec.get("init", {}))}
                            for arg, spec in contract.modules.items()}
    return table


def _leaf(package: str, name: str, wiring: Wiring, rendered: dict[str, dict[str, Any]]) -> ModuleEntry | None:
    component = get(name)
    params = rendered.get(name, {})
    contract = _pick_contract(component, wiring.family.name)
    if contract is None:
        return None
    reference = None
    if contract.reference and component.reference_file and _defaults_kept(component, params, rendered):
        reference = _reference_target(package, component, contract.reference)
    where = "module" if component.slot in ("loss", "lr_schedule") else "model"
    table = _table(package, f"{where}:{params.get('class_name', component.symbol)}", contract,
                   dict(contract.init), reference)
    return ModuleEntry(name, name, table)


def _composite_init(component: Component, settings: Settings) -> dict[str, Any]:
    init: dict[str, Any] = {}
    for param, spec in component.params.items():
        if spec.slot is None and param in settings.tiny:
            init[param] = settings.tiny[param]
        elif spec.slot is None and spec.canonical in settings.tiny:
            init[param] = settings.tiny[spec.canonical]
    if "dropout" in init:
        init["dropout"] = 0.0
    return init


def _composite(package: str, name: str, wiring: Wiring, settings: Settings,
               rendered: dict[str, dict[str, Any]]) -> ModuleEntry:
    component = get(name)
    params = rendered.get(name, {})
    contract = next(c for c in component.contracts if c.host is None and c.inputs)
    init = _composite_init(component, settings)
    tiny = settings.tiny
    table = _table(package, f"model:{component.symbol}", contract, init, None)
    dims = dict(table.get("dims", {}))
    if "d" in dims:
        dims["d"] = tiny["d_model"]
    if "v" in dims:
        dims["v"] = tiny["vocab_size"]
    if "k" in dims and "num_classes" in tiny:
        dims["k"] = tiny["num_classes"]
    for axis, key in (("c", "in_channels"), ("h", "image_size"), ("w", "image_size")):
        if axis in dims and key in tiny:
            dims[axis] = tiny[key]
    table["dims"] = dims
    if "integer_inputs" in table:
        table["integer_inputs"] = {k: tiny.get("vocab_size", v) for k, v in table["integer_inputs"].items()}
    properties = list(table.get("properties", []))
    if wiring.family.name == "decoder_lm" and component.family == "block":
        init["causal"] = True
        properties = sorted(set(properties) | {"batch_independent", "causal"})
    if name == "encoder_decoder_seq2seq":
        properties = ["batch_independent", "causal"]
        table["seq_dim"] = "m"
    if properties:
        table["properties"] = properties
    seq_axes = [a for a in ("n", "m") if any(a in p.split() for p in contract.inputs.values())]
    if seq_axes:
        table["max_dims"] = {a: min(_MAX_SEQ, int(tiny.get("max_seq_len", _MAX_SEQ))) for a in seq_axes}
    if contract.reference and component.reference_file and _defaults_kept(component, params, rendered):
        table["reference"] = _reference_target(package, component, contract.reference)
    return ModuleEntry(name, name, table)


def module_entries(package: str, wiring: Wiring, settings: Settings,
                   params: dict[str, dict[str, Any]]) -> list[ModuleEntry]:
    """The ``[[module]]`` tables: every rendered class component, then the training functions."""
    entries: list[ModuleEntry] = []
    for name in wiring.order:
        component = get(name)
        composite = component.family in ("block", "model")
        if composite:
            entries.append(_composite(package, name, wiring, settings, params))
        elif component.kind == "class" or component.slot == "noise_schedule":
            entry = _leaf(package, name, wiring, params)
            if entry is not None:
                entries.append(entry)
    for name in wiring.training_names:
        if get(name).slot == "loss":
            entry = _leaf(package, name, wiring, {})
            if entry is not None:
                entries.append(entry)
    return entries


def training_table(package: str, settings: Settings) -> dict[str, Any]:
    """The ``[training]`` table: the LightningModule at the tiny preset on the synthetic data."""
    init = {**settings.tiny, **settings.tiny_training}
    data = dict(settings.tiny_data)
    for name in settings.linked:
        data[name] = settings.tiny[name]
    return {
        "module": f"{package}.module:LitModel",
        "datamodule": f"{package}.data:SyntheticData",
        "init": init,
        "datamodule_init": data,
        "max_steps": settings.smoke_steps,
        "loss_drop": settings.loss_drop,
    }


# --------------------------------------------------------------------------------- TOML writing


def toml_value(value: Any) -> str:
    """A TOML literal (inline tables and arrays for nested values)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        text = float_text(value)
        return text if any(ch in text for ch in ".en") else text + ".0"
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        if not value:
            return "{}"
        return "{ " + ", ".join(f"{_key(k)} = {toml_value(v)}" for k, v in value.items()) + " }"
    raise TypeError(f"cannot write {type(value).__name__} to TOML")


def _key(key: str) -> str:
    return key if key.replace("_", "").replace("-", "").isalnum() else toml_value(key)


def render_manifest(project: str, paper: str, entries: list[ModuleEntry], training: dict[str, Any]) -> str:
    """The text of ``paper2code.toml``."""
    lines = [
        "# What `paper2code validate` checks in this implementation (see README.md).",
        "# Sizes are tiny on purpose: every check runs in seconds on a CPU.",
        "",
        "[project]",
        f"name = {toml_value(project)}",
        "",
        "[tool.paper2code]",
        f"generator = {toml_value(GENERATOR)}",
        f"paper = {toml_value(paper)}",
    ]
    for entry in entries:
        lines += ["", "[[module]]", f"name = {toml_value(entry.name)}"]
        lines += [f"{key} = {toml_value(value)}" for key, value in entry.table.items()]
    lines += ["", "[training]"]
    lines += [f"{key} = {toml_value(value)}" for key, value in training.items()]
    return "\n".join(lines) + "\n"
