"""Which catalog components a generated project renders, and how their slots are filled.

The plan names a component per slot (attention, norm, ffn, position, block, ...); the family
supplies the rest. Slot parameters are then wired the way the papers do it: the blocks take the
plan's attention, norm and feed-forward network; an additive position goes on the embeddings, a
rotary or bias position inside the attention; a post-norm stack has no final norm, a pre-norm stack
does; a decoder block's cross-attention needs a component that accepts a context.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from agent.catalog import get
from agent.catalog.render import dependencies
from agent.draft.families import FamilySpec
from agent.types import Component, Plan

MODEL_SLOTS = ("model", "diffusion")
TRAINING_SLOTS = ("loss", "lr_schedule")
TRAINING_SUPPORTED = ("label_smoothed_cross_entropy", "inverse_sqrt_warmup", "warmup_cosine")
# Slots the skeleton of a family uses beyond the model's own slot parameters.
EXTRA_SLOTS = {"linear": ("lora_linear",), "guidance": ("classifier_free_guidance",), "denoiser": ("unet_denoiser",),
               "sampler": ("ddim_sampler",)}


@dataclass
class Choice:
    """The component filling one slot, and why."""

    slot: str
    component: str
    evidence: str
    section: str | None = None
    assumed: bool = False
    params: dict[str, Any] = field(default_factory=dict)
    from_plan: bool = True


@dataclass
class Wiring:
    """The components of model.py and module.py with their template parameters."""

    family: FamilySpec
    choices: dict[str, Choice]  # slot -> choice (the plan's, else the family default)
    model: str  # top component (slot model or diffusion)
    model_names: list[str]  # components asked for in model.py (dependencies follow)
    params: dict[str, dict[str, Any]]  # template parameters per rendered component (model.py)
    order: list[str]  # every component of model.py, dependencies first
    training_names: list[str]  # loss and lr schedule components (module.py)
    training_params: dict[str, dict[str, Any]]
    notes: list[str] = field(default_factory=list)  # wiring decisions worth a line in NOTES.md
    unused: list[Choice] = field(default_factory=list)  # planned components the skeleton has no place for

    def component(self, slot: str) -> str | None:
        choice = self.choices.get(slot)
        return choice.component if choice else None

    def rendered(self, name: str) -> bool:
        return name in self.order


def _choices(plan: Plan, spec: FamilySpec) -> tuple[dict[str, Choice], list[str]]:
    choices: dict[str, Choice] = {}
    notes: list[str] = []
    for planned in plan.components:
        component = get(planned.component)
        slot = component.slot if component.slot != "model" or planned.slot in MODEL_SLOTS else planned.slot
        if slot in choices:
            notes.append(f"the plan names {planned.component} for slot {slot!r} too; "
                         f"{choices[slot].component} (named first) is used")
            continue
        choices[slot] = Choice(slot, planned.component, planned.evidence, planned.section, planned.assumed,
                               dict(planned.params))
    top_slot = get(spec.model).slot
    if top_slot in choices and choices[top_slot].component != spec.model:
        other = choices.pop(top_slot)
        notes.append(f"the plan names {other.component} as the model of a {spec.name} plan; the {spec.name} "
                     f"skeleton is built on {spec.model}")
    for slot, name in spec.defaults.items():
        if slot not in choices:
            choices[slot] = Choice(slot, name, f"not stated in the paper: the {spec.name} default", None, True,
                                   from_plan=False)
    if top_slot not in choices:
        choices[top_slot] = Choice(top_slot, spec.model, f"the {spec.name} skeleton", None, True, from_plan=False)
    return choices, notes


def _norm_first(component_name: str) -> bool:
    return bool(get(component_name).fixed.get("norm_first", False))


def _fill(component: Component, param: str, choices: dict[str, Choice], spec: FamilySpec, notes: list[str]) -> Any:
    """The component named by slot parameter ``param`` of ``component``."""
    slot = component.params[param].slot
    default = component.params[param].default
    chosen = choices.get(slot).component if slot in choices else None
    if slot == "decoder_block":
        if "decoder_block" in choices and choices["decoder_block"].from_plan:
            return chosen
        block = choices["block"].component
        return "pre_norm_decoder_block" if _norm_first(block) else "post_norm_decoder_block"
    if slot == "attention" and param == "cross_attention":
        if chosen and "cross" in get(chosen).traits:
            return chosen
        notes.append(f"cross-attention uses multi_head_attention: {chosen} takes no context")
        return "multi_head_attention"
    if slot == "norm" and component.family == "model":
        block = choices.get("block")
        if block is not None and not _norm_first(block.component):
            return ""  # post-norm stacks end in a norm already (§3.1 of Vaswani et al.)
        return chosen or default
    if slot == "position":
        if not chosen:
            return ""
        traits = get(chosen).traits
        if component.family == "model":
            return chosen if "additive" in traits else ""
        return chosen if ("rotary" in traits or "bias" in traits) else ""
    if slot == component.slot:  # as the planner: a mixture of experts' expert FFN keeps its own default
        return default
    if chosen is not None:
        return chosen
    return default


def _walk(names: list[str], choices: dict[str, Choice], spec: FamilySpec,
          notes: list[str]) -> tuple[list[str], dict[str, dict[str, Any]]]:
    params: dict[str, dict[str, Any]] = {}
    order: list[str] = []

    path: list[str] = []

    def visit(name: str) -> None:
        if name in order:
            return
        if name in path:
            raise RuntimeError(f"the components depend on each other in a cycle: {' -> '.join([*path, name])}")
        path.append(name)
        component = get(name)
        chosen = {p: _fill(component, p, choices, spec, notes) for p, spec_ in component.params.items()
                  if spec_.slot is not None and p not in component.fixed}
        planned = next((c.params for c in choices.values() if c.component == name), {})
        merged = {**chosen, **{k: v for k, v in planned.items() if k in component.params}}
        params[name] = merged
        for dep in dependencies(component, merged):
            visit(dep)
        path.pop()
        order.append(name)

    for name in names:
        visit(name)
    return order, params


def wire(plan: Plan, spec: FamilySpec) -> Wiring:
    """Choose and connect the components of ``plan`` in the skeleton of ``spec``."""
    choices, notes = _choices(plan, spec)
    top = choices[get(spec.model).slot].component
    names = [top]
    unused: list[Choice] = []
    for slot, choice in sorted(choices.items()):
        if slot in EXTRA_SLOTS:
            if choice.component in EXTRA_SLOTS[slot] and (slot == "linear" or spec.name == "diffusion"):
                names.append(choice.component)
            else:
                unused.append(choice)
    if spec.name == "diffusion" and "unet_denoiser" not in names:
        names.append("unet_denoiser")
    order, params = _walk(names, choices, spec, notes)
    training_names = [choices[s].component for s in TRAINING_SLOTS
                      if s in choices and choices[s].component in TRAINING_SUPPORTED]
    training_params = {choices[s].component: {k: v for k, v in choices[s].params.items()
                                              if k in get(choices[s].component).params}
                       for s in TRAINING_SLOTS if s in choices and choices[s].component in training_names}
    used = set(order) | set(training_names)
    position = choices.get("position")
    if position is not None and position.component not in used:
        notes.append(f"{position.component} is not used: no component of this model takes it "
                     f"({', '.join(order)})")
    unused += [c for slot, c in sorted(choices.items())
               if c.component not in used and c not in unused and slot != "position"]
    return Wiring(spec, choices, top, names, params, order, training_names, training_params, notes, unused)
