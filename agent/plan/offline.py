"""The offline planner: a Paper in, a Plan out, with no LLM.

Steps: pick the model family (agent.plan.skeleton) from the paper's words; fill each slot with the
best-matching catalog component or the family default; wire slot parameters (which attention the
blocks use, where positions go); choose hyperparameters; link and compile the numbered equations.
Every choice carries its evidence or the reason it was assumed. Deterministic: same paper, same plan.
"""

from __future__ import annotations

import re

from agent.catalog import registry
from agent.plan import hyperparams
from agent.plan.equations import plan_equations
from agent.plan.evidence import Hit, PaperIndex
from agent.plan.matcher import MIN_SCORE, STRONG_SCORE, Match, best_for_slot, choose_family, norm_placement
from agent.plan.skeleton import OPTIONAL_SLOTS, SKELETONS, Skeleton
from agent.types import Component, Paper, Plan, PlannedComponent

# Slots whose candidates the matcher may choose from, per family (None = every component of the slot).
_ALLOWED: dict[tuple[str, str], list[str] | None] = {
    ("seq2seq", "attention"): ["multi_head_attention", "grouped_query_attention", "multi_query_attention",
                              "shaw_relative_attention"],
    ("vit_classifier", "attention"): ["multi_head_attention", "grouped_query_attention", "multi_query_attention",
                                      "linear_attention", "differential_attention"],
    ("decoder_lm", "norm"): ["layer_norm", "rms_norm", "dyt"],
    ("seq2seq", "norm"): ["layer_norm", "rms_norm", "dyt"],
    ("vit_classifier", "norm"): ["layer_norm", "rms_norm", "dyt"],
    ("decoder_lm", "loss"): ["label_smoothed_cross_entropy"],
    ("seq2seq", "loss"): ["label_smoothed_cross_entropy"],
    ("vit_classifier", "loss"): ["label_smoothed_cross_entropy"],
    ("decoder_lm", "position"): ["learned_position", "sinusoidal_position", "rotary_position", "alibi_position"],
    ("seq2seq", "position"): ["learned_position", "sinusoidal_position", "rotary_position", "alibi_position"],
    ("decoder_lm", "linear"): ["lora_linear", "weight_norm_linear"],
    ("seq2seq", "linear"): ["lora_linear", "weight_norm_linear"],
    ("vit_classifier", "linear"): ["lora_linear", "weight_norm_linear"],
}
# Modules an adapter component is applied to inside every attention layer (LoRA §4.2: W_q and W_v).
ADAPTER_TARGETS = {"lora_linear": ["to_q", "to_kv"], "weight_norm_linear": ["to_q", "to_kv", "to_out"]}


def slugify(title: str) -> str:
    """A lower_snake_case Python identifier from the title (at most six words).

    A short name before a colon is the paper's own name for its method ("LoRA: Low-Rank
    Adaptation of ..." -> ``lora``) and is used alone.
    """
    head = title.split(":", 1)[0]
    if ":" in title and 0 < len(re.findall(r"[a-z0-9]+", head.lower())) <= 3:
        title = head
    words = re.findall(r"[a-z0-9]+", title.lower())[:6] or ["paper"]
    slug = "_".join(words)
    return f"paper_{slug}" if slug[0].isdigit() else slug


def find_arxiv_id(paper: Paper) -> str | None:
    haystack = " ".join([paper.path or "", paper.abstract, *(s.text for s in paper.sections[:3])])
    match = re.search(r"(?:arxiv[:\s/.]*(?:abs/)?)(\d{4}\.\d{4,5})", haystack, re.I)
    return match.group(1) if match else None


def _planned(slot: str, match: Match | None, default_component: str, default_reason: str) -> PlannedComponent:
    if match is not None and match.score >= MIN_SCORE and match.hit is not None:
        return PlannedComponent(slot=slot, component=match.component.name, evidence=match.hit.quote,
                                section=match.hit.section)
    return PlannedComponent(slot=slot, component=default_component, evidence=f"assumed: {default_reason}", assumed=True)


def _block_choice(slot: str, skeleton: Skeleton, placement: str | None, hit: Hit | None) -> PlannedComponent:
    default = skeleton.defaults[slot]
    if placement is None or hit is None:
        return PlannedComponent(slot=slot, component=default.component, evidence=f"assumed: {default.reason}",
                                assumed=True)
    stem = "decoder_block" if slot == "decoder_block" else "encoder_block"
    return PlannedComponent(slot=slot, component=f"{placement}_norm_{stem}", evidence=hit.quote, section=hit.section)


def choose_slots(skeleton: Skeleton, index: PaperIndex) -> tuple[dict[str, PlannedComponent], list[str]]:
    """The component for every slot of the skeleton (and optional slots with strong evidence)."""
    chosen: dict[str, PlannedComponent] = {}
    notes: list[str] = []
    placement, placement_hit = norm_placement(index)
    for slot, default in skeleton.defaults.items():
        if slot in ("block", "decoder_block"):
            chosen[slot] = _block_choice(slot, skeleton, placement, placement_hit)
            continue
        match = best_for_slot(slot, index, allowed=_ALLOWED.get((skeleton.family, slot)))
        chosen[slot] = _planned(slot, match, default.component, default.reason)
    for slot in OPTIONAL_SLOTS.get(skeleton.family, ()):
        match = best_for_slot(slot, index, allowed=_ALLOWED.get((skeleton.family, slot)))
        strong = match is not None and match.score >= STRONG_SCORE and match.hit is not None
        if strong and match.hit.section in (None, "Abstract") or (strong and match.score >= 2 * STRONG_SCORE):
            chosen[slot] = _planned(slot, match, match.component.name, "")
    if placement is None and ("block" in chosen):
        notes.append(f"norm placement (pre/post) is not stated; assumed {chosen['block'].component}")
    return chosen, notes


def wire(model: str, chosen: dict[str, PlannedComponent]) -> list[PlannedComponent]:
    """Fill the slot parameters of every component reachable from the model; returns them in order."""
    position = registry.get(chosen["position"].component) if chosen.get("position") else None
    pre_norm = chosen.get("block") is not None and chosen["block"].component.startswith("pre_norm")
    order: list[PlannedComponent] = []
    seen: set[str] = set()

    def visit(entry: PlannedComponent) -> None:
        if entry.component in seen or not entry.component:
            return
        seen.add(entry.component)
        component = registry.get(entry.component)
        order.append(entry)
        for name, param in component.params.items():
            if not param.slot:
                continue
            value = _slot_value(component, name, param.slot, chosen, position, pre_norm)
            if value is None:
                continue
            entry.params[name] = value
            if value and value not in seen:
                nested = chosen.get(param.slot)
                if nested is not None and nested.component == value:
                    visit(nested)
                else:
                    visit(PlannedComponent(slot=param.slot, component=value, evidence=f"required by {component.name}"))

    visit(PlannedComponent(slot="model", component=model, evidence="", assumed=False))
    for slot, entry in chosen.items():  # slots outside the model (loss, schedule, adapters, guidance)
        if entry.component not in seen:
            seen.add(entry.component)
            if entry.component in ADAPTER_TARGETS:
                entry.params["targets"] = list(ADAPTER_TARGETS[entry.component])
            order.append(entry)
    return order


def _slot_value(component: Component, name: str, slot: str, chosen: dict[str, PlannedComponent],
                position: Component | None, pre_norm: bool) -> str | None:
    """The component a slot parameter names, or None to keep the template default."""
    if slot == "position":
        if position is None:
            return "" if component.family == "attention" else None
        additive = "additive" in position.traits
        if component.family == "attention":
            return "" if additive else position.name
        return position.name if additive else ""
    if component.family == "model" and name == "norm":  # the final norm after the stack: pre-norm only
        return chosen["norm"].component if pre_norm and "norm" in chosen else ""
    if slot == component.slot:  # e.g. a mixture of experts' expert FFN: keep its own default
        return None
    entry = chosen.get(slot)
    if entry is not None and name == "cross_attention" and "cross" not in registry.get(entry.component).traits:
        return "multi_head_attention"  # e.g. relative-position self-attention: the cross-attention stays plain
    return entry.component if entry is not None else None


def plan_paper(paper: Paper, *, paper_source: str | None = None) -> Plan:
    """Plan an implementation of ``paper`` from the verified catalog, offline."""
    index = PaperIndex(paper)
    family, family_match, notes = choose_family(index)
    skeleton = SKELETONS[family]
    chosen, slot_notes = choose_slots(skeleton, index)
    components = wire(skeleton.model, chosen)
    model_entry = components[0]
    if family_match is not None and family_match.hit is not None:
        model_entry.evidence, model_entry.section = family_match.hit.quote, family_match.hit.section
    else:
        model_entry.evidence, model_entry.assumed = f"assumed: the {family} family fits the paper best", True
    catalog_components = [registry.get(c.component) for c in components]
    hyper, hp_notes = hyperparams.choose(paper, catalog_components)
    equations, eq_notes = plan_equations(paper, catalog_components)
    return Plan(
        title=paper.title,
        slug=slugify(paper.title),
        family=family,
        task=skeleton.task,
        components=components,
        hyperparameters=hyper,
        equations=equations,
        ambiguities=notes + slot_notes + hp_notes + eq_notes,
        arxiv_id=find_arxiv_id(paper),
        paper_source=paper_source,
    )
