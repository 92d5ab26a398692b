"""Find hyperparameter values in one sentence of flattened text (see :mod:`hparam_text`).

Three pattern families, all on the canonical plain form (numbers already ``3e-4``, ``10000``):

* assignments: ``d_model = 512``, ``β_1=0.9, β_2=0.98``, chains ``d_k=d_v=dmodel/h=64`` (the
  symbols get 64, the expression ``dmodel/h`` gets nothing), tuples ``(β1, β2) = (0.9, 0.95)``;
  an ambiguous symbol (``N``, ``h``, ``ε``) counts only with its context word nearby;
* phrases: "a batch size of 4096", "weight decay of 0.1", "dropout rate 0.1", "learning rate of
  3e-4", "warmup of 10000 steps", "trained for 300000 steps", "8 attention heads", "no weight decay";
* ranges and lists after a phrase: "learning rates in {0.001, 0.01}" -> ``"{0.001, 0.01}"``,
  "dropout from 0.1 to 0.3" -> ``"[0.1, 0.3]"``.

Every value passes its canonical range check (:meth:`CanonicalName.accepts`), which is what keeps
years, citations, accuracies in percent and section numbers out.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from agent.ingest.hparam_names import CANONICAL, SYMBOLS, symbol_key
from agent.ingest.hparam_text import NUMBER, parse_literal

Value = int | float | str


@dataclass
class Found:
    """One value found in a sentence, before evidence and setting are attached."""

    name: str
    symbol: str
    value: Value
    unit: str | None
    start: int  # offset in the flattened sentence, for document order
    from_symbol: bool = False  # an assignment to a symbol (preferred over a phrase when both match)


# ---------------------------------------------------------------------------------------------
# values

_NUM = r"-?\d+(?:\.\d+)?(?:e-?\d+)?%?(?![\w]|\.\d)"  # after a separator (no look-behind)
_VALUE = (
    rf"(?P<val>{NUMBER}(?:\s*(?:to|–|—|-)\s*{_NUM})?"
    r"|(?:(?:in|∈|of|from)\s*)?\{[^{}]{1,80}\}"
    r"|(?:in|∈)\s*\[[^\[\]]{1,60}\])"
)


_EXPRESSION_AFTER = re.compile(r"\)?\s*(?:[/*^·]|×\s*[^\d\s]|times\b)")


def continues_expression(text: str, end: int) -> bool:
    """True when the number ending at ``end`` is a factor of an expression ("8/3 × d", "0.1 times")."""
    return bool(_EXPRESSION_AFTER.match(text, end))


def _fmt(v: int | float) -> str:
    return str(v) if isinstance(v, int) else repr(v)


def parse_value(text: str, name: str) -> Value | None:
    """The value of a matched ``val`` group for ``name``: a number, or a list/range as a string."""
    text = text.strip()
    spec = CANONICAL[name]
    if text[:1] in "{[" or text.split(" ", 1)[0] in ("in", "∈", "of", "from"):
        body = re.sub(r"^(?:in|∈|of|from)\s*", "", text)
        items = [_number(x, name) for x in re.split(r"\s*[,;]\s*", body[1:-1].strip()) if x]
        if len(items) < 2 or any(v is None for v in items):
            return None
        joined = ", ".join(_fmt(v) for v in items)  # type: ignore[arg-type]
        return "{" + joined + "}" if body[0] == "{" else "[" + joined + "]"
    m = re.fullmatch(rf"({_NUM})\s*(?:to|–|—|-)\s*({_NUM})", text)
    if m:
        lo, hi = _number(m[1], name), _number(m[2], name)
        if lo is None or hi is None or hi <= lo:
            return None
        return f"[{_fmt(lo)}, {_fmt(hi)}]"
    return _number(text, name) if spec else None


def _number(literal: str, name: str) -> int | float | None:
    parsed = parse_literal(literal)
    if parsed is None:
        return None
    value, percent = parsed
    spec = CANONICAL[name]
    if percent:
        if not spec.rate:
            return None
        value = float(repr(value / 100))
    if not spec.accepts(value):
        return None
    return spec.coerce(value)


# ---------------------------------------------------------------------------------------------
# assignments

_TERM = r"[^\s=,;:≈{}\[\]]+"
_CHAIN_RE = re.compile(rf"(?<![^\s(\[,;:])({_TERM}(?:\s*=\s*{_TERM})+)")
_SYMBOL_RE = re.compile(r"[^\W\d][\w']*")
_OPERATOR_BEFORE = re.compile(r"[-+*/·×^−]\s*$")
_TUPLE_RE = re.compile(
    rf"\(\s*({_TERM}(?:\s*,\s*{_TERM})+)\s*\)\s*=\s*\(\s*({_NUM}(?:\s*,\s*{_NUM})+)\s*\)"
)
_SET_RE = re.compile(  # "we set α to 0.0001", "we set the learning rate η to 0.001", "fix β1 at 0.9"
    rf"\b(?:set|sets|setting|fix|fixes|fixed|fixing)\s+(?:the\s+)?(?:[A-Za-z-]+\s+){{0,4}}?"
    rf"(?P<sym>[^\W\d][\w']{{0,7}})\s+(?:to|at|as|=)\s+(?P<val>{_NUM})(?![\w.]*\d)"
)
_SET_MORE_RE = re.compile(  # "..., and β2 to 0.95" after a "set" clause
    rf"\s*(?:,\s*and|,|and)\s+(?:the\s+)?(?:[A-Za-z-]+\s+){{0,3}}?(?P<sym>[^\W\d][\w']{{0,7}})\s+(?:to|at)\s+"
    rf"(?P<val>{_NUM})(?![\w.]*\d)"
)
_BETAS_RE = re.compile(rf"\bβs?(?:\s*values?)?\s*(?:of|=|:|set to)?\s*\(\s*({_NUM})\s*,\s*({_NUM})\s*\)")


def _symbol_name(term: str, value: int | float, near: str, wide: str) -> str | None:
    """The canonical name the symbol ``term`` stands for here, or None."""
    for name, rule in SYMBOLS.get(symbol_key(term), ()):
        scope = wide if not rule.symbol.isascii() else near
        if rule.context and not re.search(rule.context, scope, re.I):
            continue
        if rule.avoid and re.search(rule.avoid, near, re.I):
            continue
        if _number(_fmt(value), name) is not None:
            return name
    return None


def find_assignments(flat: str, wide: str = "", symbols: dict[str, str] | None = None) -> list[Found]:
    """Symbol assignments in ``flat`` (one sentence). ``wide``: the surrounding text (previous
    sentence, section title) for context words; ``symbols``: flattened symbol -> LaTeX as written."""
    symbols = symbols or {}
    wide = flat + " " + wide
    found: list[Found] = []
    for m in _CHAIN_RE.finditer(flat):
        terms = [t.strip() for t in m.group(1).split("=")]
        last = terms[-1].rstrip(".)")
        parsed = parse_literal(last)
        if parsed is None or continues_expression(flat, m.start(1) + len(m.group(1).rstrip(".)"))):
            continue
        value = parsed[0] if not parsed[1] else float(repr(parsed[0] / 100))
        percent = parsed[1]
        near = flat[max(0, m.start() - 80) : m.end() + 80]
        lhs = terms[:-1]
        if _OPERATOR_BEFORE.search(flat[: m.start()]):
            lhs = lhs[1:]
        for term in lhs:
            term = term.lstrip("(")
            if not _SYMBOL_RE.fullmatch(term):
                continue
            name = _symbol_name(term, value, near, wide)
            if name is None or (percent and not CANONICAL[name].rate):
                continue
            symbol = symbols.get(term, term)
            found.append(Found(name, symbol, CANONICAL[name].coerce(value), CANONICAL[name].unit,
                               m.start(), True))  # fmt: skip
    for m in _TUPLE_RE.finditer(flat):
        names = [t.strip() for t in m.group(1).split(",")]
        values = [parse_literal(v) for v in m.group(2).split(",")]
        near = flat[max(0, m.start() - 80) : m.end() + 80]
        for term, parsed in zip(names, values):
            if parsed is None or parsed[1] or not _SYMBOL_RE.fullmatch(term):
                continue
            name = _symbol_name(term, parsed[0], near, wide)
            if name:
                spec = CANONICAL[name]
                found.append(Found(name, symbols.get(term, term), spec.coerce(parsed[0]), spec.unit,
                                   m.start(), True))  # fmt: skip
    for first in _SET_RE.finditer(flat):
        m: re.Match[str] | None = first
        while m is not None:
            parsed = parse_literal(m["val"])
            if parsed is None or parsed[1] or continues_expression(flat, m.end("val")):
                break
            near = flat[max(0, m.start() - 80) : m.end() + 80]
            name = _symbol_name(m["sym"], parsed[0], near, wide)
            if name is not None:
                spec = CANONICAL[name]
                found.append(Found(name, symbols.get(m["sym"], m["sym"]), spec.coerce(parsed[0]), spec.unit,
                                   m.start("sym"), True))  # fmt: skip
            m = _SET_MORE_RE.match(flat, m.end())
    for m in _BETAS_RE.finditer(flat):
        for name, literal in (("adam_beta1", m[1]), ("adam_beta2", m[2])):
            v = _number(literal, name)
            if v is not None:
                found.append(Found(name, "β", v, None, m.start(), True))
    return found


# ---------------------------------------------------------------------------------------------
# phrases

_GAP_WORDS = (
    r"\(|of|is|was|were|are|be|=|:|≈|~|to|at|as|set to|equal to|fixed to|fixed at|a|an|the|value|values|"
    r"approximately|approx\.|about|around|roughly|constant|fixed|rate|probability|global|norm|threshold|"
    r"we use|we used|used|uses|use|using|chosen|set|from"
)


def _gap(extra: str = "") -> str:
    """Filler words allowed between a phrase and its value ("batch size [is set to] 4096")."""
    return rf"(?:\s*(?:{_GAP_WORDS}{extra})\b\s*|\s*[=:(≈~]\s*)*?"


_GAP = _gap()
_SYM_EQ = r"(?:(?P<sym>[^\s=,;]{1,12})\s*=\s*)?"
_UNIT = (
    r"(?:\s+(?P<unit>steps?|iterations?|updates?|epochs?|tokens|sequences|images|examples|samples|"
    r"sentences|pairs|words|word-?pieces|subwords|pixels))?"
)


@dataclass(frozen=True)
class PhraseRule:
    """A phrase pattern: ``regex`` has a ``val`` group (and optionally ``unit``, ``key``)."""

    name: str
    regex: re.Pattern[str]
    context: str | None = None  # must match the sentence or the wide context
    unit_map: tuple[tuple[str, str], ...] = ()  # unit word prefix -> other canonical name
    avoid: str | None = None  # the rule does not apply to a sentence matching this
    key: re.Pattern[str] | None = None  # the phrase alone, for "A and B are X and Y, respectively"
    label: str | None = None  # the symbol reported when the regex has no ``key`` group
    unit: str | None = None


def _fwd(name: str, phrase: str, context: str | None = None, gap: str = _GAP,
         unit_map: tuple[tuple[str, str], ...] = (), avoid: str | None = None) -> PhraseRule:  # fmt: skip
    regex = rf"(?<![\w-])(?P<key>{phrase}){gap}\s*{_SYM_EQ}{_VALUE}{_UNIT}"
    key = re.compile(rf"(?<![\w-])(?:{phrase})(?![\w-])", re.I)
    return PhraseRule(name, re.compile(regex, re.I), context, unit_map, avoid, key)


def _rx(name: str, label: str, regex: str, unit: str | None = None) -> PhraseRule:
    compiled = re.compile(regex.replace("{NUM}", rf"(?P<val>{NUMBER})"), re.I)
    return PhraseRule(name, compiled, label=label, unit=unit or CANONICAL[name].unit)


_WARMUP_GAP = _gap(r"|over|for|during|over the first|for the first|during the first|the first|first")
_ABOUT = r"(?:about |approximately |roughly |around |only |a total of |another |an additional )?"
_DIM = r"(?:size|dimension(?:ality)?|dim|width)"
_B = r"(?<![\w.])"  # a number that starts a token
_TRAINED = r"\b(?:train(?:ed|ing)?|fine-?tun\w*|pre-?train\w*|ran|run|optimi[sz]ed)\b[^.;]{0,40}?"

PHRASES: list[PhraseRule] = [
    _fwd("learning_rate", r"(?:peak |base |initial |max(?:imum)? |maximal |constant )?learning[ -]rates?|lr"),
    _fwd("batch_size", r"(?:mini-?|global |total )?batch[ -]?sizes?"),
    _fwd("weight_decay", r"weight[ -]decay(?: coefficient| rate| factor| parameter| strength)?"),
    _fwd("attention_dropout", r"(?:attention|attn) dropout(?: rate| probability)?"),
    _fwd("dropout", r"(?<!attention )(?<!attn )(?:residual |hidden |embedding |output )?dropout"
         r"(?: rate| probability| ratio)?"),
    _fwd("label_smoothing", r"label[ -]smoothing(?: factor| value| coefficient| parameter| rate)?"),
    _fwd("warmup_steps", r"(?:linear )?(?:learning[ -]rate )?warm-?(?:ing )?up"
         r"(?: period| phase| steps?| length)?", gap=_WARMUP_GAP, unit_map=(("epoch", "warmup_epochs"),)),
    _fwd("momentum", r"momentum(?: coefficient| term| parameter)?", avoid=r"\bEMA\b|moving average"),
    _fwd("grad_clip", r"(?:gradient|grad\.?)(?: norm)? clipping|clip(?:ped|ping)? (?:the )?(?:gradients?|"
         r"gradient norms?|grad norms?)|max(?:imum)? (?:gradient|grad) norm"),
    _fwd("patch_size", r"patch[ -]size"),
    _fwd("image_size", r"(?:image |input |training |fine-?tuning |train |test )?resolution|image size"),
    _fwd("temperature", r"(?:softmax |sampling )?temperature(?: parameter| coefficient| value)?"),
    _fwd("vocab_size", r"(?:shared )?(?:source-target )?(?:word-?piece |BPE |sentencepiece |token )?"
         r"vocabular(?:y|ies)(?: size)?|vocab(?: size)?"),
    _fwd("max_seq_len", r"(?:max(?:imum)? )?(?:sequence|context|input) length|context (?:window|size)"),
    _fwd("window_size", r"(?<!context )(?:sliding |attention )?window(?: size)?"),
    _fwd("beam_size", r"beam (?:size|width)"),
    _fwd("length_penalty", r"length penalty"),
    _fwd("head_dim", r"head (?:size|dimension|dim)|(?:dimension|size) (?:per|of each) head"),
    _fwd("d_model", r"(?:hidden|model|embedding|residual)(?: stream)? " + _DIM),
    _fwd("d_ff", r"(?:feed-?forward|FFN|MLP|inner[- ]layer|intermediate)(?: hidden)? " + _DIM),
    _fwd("num_heads", r"number of (?:attention )?heads"),
    _fwd("num_layers", r"number of (?:transformer |encoder |decoder )?(?:layers|blocks)"),
    _fwd("num_experts", r"number of experts"),
    _fwd("num_timesteps", r"number of (?:diffusion )?(?:timesteps|diffusion steps)"),
    _fwd("lora_rank", r"(?<!low-)(?<!low )(?:lora )?rank"),
    _fwd("lora_alpha", r"lora (?:alpha|α)"),
    _fwd("rope_theta", r"(?:rope|rotary(?: position(?:al)? embeddings?)?)(?: base(?: frequency)?| theta| θ)"),
    _fwd("norm_eps", r"(?:layer ?norm|rms ?norm|normali[sz]ation) (?:epsilon|ε)"),
    _fwd("adam_eps", r"(?:adamw?(?:'s)? )?epsilon", context=r"adam|optimi[sz]"),
    _fwd("adam_beta1", r"adamw?(?:'s)? (?:beta|β) ?1"),
    _fwd("adam_beta2", r"adamw?(?:'s)? (?:beta|β) ?2"),
    _rx("warmup_steps", "warmup steps", _B + r"{NUM} (?:linear )?(?:learning[ -]rate )?warm-?up "
        r"(?:steps|iterations|updates)"),
    _rx("warmup_steps", "steps of warmup", _B + r"{NUM} (?:steps|iterations|updates) of "
        r"(?:linear )?warm-?up"),
    _rx("num_layers", "-layer", _B + r"{NUM}-layers?\b"),
    _rx("num_layers", "layers", r"\b(?:stack of|consists? of|composed of|with|has|have|uses?|contains?) "
        r"{NUM} (?:identical |transformer |encoder |decoder |hidden |attention |self-attention )?"
        r"(?:layers|blocks)\b"),
    _rx("num_heads", "heads", _B + r"{NUM} (?:parallel )?(?:attention |self-attention )?heads\b"),
    _rx("num_heads", "-head", _B + r"{NUM}-head(?:ed)?\b"),
    _rx("num_kv_heads", "key-value heads", _B + r"{NUM} (?:key-value|kv|key/value) heads\b"),
    _rx("num_experts", "experts", r"\b(?:of|with|has|have|uses?|contains?|comprises?|and) {NUM} "
        r"(?:routed |shared |total )?experts\b"),
    _rx("vocab_size", "vocabulary", _B + r"{NUM}[- ](?:word-?piece |BPE |sentencepiece |subword |token )?"
        r"vocabulary"),
    _rx("vocab_size", "token vocabulary", _B + r"{NUM}-token vocabulary"),
    _rx("vocab_size", "vocabulary has", r"\bvocabular(?:y|ies) (?:has|have|contains?|consists? of|of) "
        r"{NUM} (?:tokens|symbols|words|entries|types)\b"),
    _rx("max_seq_len", "maximum length", r"\bmax(?:imum)? (?:sequence |input |context )?length of {NUM}"
        r"(?: positions| tokens)?\b"),
    _rx("grad_clip", "clipped", r"\bclipped\b[^.;\d]{0,40}?\b(?:norm|value|magnitude)\s*(?:of|to|at)?\s*{NUM}"),
    _rx("num_timesteps", "timesteps", _B + r"{NUM} (?:diffusion |denoising |noise )?(?:timesteps|diffusion "
        r"steps|noise levels)"),
    _rx("patch_size", "patch size", _B + r"(?P<val>\d+) ?[×x] ?(?P=val) (?:input |image )?"
        r"patch(?:es| size)\b"),
    _rx("image_size", "resolution", _B + r"(?P<val>\d+) ?[×x] ?(?P=val) (?:pixels?|resolution|images)\b"),
    _rx("max_steps", "training steps", _TRAINED + rf"\bfor {_ABOUT}{{NUM}} (?:training |gradient |"
        r"optimi[sz]ation )?(?:steps|iterations|updates)\b"),
    _rx("epochs", "epochs", _TRAINED + rf"\bfor {_ABOUT}{{NUM}} (?:training )?epochs\b"),
    _rx("batch_size", "batch tokens", r"\bbatch(?:es)?\b[^.;\d]{0,80}?\b(?:approximately |about |roughly |"
        r"around |~)?{NUM} (?:source |target |input |output )?tokens\b", unit="tokens"),
]  # fmt: skip

_NEGATED = re.compile(
    r"\b(?:no|without)\s+(?P<key>weight[ -]decay|dropout|label[ -]smoothing|warm-?up)\b", re.I
)
_NEGATED_NAMES = {
    "weig": "weight_decay", "drop": "dropout", "labe": "label_smoothing", "warm": "warmup_steps"
}  # fmt: skip

_UNIT_WORDS = {"step": "steps", "iteration": "iterations", "update": "updates", "epoch": "epochs",
               "token": "tokens", "sequence": "sequences", "image": "images", "example": "examples",
               "sample": "samples", "sentence": "sentences", "pair": "pairs", "pixel": "pixels"}  # fmt: skip


_RESPECTIVELY = re.compile(
    rf"(?P<vals>{NUMBER}(?:\s*,\s*{_NUM})*,?\s+and\s+{_NUM}),?\s+respectively", re.I
)


def find_respectively(flat: str) -> tuple[list[Found], list[tuple[int, int]]]:
    """"the model size and FFN hidden size to be 512 and 2048, respectively": the named phrases
    before the list take its values in order, when the counts agree. Also returns the spans of
    such lists, whose numbers no other phrase may take."""
    found: list[Found] = []
    spans: list[tuple[int, int]] = []
    for m in _RESPECTIVELY.finditer(flat):
        spans.append((m.start(), m.end()))
        values = [v for v in re.split(r"\s*,\s*(?:and\s+)?|\s+and\s+", m.group("vals")) if v]
        keys: list[tuple[int, int, str]] = []
        for rule in PHRASES:
            if rule.key is not None:
                keys += [(k.start(), k.end(), rule.name) for k in rule.key.finditer(flat, 0, m.start())]
        keys.sort(key=lambda k: (k[0], -k[1]))
        named: list[tuple[int, int, str]] = []
        for k in keys:
            if not named or k[0] >= named[-1][1]:
                named.append(k)
        named = named[-len(values) :]
        if len(named) != len(values):
            continue
        for (start, end, name), literal in zip(named, values):
            value = parse_value(literal, name)
            if value is not None:
                found.append(Found(name, flat[start:end], value, CANONICAL[name].unit, start))
    return found, spans


def find_phrases(flat: str, wide: str = "") -> list[Found]:
    """Values introduced by words ("batch size of 4096") in ``flat`` (one sentence)."""
    found, lists = find_respectively(flat)
    for rule in PHRASES:
        if rule.context and not re.search(rule.context, flat + " " + wide, re.I):
            continue
        for m in rule.regex.finditer(flat):
            name = rule.name
            unit_word = (m.groupdict().get("unit") or "").lower()
            for prefix, other in rule.unit_map:
                if unit_word.startswith(prefix):
                    name = other
            if name == "epochs" and re.search(r"warm-?up", flat[max(0, m.start() - 30) : m.start()], re.I):
                continue
            if rule.avoid and re.search(rule.avoid, flat, re.I):
                continue
            sym = m.groupdict().get("sym")
            if sym and any(other != name for other, _ in SYMBOLS.get(symbol_key(sym), ())):
                continue  # "hidden size d_ff = 3072": the symbol names the value, not the phrase
            value = parse_value(m.group("val"), name)
            if value is None or continues_expression(flat, m.end("val")):
                continue
            if any(a <= m.start("val") < b for a, b in lists):
                continue
            key = m.groupdict().get("key") or rule.label or name
            unit = _unit(unit_word, name) if unit_word else rule.unit or CANONICAL[name].unit
            found.append(Found(name, key.strip(), value, unit, m.start()))
    return found + find_negated(flat)


def find_negated(flat: str) -> list[Found]:
    """"no weight decay", "without dropout": the value 0."""
    found = []
    for m in _NEGATED.finditer(flat):
        name = _NEGATED_NAMES[m.group("key")[:4].lower()]
        found.append(Found(name, m.group(0), CANONICAL[name].coerce(0), CANONICAL[name].unit, m.start()))
    return found


def _unit(word: str, name: str) -> str | None:
    for prefix, unit in _UNIT_WORDS.items():
        if word.startswith(prefix):
            return unit
    return CANONICAL[name].unit


def find_in_sentence(flat: str, wide: str = "", symbols: dict[str, str] | None = None) -> list[Found]:
    """All values in one flattened sentence, one per (name, value), in order of position."""
    if not any(c.isdigit() for c in flat):
        return find_negated(flat)  # every other pattern needs a number
    found = find_assignments(flat, wide, symbols) + find_phrases(flat, wide)
    best: dict[tuple[str, str], Found] = {}
    for f in found:
        key = (f.name, repr(f.value))
        old = best.get(key)
        if old is None:
            best[key] = f
        elif f.from_symbol and not old.from_symbol:
            f.start = min(f.start, old.start)
            best[key] = f
        elif f.start < old.start and f.from_symbol == old.from_symbol:
            best[key] = f
    return sorted(best.values(), key=lambda f: f.start)
