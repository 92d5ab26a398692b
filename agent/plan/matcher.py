"""Match catalog components to a paper by their recognition cues.

A component's score is the sum of its cue phrases' and citations' weighted hits (agent.plan.evidence);
the best-scoring compatible candidate fills a slot when its score clears ``MIN_SCORE``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from agent.catalog import registry
from agent.plan.evidence import Hit, PaperIndex
from agent.plan.skeleton import FALLBACK_FAMILY, SKELETONS
from agent.types import Component

MIN_SCORE = 2.0  # two body mentions, or one in a heading, abstract or title
STRONG_SCORE = 3.0  # for optional slots (adapters, guidance): the abstract or title must say it
# Cue phrases too generic to identify a component on their own.
_GENERIC = {"transformer", "relu", "feed-forward network", "self-attention", "transformer block",
            "transformer layer", "contrastive loss", "router", "adapter", "generator", "discriminator",
            "rope", "gpt", "noam", "autoregressive", "language model", "encoder-decoder", "image patches",
            "expert layer", "gating network", "relative position"}


# Tie-breaks between components with equal evidence (a paper comparing variants): the more widely used first.
_PREFERRED = ("swiglu", "multi_head_attention", "layer_norm", "rms_norm", "geglu", "reglu")


def _prior(name: str) -> tuple[int, str]:
    return (_PREFERRED.index(name) if name in _PREFERRED else len(_PREFERRED), name)


@dataclass(frozen=True)
class Match:
    component: Component
    score: float
    hit: Hit | None  # the best-placed evidence


def score(component: Component, index: PaperIndex, *, generic_weight: float = 0.5) -> Match:
    total = 0.0
    best: Hit | None = None
    for phrase in component.cues.phrases:
        hit = index.find(phrase)
        if hit is None:
            continue
        # A long, specific phrase ("cosine learning rate schedule") says more than one word ("relu").
        weight = generic_weight if phrase.lower() in _GENERIC else min(2.0, 0.5 + 0.5 * len(phrase.split()))
        if weight == 0:
            continue
        total += weight * hit.score
        if best is None or hit.score * weight > best.score:
            best = hit
    for citation in component.cues.citations:
        if len(citation) < 6:  # author surnames and short ids match too much prose
            continue
        hit = index.find(citation)
        if hit is not None:
            total += 0.5 * hit.score
            best = best or hit
    return Match(component=component, score=total, hit=best)


def best_for_slot(slot: str, index: PaperIndex, *, allowed: list[str] | None = None) -> Match | None:
    """The highest-scoring component of ``slot`` (restricted to ``allowed``), or None."""
    candidates = [c for c in registry.by_slot(slot) if allowed is None or c.name in allowed]
    matches = sorted((score(c, index) for c in candidates), key=lambda m: (-m.score, _prior(m.component.name)))
    return matches[0] if matches and matches[0].score > 0 else None


def choose_family(index: PaperIndex) -> tuple[str, Match | None, list[str]]:
    """The model family, the evidence for it, and any ambiguity worth recording."""
    scored: list[tuple[float, str, Match]] = []
    for family, skeleton in SKELETONS.items():
        match = score(registry.get(skeleton.model), index, generic_weight=0.0)
        extra = sum(h.score for h in (index.find(p) for p in skeleton.phrases) if h is not None)
        if family == "diffusion":  # the model component is ddpm: its guidance/sampler cues count too
            extra += sum(score(registry.get(n), index).score for n in ("classifier_free_guidance", "ddim_sampler"))
        scored.append((match.score + 0.5 * extra, family, match))
    scored.sort(key=lambda item: (-item[0], item[1]))
    notes: list[str] = []
    top_score, family, match = scored[0]
    if top_score < MIN_SCORE:
        notes.append(f"the paper does not clearly describe a model family; building a {FALLBACK_FAMILY}")
        return FALLBACK_FAMILY, None, notes
    runner_up = scored[1]
    if runner_up[0] > 0.8 * top_score:
        notes.append(f"model family: {family} (score {top_score:.1f}) over {runner_up[1]} ({runner_up[0]:.1f})")
    return family, match, notes


_POST_NORM = re.compile(r"(layer\s*norm|layernorm|norm)\s*\(\s*x\s*\+\s*\\?(mathrm\{)?sublayer", re.I)
_PRE_NORM = re.compile(
    r"x\s*\+\s*\\?(mathrm\{)?sublayer\}?\s*\(\s*\\?(mathrm\{)?(layer\s*norm|layernorm|ln|norm)", re.I
)
_PRE_NORM_WORDS = re.compile(
    r"pre-?(rms|layer)?norm|pre-?ln\b|(layer ?norm|normali[sz]ation)\W+(is )?applied before (every|each)"
    r"|normali[sz]e the input of each",
    re.I,
)


def norm_placement(index: PaperIndex) -> tuple[str | None, Hit | None]:
    """'post' or 'pre' when the paper states where its norms sit, with the sentence."""
    for passage, lowered in zip(index.passages, index.lowered):
        compact = re.sub(r"\\(mathrm|text|operatorname)|[{}\s]", "", lowered)
        if _POST_NORM.search(compact) or _POST_NORM.search(lowered):
            return "post", Hit("LayerNorm(x + Sublayer(x))", 1.0, passage.text, passage.section)
        if _PRE_NORM.search(compact) or _PRE_NORM_WORDS.search(lowered):
            return "pre", Hit("pre-norm", 1.0, passage.text, passage.section)
    return None, None
