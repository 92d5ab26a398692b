"""The settings of a generated project: the model Config (paper and tiny presets), the optimiser and
schedule, the synthetic data, the trainer, and the values fixed inside the rendered components.

Every setting is a :class:`agent.draft.values.Value` carrying its evidence, so that model.py,
config.yaml and NOTES.md can each say where it came from.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from typing import Any

from agent.catalog import get, render
from agent.draft.families import FamilySpec
from agent.draft.values import Value, ValueResolver, coerce, kind_of
from agent.draft.wiring import Wiring
from agent.types import Plan

# Config fields that are not a catalog parameter of the model component, per extra component.
_EXTRA_FIELDS = {
    "lora_linear": [("lora_rank", "lora_rank"), ("lora_alpha", "lora_alpha")],
    "classifier_free_guidance": [("guidance_scale", "guidance_scale"), ("p_uncond", "p_uncond")],
}
# Data arguments that must equal a model setting: LightningCLI links them (model -> data).
LINKED = ("vocab_size", "num_classes", "image_size", "in_channels", "max_seq_len")
TRAINER_DEFAULT_STEPS = 10000


@dataclass
class Settings:
    """Everything config.yaml, Config and the manifest hold."""

    model: list[Value]  # Config fields (the paper preset), in order
    tiny: dict[str, Any]  # the tiny preset (every Config field)
    nested: list[tuple[str, Value]]  # (component, value) fixed inside a component's definition
    training: list[Value]  # LitModel arguments beyond the Config fields
    tiny_training: dict[str, Any]
    data: list[Value]  # datamodule arguments (linked ones excluded)
    linked: list[str]  # datamodule arguments taken from the model section
    tiny_data: dict[str, Any]
    trainer: list[Value]
    smoke_steps: int
    loss_drop: float
    notes: list[str] = field(default_factory=list)

    def model_value(self, name: str) -> Value | None:
        return next((v for v in self.model if v.name == name), None)

    def training_value(self, name: str) -> Value | None:
        return next((v for v in self.training if v.name == name), None)


def init_args(name: str, params: dict[str, Any]) -> list[str]:
    """The constructor arguments of component ``name``'s main class as rendered with ``params``."""
    component = get(name)
    source = render(name, **params)
    symbol = params.get("class_name", component.symbol)
    for node in ast.parse(source).body:
        if isinstance(node, ast.ClassDef) and node.name == symbol:
            init = next((n for n in node.body if isinstance(n, ast.FunctionDef) and n.name == "__init__"), None)
            if init is not None:
                return [a.arg for a in init.args.args[1:] + init.args.kwonlyargs]
    return []


def _catalog_reason(component: str) -> str:
    return f"not stated in the paper: default of the catalog component {component} ({get(component).paper})"


def _model_fields(plan: Plan, wiring: Wiring, resolver: ValueResolver) -> list[Value]:
    fields: list[Value] = []
    seen: set[str] = set()

    def add(component: str, param: str, canonical: str | None) -> None:
        name = canonical or param
        if name in seen:
            return
        seen.add(name)
        spec = get(component).params[param]
        kind = kind_of(spec.default)
        value = resolver.from_plan(canonical, kind) if canonical else None
        if value is None:
            value = Value(name, coerce(spec.default, kind), kind, "assumed", _catalog_reason(component))
        fields.append(value)

    components = [wiring.model]
    if wiring.family.name == "diffusion":
        components = ["unet_denoiser", wiring.model]
    for name in components:
        args = init_args(name, wiring.params.get(name, {}))
        for param, spec in get(name).params.items():
            if spec.slot is None and param not in get(name).fixed and param in args:
                add(name, param, spec.canonical)
    if wiring.family.name == "diffusion":
        size = resolver.resolve("image_size", "int", 32, "not stated in the paper: 32x32 images, as CIFAR-10")
        fields.insert(0, size)
        if wiring.rendered("classifier_free_guidance"):
            fields.append(resolver.resolve("num_classes", "int", 10, "not stated in the paper: 10 classes"))
    for component, extra in _EXTRA_FIELDS.items():
        if wiring.rendered(component):
            for param, canonical in extra:
                add(component, param, canonical)
    if wiring.rendered("lora_linear"):
        fields.append(Value("lora_freeze_base", True, "bool", "assumed",
                            "the LoRA method (catalog lora_linear, Hu et al., 2022, §4.1) trains only A and B; "
                            "the pretrained weights stay frozen"))
    _derive(fields, resolver)
    return fields


def _derive(fields: list[Value], resolver: ValueResolver) -> None:
    """Fill model settings the paper gives only indirectly (heads from the head size, d_ff)."""
    by_name = {v.name: v for v in fields}
    d_model, heads = by_name.get("d_model"), by_name.get("num_heads")
    if heads is not None and heads.source == "assumed" and d_model is not None and d_model.source == "paper":
        for name in ("head_dim", "d_k"):
            size = resolver.from_plan(name, "int")
            if size is not None and size.value > 0 and d_model.value % size.value == 0:
                heads.value = d_model.value // size.value
                heads.source = "derived"
                heads.evidence = f"d_model / {name} = {d_model.value} / {size.value} ({size.evidence})"
                break
    d_ff = by_name.get("d_ff")
    if d_ff is not None and d_ff.source == "assumed" and d_model is not None and d_model.source == "paper":
        d_ff.value = 4 * d_model.value
        d_ff.source = "assumed"
        d_ff.evidence = f"not stated in the paper: 4 x d_model = {4 * d_model.value}, the usual ratio"


def _nested(wiring: Wiring, model: list[Value], resolver: ValueResolver) -> list[tuple[str, Value]]:
    """Canonical parameters of rendered components that the model does not pass down (fixed at render)."""
    top = {v.name for v in model}
    nested: list[tuple[str, Value]] = []
    for name in wiring.order:
        component = get(name)
        for param, spec in component.params.items():
            if spec.slot is not None or spec.canonical is None or spec.canonical in top or param in component.fixed:
                continue
            if spec.canonical in {"d_model", "num_heads", "d_ff", "dropout", "max_seq_len", "num_channels", "head_dim"}:
                continue  # passed down by the enclosing module at construction
            kind = kind_of(spec.default)
            value = resolver.from_plan(spec.canonical, kind)
            if value is None:
                value = Value(spec.canonical, coerce(spec.default, kind), kind, "assumed", _catalog_reason(name))
            nested.append((name, value))
    return nested


def _tiny(spec: FamilySpec, model: list[Value], nested: list[tuple[str, Value]], wiring: Wiring) -> dict[str, Any]:
    tiny = {v.name: spec.tiny.get(v.name, v.value) for v in model}
    if "lora_rank" in tiny:
        tiny.update(lora_rank=4, lora_alpha=8.0, lora_freeze_base=False)
    if "guidance_scale" in tiny:
        tiny["guidance_scale"] = 2.0
    if "num_heads" in tiny and "d_model" in tiny:
        heads = int(tiny["num_heads"])
        kv = next((int(v.value) for _, v in nested if v.name == "num_kv_heads"), None)
        if kv:
            heads = max(heads, kv)
            heads += (-heads) % kv
        per_head = 4 if wiring.rendered("differential_attention") or wiring.rendered("rotary_position") else 2
        tiny["num_heads"] = heads
        tiny["d_model"] = max(int(tiny["d_model"]), heads * per_head * 2)
    return tiny


def _training(plan: Plan, wiring: Wiring, model: list[Value], resolver: ValueResolver) -> list[Value]:
    values: list[Value] = []
    schedule = next((n for n in wiring.training_names if get(n).slot == "lr_schedule"), None)
    noam = schedule == "inverse_sqrt_warmup"
    lr = resolver.from_plan("learning_rate", "float")
    if lr is None:
        if noam:
            lr = Value("learning_rate", 1.0, "float", "assumed",
                       "eq. (3) gives the learning rate itself; this factor scales it (1.0 = as printed)")
        else:
            lr = Value("learning_rate", 3e-4, "float", "assumed", "not stated in the paper: a common Adam rate")
    elif noam:
        if lr.source == "paper":
            resolver.rejected.append(f"learning_rate: the paper's {lr.value} is replaced by the schedule's own "
                                     "rate (the schedule gives the learning rate itself); learning_rate = 1.0 "
                                     "scales it")
        lr = Value("learning_rate", 1.0, "float", "assumed",
                   "the schedule gives the learning rate itself; this factor scales it (1.0 = as printed)")
    values.append(lr)
    optimizer = resolver.from_plan("optimizer", "str")
    decay = resolver.resolve("weight_decay", "float", 0.0, "not stated in the paper: no weight decay")
    if optimizer is None or optimizer.value.lower().replace("-", "") not in ("adam", "adamw"):
        name = "adamw" if decay.value > 0 else "adam"
        why = "weight decay is given, so decoupled (AdamW)" if decay.value > 0 else "Adam without weight decay"
        optimizer = Value("optimizer", name, "str", "assumed", f"the optimizer is not named in the plan: {why}")
    else:
        optimizer.value = optimizer.value.lower().replace("-", "")
    values.append(optimizer)
    values.append(resolver.resolve("adam_beta1", "float", 0.9, "not stated in the paper: PyTorch's Adam default"))
    values.append(resolver.resolve("adam_beta2", "float", 0.999, "not stated in the paper: PyTorch's Adam default"))
    values.append(resolver.resolve("adam_eps", "float", 1e-8, "not stated in the paper: PyTorch's Adam default"))
    values.append(decay)
    if schedule is not None:
        for param, spec in get(schedule).params.items():
            if spec.canonical in ("d_model",) or spec.slot is not None:
                continue
            kind = kind_of(spec.default)
            name = spec.canonical or param
            values.append(resolver.resolve(name, kind, spec.default, _catalog_reason(schedule)))
    loss = next((n for n in wiring.training_names if get(n).slot == "loss"), None)
    if loss == "label_smoothed_cross_entropy":
        smoothing = resolver.from_plan("label_smoothing", "float")
        if smoothing is None or smoothing.source != "paper":
            smoothing = Value("label_smoothing", 0.0, "float", "assumed",
                              "not stated in the paper: plain cross-entropy, no label smoothing")
        values.append(smoothing)
    routed = [n for n in wiring.order if "aux_loss" in get(n).traits]
    if routed:  # a router's load-balancing loss joins the training loss
        values.append(resolver.resolve(
            "aux_loss_weight", "float", 0.01,
            f"not stated in the paper: alpha = 0.01 of Switch Transformers (Fedus et al., 2021, §2.2) for the "
            f"load-balancing loss of {routed[0]}"))
    return values


def _tiny_training(spec: FamilySpec, training: list[Value], tiny: dict[str, Any], wiring: Wiring) -> dict[str, Any]:
    out = {v.name: v.value for v in training}
    out.update({k: v for k, v in spec.tiny_training.items() if k in out})
    schedule = next((n for n in wiring.training_names if get(n).slot == "lr_schedule"), None)
    peak = float(spec.tiny_training["learning_rate"])
    if schedule == "inverse_sqrt_warmup":
        warmup = int(out["warmup_steps"])
        out["learning_rate"] = round(peak / (float(tiny["d_model"]) ** -0.5 * warmup**-0.5), 6)
    if "max_steps" in out:  # a schedule horizon far beyond the smoke run: the rate stays near its peak
        out["max_steps"] = 10 * spec.smoke_steps
    if "weight_decay" in out:
        out["weight_decay"] = min(float(out["weight_decay"]), 0.01)
    if "adam_beta2" in out:
        out["adam_beta2"] = min(float(out["adam_beta2"]), 0.99)
    return out


def _data(spec: FamilySpec, model: list[Value], plan: Plan) -> tuple[list[Value], list[str], dict[str, Any]]:
    reasons = {
        "seq_len": "synthetic task: sequence length of the smoke data",
        "batch_size": "a CPU-sized batch for the synthetic task (the paper's batch size is for its data and hardware)",
        "num_batches": "synthetic task: batches per epoch, drawn once from the seed",
        "branching": "synthetic grammar: successors allowed after each token",
        "seed": "synthetic task: the data is a deterministic function of this seed",
    }
    data = [Value(k, v, kind_of(v), "assumed", reasons.get(k, "synthetic task setting"))
            for k, v in spec.data_paper.items()]
    paper_batch = plan.hyperparameters.get("batch_size")
    if paper_batch is not None and paper_batch.source == "paper":
        for value in data:
            if value.name == "batch_size":
                value.evidence += f"; the paper's: {paper_batch.value} ({paper_batch.evidence})"
    limit = next((v.value for v in model if v.name == "max_seq_len"), None)
    for value in data:
        if value.name == "seq_len" and isinstance(limit, int) and value.value > limit - 2:
            value.value = max(1, limit - 2)
            value.evidence += f" (at most max_seq_len - 2 = {limit - 2}: targets carry BOS/EOS)"
    model_names = {v.name for v in model}
    linked = [name for name in LINKED if name in model_names and (name != "max_seq_len")]
    tiny_data = dict(spec.data_tiny)
    if spec.name == "diffusion":
        linked = [n for n in ("image_size", "in_channels") if n in model_names]
        if "num_classes" in model_names:
            linked.append("num_classes")
        else:  # the synthetic images still come from pattern classes; an unconditional model never sees them
            data.append(Value("num_classes", 10, "int", "assumed",
                              "synthetic task: images drawn from this many pattern classes (the model is "
                              "unconditional: the labels are never used)"))
            tiny_data["num_classes"] = 4
    return data, linked, tiny_data


def _trainer(resolver: ValueResolver, spec: FamilySpec) -> list[Value]:
    steps = resolver.from_plan("max_steps", "int")
    if steps is None:
        steps = Value("max_steps", TRAINER_DEFAULT_STEPS, "int", "assumed",
                      "the paper gives no step count usable here; a short run on the synthetic task")
    values = [steps]
    clip = resolver.from_plan("grad_clip", "float")
    if clip is not None and clip.source == "paper":  # no clipping unless the paper clips
        clip.name = "gradient_clip_val"
        values.append(clip)
    return values


def build_settings(plan: Plan, wiring: Wiring) -> Settings:
    """All settings of the project planned by ``plan`` and wired by ``wiring``."""
    spec = wiring.family
    resolver = ValueResolver(plan)
    model = _model_fields(plan, wiring, resolver)
    nested = _nested(wiring, model, resolver)
    tiny = _tiny(spec, model, nested, wiring)
    training = _training(plan, wiring, model, resolver)
    tiny_training = _tiny_training(spec, training, tiny, wiring)
    data, linked, tiny_data = _data(spec, model, plan)
    trainer = _trainer(resolver, spec)
    notes = list(resolver.rejected)
    d_model, heads = (next((v for v in model if v.name == n), None) for n in ("d_model", "num_heads"))
    if d_model is not None and heads is not None and heads.value and d_model.value % heads.value:
        notes.append(f"the paper preset has d_model = {d_model.value} and num_heads = {heads.value}, which do "
                     "not divide: Config.from_name('paper') will fail its assertion until one is corrected")
    return Settings(model, tiny, nested, training, tiny_training, data, linked, tiny_data, trainer,
                    spec.smoke_steps, spec.loss_drop, notes)


def render_params(wiring: Wiring, settings: Settings) -> dict[str, dict[str, Any]]:
    """Template parameters of each model.py component: slot fillers plus the paper's values."""
    values = {v.name: v.value for v in settings.model}
    nested = {(c, v.name): v.value for c, v in settings.nested}
    params: dict[str, dict[str, Any]] = {}
    for name in wiring.order:
        component = get(name)
        out = dict(wiring.params.get(name, {}))
        for param, spec in component.params.items():
            if spec.slot is not None or param in component.fixed or param in out:
                continue
            key = spec.canonical
            if (name, key) in nested:
                out[param] = nested[(name, key)]
            elif key in values and kind_of(spec.default) == kind_of(values[key]):
                out[param] = values[key]
            elif key in values and isinstance(spec.default, float) and isinstance(values[key], int):
                out[param] = float(values[key])
        params[name] = out
    return params
