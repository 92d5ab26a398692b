"""Canonical hyperparameter names, with the symbols and words papers use for them.

``CANONICAL`` maps each canonical name (the names of DESIGN.md plus a few that papers need) to a
:class:`CanonicalName`: its value kind and plausible range, default unit, the symbols that denote
it (``d_{model}``, ``\\beta_1``, ``P_{drop}`` ...), and the table headers that name it.

Symbols are compared by :func:`symbol_key` (underscores, braces and backslashes removed; case kept
for one-letter symbols, folded otherwise), so ``d_{\\text{model}}``, ``d_model`` and the PDF's
``dmodel`` meet. A symbol that means different things in different papers (``N``, ``h``, ``\\beta_1``,
``\\epsilon``) only counts when a context word stands near it (``N`` with "layers" or "stack").
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class SymbolRule:
    """A symbol that denotes a hyperparameter, optionally only near certain words."""

    symbol: str  # as a key (see symbol_key): "dmodel", "β1", "N"
    context: str | None = None  # regex that must match near the symbol (case-insensitive)
    avoid: str | None = None  # regex that must not match near the symbol


@dataclass(frozen=True)
class CanonicalName:
    """What paper2code knows about one canonical hyperparameter."""

    name: str
    description: str
    kind: type  # int or float
    low: float  # plausible range, inclusive
    high: float
    unit: str | None = None
    symbols: tuple[SymbolRule, ...] = ()
    headers: tuple[str, ...] = ()  # table header spellings, compared by header_key
    rate: bool = False  # a probability or fraction: "10%" reads as 0.1

    def accepts(self, value: int | float) -> bool:
        """True when ``value`` is plausible for this hyperparameter (kind and range)."""
        if self.kind is int and float(value) != int(value):
            return False
        return self.low <= value <= self.high

    def coerce(self, value: int | float) -> int | float:
        """``value`` as this hyperparameter's kind (``512.0`` -> ``512`` for an int)."""
        if self.kind is int:
            return int(value)
        return float(value)


_OPT = r"adam|optimi[sz]|momentum|sgd|lamb\b|lion\b"
_DIFF = r"diffusion|noise|variance|schedule|forward process|timestep|ddpm"
_S = SymbolRule


def _c(
    name: str,
    description: str,
    kind: type,
    low: float,
    high: float,
    unit: str | None = None,
    symbols: tuple[SymbolRule, ...] = (),
    headers: tuple[str, ...] = (),
    rate: bool = False,
) -> CanonicalName:
    return CanonicalName(name, description, kind, low, high, unit, symbols, headers, rate)


_NAMES = [
    _c("num_layers", "number of layers (blocks) in the stack", int, 1, 2000, None,
       (_S("nlayers"), _S("numlayers"), _S("N", r"layers?\b|stack|blocks?\b|depth"),
        _S("L", r"layers?\b|blocks?\b|depth")),
       ("layers", "num layers", "n layers", "number of layers", "#layers", "depth", "blocks", "n",
        "l", "encoder layers", "transformer layers")),
    _c("d_model", "model (hidden, embedding) width", int, 2, 1_000_000, None,
       (_S("dmodel"), _S("dmod"), _S("demb"), _S("dhidden"), _S("D", r"hidden|width|dimension|embedding")),
       ("d model", "dmodel", "hidden size", "hidden dimension", "model dimension", "model dim", "dim",
        "dimension", "width", "embedding dimension", "embedding size", "embed dim", "d", "hidden")),
    _c("d_ff", "inner width of the feed-forward (MLP) block", int, 2, 10_000_000, None,
       (_S("dff"), _S("dffn"), _S("dinner"), _S("dmlp")),
       ("d ff", "dff", "d ffn", "mlp size", "mlp dim", "mlp dimension", "ffn dim", "ffn dimension",
        "ffn size", "feed-forward dim", "feedforward dim", "hidden dim", "intermediate size",
        "inner dim", "filter size", "ff dim")),
    _c("num_heads", "number of attention heads", int, 1, 4096, None,
       (_S("nheads"), _S("numheads"), _S("h", r"heads?\b|attention"), _S("H", r"heads?\b|attention")),
       ("heads", "num heads", "n heads", "number of heads", "#heads", "attention heads", "h")),
    _c("num_kv_heads", "number of key/value heads (grouped-query attention)", int, 1, 4096, None,
       (_S("nkvheads"), _S("numkvheads"), _S("G", r"groups?\b|key-value|kv")),
       ("kv heads", "n kv heads", "num kv heads", "key-value heads", "query groups", "kv groups")),
    _c("head_dim", "width of one attention head", int, 1, 100_000, None,
       (_S("dhead"), _S("headdim"), _S("dh"), _S("Dh")),
       ("head dim", "head dimension", "head size", "d head", "dim per head")),
    _c("d_k", "width of the keys and queries of one head", int, 1, 100_000, None, (_S("dk"),), ("d k", "dk")),
    _c("d_v", "width of the values of one head", int, 1, 100_000, None, (_S("dv"),), ("d v", "dv")),
    _c("dropout", "dropout probability", float, 0.0, 0.95, None,
       (_S("pdrop"), _S("pdropout"), _S("p", r"dropout")),
       ("dropout", "p drop", "pdrop", "dropout rate", "residual dropout", "dropout prob"), rate=True),
    _c("attention_dropout", "dropout probability on attention weights", float, 0.0, 0.95, None,
       (_S("pattn"), _S("pattdrop")), ("attention dropout", "attn dropout", "attn drop"), rate=True),
    _c("label_smoothing", "label smoothing factor", float, 0.0, 0.95, None,
       (_S("εls"), _S("epsilonls"), _S("els")), ("label smoothing", "ε ls", "εls"), rate=True),
    _c("learning_rate", "(peak) learning rate", float, 1e-9, 10.0, None,
       (_S("lr"), _S("η", r"learning|step size|\blr\b"), _S("α", r"learning rate|step size")),
       ("learning rate", "lr", "base lr", "peak lr", "max lr", "peak learning rate", "base learning rate")),
    _c("warmup_steps", "learning-rate warm-up length", int, 0, 10_000_000, "steps",
       (_S("warmupsteps"), _S("nwarmup"), _S("twarmup")), ("warmup steps", "warmup", "warm-up steps")),
    _c("warmup_epochs", "learning-rate warm-up length in epochs", float, 0, 1000, "epochs", (),
       ("warmup epochs",)),
    _c("batch_size", "batch size", int, 1, 1_000_000_000, None,
       (_S("B", r"batch"), _S("bs"), _S("batchsize")), ("batch size", "batch", "bs", "global batch size")),
    _c("weight_decay", "weight decay coefficient", float, 0.0, 10.0, None,
       (_S("λ", r"weight decay"), _S("wd")), ("weight decay", "wd", "weight-decay"), rate=True),
    _c("adam_beta1", "Adam β1", float, 0.5, 0.99999, None,
       (_S("β1", None, _DIFF),), ("β1", "beta1", "adam β1")),
    _c("adam_beta2", "Adam β2", float, 0.5, 0.999999, None,
       (_S("β2", None, _DIFF),), ("β2", "beta2", "adam β2")),
    _c("adam_eps", "Adam ε", float, 1e-20, 1e-2, None,
       (_S("ε", _OPT, r"norm"), _S("epsilon", _OPT, r"norm"), _S("εadam")), ("adam ε", "adam epsilon")),
    _c("momentum", "SGD momentum", float, 0.0, 0.99999, None, (_S("μ", r"momentum"),), ("momentum",)),
    _c("grad_clip", "gradient clipping (max norm)", float, 1e-6, 1e4, None, (),
       ("grad clip", "gradient clipping", "clip norm", "max grad norm", "grad norm clip", "clip",
        "clipping", "gradient clip")),
    _c("patch_size", "image patch side", int, 1, 2048, "pixels", (_S("P", r"patch"),),
       ("patch size", "patch")),
    _c("image_size", "input image side (resolution)", int, 8, 100_000, "pixels", (),
       ("resolution", "image size", "input size", "image resolution", "res")),
    _c("num_timesteps", "number of diffusion timesteps", int, 1, 1_000_000, "steps",
       (_S("T", r"diffusion|timesteps?|noise|steps"),), ("timesteps", "diffusion steps", "t")),
    _c("beta_start", "first value of the noise schedule β_1", float, 1e-8, 0.1, None,
       (_S("β1", _DIFF), _S("βstart")), ("β start", "beta start")),
    _c("beta_end", "last value of the noise schedule β_T", float, 1e-6, 0.999, None,
       (_S("βT", _DIFF), _S("βend")), ("β end", "beta end", "βt")),
    _c("lora_rank", "LoRA rank r", int, 1, 100_000, None, (_S("r", r"\brank|lora"),),
       ("rank", "lora rank", "r", "lora r")),
    _c("lora_alpha", "LoRA scaling α", float, 1e-6, 1e6, None,
       (_S("α", r"lora|low-rank", r"learning rate|length penalty"),), ("lora α", "lora alpha", "α", "alpha")),
    _c("temperature", "softmax / contrastive temperature", float, 1e-6, 1000.0, None,
       (_S("τ", r"temperature"),), ("temperature", "τ")),
    _c("epochs", "number of training epochs", int, 1, 1_000_000, "epochs", (_S("nepochs"), _S("numepochs")),
       ("epochs", "#epochs", "num epochs", "training epochs", "# epochs")),
    _c("max_steps", "number of training steps", int, 1, 1_000_000_000, "steps",
       (_S("trainsteps"), _S("maxsteps"), _S("ntrain")),
       ("train steps", "training steps", "steps", "iterations", "max steps", "total steps", "updates")),
    _c("vocab_size", "vocabulary size", int, 2, 100_000_000, "tokens", (_S("V", r"vocab"), _S("vocabsize")),
       ("vocab size", "vocab", "vocabulary", "vocabulary size", "|v|")),
    _c("max_seq_len", "maximum sequence (context) length", int, 1, 100_000_000, "tokens",
       (_S("contextlen"), _S("maxseqlen"), _S("seqlen"), _S("nctx")),
       ("context len", "context length", "sequence length", "seq len", "max seq len", "context",
        "max sequence length", "n ctx")),
    _c("window_size", "sliding attention window", int, 1, 100_000_000, "tokens",
       (_S("W", r"window"), _S("windowsize")), ("window size", "window", "sliding window")),
    _c("rope_theta", "rotary embedding base θ", float, 1.0, 1e12, None,
       (_S("θ", r"rope|rotary|base"), _S("ropetheta")), ("rope theta", "rope base", "rotary base", "θ")),
    _c("norm_eps", "ε of LayerNorm / RMSNorm", float, 1e-20, 1e-2, None,
       (_S("ε", r"norm"), _S("normeps")), ("norm eps", "layernorm ε", "rmsnorm ε", "norm ε", "ln eps")),
    _c("num_experts", "number of experts (mixture of experts)", int, 1, 1_000_000, None,
       (_S("nexperts"), _S("numexperts"), _S("E", r"experts")),
       ("num experts", "experts", "n experts", "number of experts", "#experts")),
    _c("experts_per_token", "experts selected per token (top-k routing)", int, 1, 1024, None,
       (_S("topkexperts"),), ("top k experts", "active experts", "experts per token", "experts per tok")),
    _c("max_relative_position", "clipping distance k of relative positions", int, 1, 100_000, None,
       (_S("k", r"clip|relative position"),), ("clipping distance", "max relative position", "relative clipping")),
    _c("aux_loss_weight", "weight of the auxiliary load-balancing loss (mixture of experts)", float, 0.0, 10.0,
       None, (_S("α", r"balanc|auxiliary|aux\b"), _S("wimportance"), _S("αaux")),
       ("aux loss weight", "load balancing loss weight", "balance loss weight", "auxiliary loss weight",
        "balance factor", "aux loss coefficient", "load balancing coefficient")),
    _c("beam_size", "beam width at inference", int, 1, 1024, None, (), ("beam size", "beam")),
    _c("length_penalty", "length penalty α of beam search", float, 0.0, 10.0, None,
       (_S("α", r"length penalty"),), ("length penalty",)),
]  # fmt: skip

CANONICAL: dict[str, CanonicalName] = {c.name: c for c in _NAMES}


def symbol_key(symbol: str) -> str:
    """Comparable form of a flattened symbol: ``d_model`` / ``dmodel`` -> ``dmodel``, ``β_1`` -> ``β1``.

    One-letter symbols keep their case (``N`` is not ``n``); longer ones are folded to lower case.
    """
    key = re.sub(r"[\s_{}\\$^()]", "", symbol).replace("ϵ", "ε")
    key = re.sub(r"^(?:var)?epsilon", "ε", key)
    key = re.sub(r"^beta", "β", key)
    return key if len(key) <= 1 else key.lower()


def header_key(header: str) -> str:
    """Comparable form of a table header: lower case, letters and digits (and Greek) only."""
    return re.sub(r"[^a-z0-9\u0370-\u03ff|#]", "", header.lower())


# symbol key -> [(canonical name, rule)], case-sensitive for one-letter keys
SYMBOLS: dict[str, list[tuple[str, SymbolRule]]] = {}
for _name in CANONICAL.values():
    for _rule in _name.symbols:
        SYMBOLS.setdefault(symbol_key(_rule.symbol), []).append((_name.name, _rule))

# header key -> canonical name; first definition wins
HEADERS: dict[str, str] = {}
for _name in CANONICAL.values():
    for _h in _name.headers:
        HEADERS.setdefault(header_key(_h), _name.name)
