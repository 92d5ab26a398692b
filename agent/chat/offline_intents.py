"""Free text that clearly asks for a command, mapped to it with no LLM.

``interpret("use RMSNorm instead of LayerNorm", plan)`` gives ``"/swap norm=rms_norm"``;
``"set the learning rate to 3e-4"`` gives ``"/set learning_rate=0.0003"``; ``"why is warmup 4000?"``
gives ``"/plan warmup_steps"`` (the value with the paper's evidence). Text that does not clearly
map to one command gives None: the caller then says what works offline. Names are resolved by
:mod:`agent.chat.changes`, so a phrase that names nothing known never becomes a command.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from agent.chat.changes import normalise, resolve_component, resolve_name
from agent.errors import UserError
from agent.types import Plan

EXAMPLES = (
    "use RMSNorm instead of LayerNorm",
    "set the learning rate to 3e-4",
    "add dropout to the attention weights",
    "why is warmup 4000?",
    "the loss doesn't go down",
    "explain equation 1",
    "undo that",
)
NUMBER = r"[-+]?(?:\d[\d_,]*\.?\d*|\.\d+)(?:[eE][-+]?\d+)?"
GENERIC = {"the", "a", "an", "our", "my", "its", "standard", "plain", "regular", "usual", "normal"}
TRAILING = ("embeddings", "embedding", "encodings", "encoding", "positions", "position", "activation",
            "layers", "layer", "block", "blocks", "module", "function", "one", "instead", "please")
DEFAULT_DROPOUT = 0.1  # the Transformer's P_drop, when "add dropout" names no rate
# Said after an intent's command has run: what its result means for the request.
AFTERWORDS = {
    "/validate smoke_train": "the smoke run trains the tiny preset on synthetic data; when it passes, the code can "
                             "learn, so look at config.yaml's learning rate, warmup and batch size for the full run "
                             "(/plan learning_rate, /plan warmup_steps)",
}


def _clean(phrase: str) -> str:
    words = [w for w in re.split(r"\s+", phrase.strip(" .,!?;:'\"`")) if w]
    while words and words[0].lower() in GENERIC:
        words = words[1:]
    return " ".join(words)


def _component(phrase: str, plan: Plan) -> str | None:
    """The catalog component a phrase names (trying it without a trailing generic word too)."""
    phrase = _clean(phrase)
    tries = [phrase]
    words = phrase.split()
    while len(words) > 1 and words[-1].lower().rstrip("s") in {t.rstrip("s") for t in TRAILING}:
        words = words[:-1]
        tries.append(" ".join(words))
    for attempt in tries:
        if not attempt:
            continue
        try:
            return resolve_component(attempt)
        except UserError:
            continue
    return None


def _hyperparameter(phrase: str, plan: Plan) -> str | None:
    """The hyperparameter a phrase names; the longest run of its words that names one."""
    words = _clean(phrase).split()
    for size in range(min(len(words), 4), 0, -1):
        for start in range(len(words) - size + 1):
            chunk = " ".join(words[start:start + size])
            if re.fullmatch(NUMBER, chunk) or chunk.lower() in GENERIC:
                continue
            try:
                return resolve_name(chunk, plan)
            except UserError:
                continue
    return None


def _number(text: str) -> str:
    return text.replace(",", "").replace("_", "")


def _swap(new_phrase: str, old_phrase: str | None, plan: Plan) -> str | None:
    slots = {c.slot for c in plan.components}
    if re.fullmatch(r"(pre|post)[\s\-]?(norm|ln|layer ?norm)(alization|alisation)?( blocks?)?",
                    _clean(new_phrase).lower()):
        where = "pre" if _clean(new_phrase).lower().startswith("pre") else "post"
        pairs = [f"block={where}_norm_encoder_block"]
        if "decoder_block" in slots:
            pairs.append(f"decoder_block={where}_norm_decoder_block")
        return "/swap " + " ".join(pairs) if "block" in slots else None
    from agent.catalog import registry

    new = _component(new_phrase, plan)
    if new is None:
        return None
    slot = registry.get(new).slot
    if old_phrase is not None:
        old = _component(old_phrase, plan)
        if old is None or registry.get(old).slot != slot:
            return None
    if slot not in slots:
        return None
    return f"/swap {slot}={new}"


def _set(name_phrase: str, value: str, plan: Plan) -> str | None:
    name = _hyperparameter(name_phrase, plan)
    return f"/set {name}={_number(value)}" if name else None


def _dropout(text: str, plan: Plan) -> str | None:
    low = text.lower()
    if not re.search(r"\bdropout\b", low):
        return None
    name = "attention_dropout" if re.search(r"\battention\b|\battn\b", low) else "dropout"
    if re.search(r"\b(remove|disable|no|without|turn off|drop the)\b", low):
        return f"/set {name}=0.0"
    if not re.search(r"\b(add|use|apply|enable|put|turn on|with)\b", low):
        return None
    value = re.search(rf"(?<![\w.])({NUMBER})\s*(%?)", text)
    if value is None:
        return f"/set {name}={DEFAULT_DROPOUT}"
    rate = float(_number(value.group(1))) / (100.0 if value.group(2) == "%" else 1.0)
    return f"/set {name}={rate:g}"


def _why(rest: str, plan: Plan) -> str | None:
    for slot in (c.slot for c in plan.components):
        if re.search(rf"\b{re.escape(slot.replace('_', ' '))}\b", rest.lower()):
            return f"/plan {slot}"
    component = _component(rest, plan)
    if component is not None:
        entry = next((c for c in plan.components if c.component == component), None)
        if entry is not None:
            return f"/plan {entry.slot}"
    name = _hyperparameter(rest, plan)
    return f"/plan {name}" if name else None


Rule = tuple[re.Pattern[str], Callable[[re.Match[str], Plan], str | None]]


def _rules() -> list[Rule]:
    flags = re.IGNORECASE
    return [
        (re.compile(r"^\s*(undo|revert|roll ?back|take (that|it) back)\b", flags), lambda m, p: "/undo"),
        (re.compile(r"^\s*(what changed|show (me )?(the )?(last )?(diff|changes?))\b", flags), lambda m, p: "/diff"),
        (re.compile(r"\bloss\b.*\b(does ?n[o']?t|does not|is ?n[o']?t|is not|won'?t|not|never)\b.*"
                    r"\b(go(es|ing)? down|decreas|drop|fall|converg|improv|learn)", flags),
         lambda m, p: "/validate smoke_train"),
        (re.compile(r"\bloss\b.*\b(stuck|flat|plateau|diverg|nan|explod|increas)", flags),
         lambda m, p: "/validate smoke_train"),
        (re.compile(r"^\s*(validate|run (the )?(checks|tests|validation)|check (it|everything))\b", flags),
         lambda m, p: "/validate"),
        (re.compile(r"\b(explain|which code implements|what implements|where is)\s+(the\s+)?(equation|eq\.?)\s*"
                    r"\(?(?P<n>[\w.]+?)\)?\s*[?.!]*$", flags), lambda m, p: f"/explain {m.group('n')}"),
        (re.compile(r"\bdropout\b", flags), lambda m, p: _dropout(m.string, p)),
        (re.compile(r"\b(?:use|switch to|try|prefer|want)\s+(?P<new>.+?)\s+(?:instead of|rather than|in place of)\s+"
                    r"(?P<old>.+?)[\s.!?]*$", flags), lambda m, p: _swap(m.group("new"), m.group("old"), p)),
        (re.compile(r"\breplace\s+(?P<old>.+?)\s+(?:with|by)\s+(?P<new>.+?)[\s.!?]*$", flags),
         lambda m, p: _swap(m.group("new"), m.group("old"), p)),
        (re.compile(r"\bswap\s+(?:out\s+)?(?P<old>.+?)\s+(?:for|with)\s+(?P<new>.+?)[\s.!?]*$", flags),
         lambda m, p: _swap(m.group("new"), m.group("old"), p)),
        (re.compile(rf"\b(?:set|change|make|increase|decrease|reduce|raise|lower)\s+(?P<name>.+?)\s+"
                    rf"(?:to|=|at)\s+(?P<value>{NUMBER})\s*[.!]*$", flags),
         lambda m, p: _set(m.group("name"), m.group("value"), p)),
        (re.compile(rf"^\s*(?:use|with|try)\s+(?:a|an)?\s*(?P<name>[a-z][\w\s\-]*?)\s+(?:of|=)\s+(?P<value>{NUMBER})"
                    rf"\s*[.!]*$", flags), lambda m, p: _set(m.group("name"), m.group("value"), p)),
        (re.compile(rf"^\s*(?:use|with|try)\s+(?P<value>{NUMBER})\s+(?P<name>[a-z][\w\s\-]*?)\s*[.!]*$", flags),
         lambda m, p: _set(m.group("name"), m.group("value"), p)),
        (re.compile(rf"^\s*(?P<name>[a-z][\w\s\-]*?)\s*(?:=|:)\s*(?P<value>{NUMBER})\s*$", flags),
         lambda m, p: _set(m.group("name"), m.group("value"), p)),
        (re.compile(r"^\s*(?:why|where does|where do|how (?:was|were|is|are))\b(?P<rest>.+?)[\s?.!]*$", flags),
         lambda m, p: _why(m.group("rest"), p)),
        (re.compile(r"\b(?:use|switch to|try)\s+(?P<new>[\w\-\s]+?)[\s.!?]*$", flags),
         lambda m, p: _swap(m.group("new"), None, p)),
    ]


RULES = _rules()


def interpret(text: str, plan: Plan) -> str | None:
    """The command a free-text request clearly asks for, or None."""
    if not text.strip() or len(text) > 300:
        return None
    for pattern, build in RULES:
        match = pattern.search(text)
        if match is None:
            continue
        found = build(match, plan)
        if found:
            return found
    return None


def offline_help() -> str:
    """What to tell a user whose free text maps to no command, offline."""
    return ("offline, free text works only when it clearly maps to a command, e.g. "
            + "; ".join(f"'{e}'" for e in EXAMPLES)
            + ". Use the /commands (/help lists them), or start chat with --llm anthropic (or openai:MODEL@URL) "
              "to ask anything in your own words.")


__all__ = ["AFTERWORDS", "EXAMPLES", "interpret", "normalise", "offline_help"]
