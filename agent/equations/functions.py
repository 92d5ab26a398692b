"""Named functions the compiler knows, and how their names are written in papers.

``kind``: ``ew`` (element-wise), ``axis`` (works along one axis: softmax, normalisations),
``binary`` (element-wise of two arguments: ``\\max(a, b)``).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Builtin:
    name: str
    kind: str
    arity: int = 1
    note: str = ""


BUILTINS: dict[str, Builtin] = {b.name: b for b in [
    Builtin("exp", "ew"), Builtin("log", "ew"), Builtin("log2", "ew"), Builtin("log10", "ew"),
    Builtin("sqrt", "ew"), Builtin("tanh", "ew"), Builtin("sin", "ew"), Builtin("cos", "ew"),
    Builtin("tan", "ew"), Builtin("sinh", "ew"), Builtin("cosh", "ew"), Builtin("abs", "ew"),
    Builtin("erf", "ew"), Builtin("sigmoid", "ew"), Builtin("relu", "ew"), Builtin("gelu", "ew"),
    Builtin("silu", "ew"), Builtin("swish", "ew"), Builtin("softplus", "ew"), Builtin("normal_cdf", "ew"),
    Builtin("sign", "ew"),
    Builtin("softmax", "axis"), Builtin("log_softmax", "axis"),
    Builtin("layer_norm", "axis", note="LN: layer normalisation over the last axis, eps=1e-5, no affine"),
    Builtin("rms_norm", "axis", note="RMSNorm: x / sqrt(mean(x^2) + 1e-6) over the last axis, no gain"),
    Builtin("maximum", "binary", 2), Builtin("minimum", "binary", 2),
]}

# How papers write them. Keys are matched exactly first, then lower-cased.
ALIASES: dict[str, str] = {
    "exp": "exp", "log": "log", "ln": "log", "lg": "log10", "sqrt": "sqrt", "tanh": "tanh", "sin": "sin",
    "cos": "cos", "tan": "tan", "sinh": "sinh", "cosh": "cosh", "abs": "abs", "erf": "erf",
    "sigmoid": "sigmoid", "sigm": "sigmoid", "sigma": "sigmoid", "relu": "relu", "gelu": "gelu",
    "silu": "silu", "swish": "swish", "softplus": "softplus", "Phi": "normal_cdf", "sgn": "sign",
    "sign": "sign", "softmax": "softmax", "logsoftmax": "log_softmax", "log_softmax": "log_softmax",
    "LN": "layer_norm", "layernorm": "layer_norm", "layer_norm": "layer_norm", "rmsnorm": "rms_norm",
    "rms_norm": "rms_norm", "max": "maximum", "min": "minimum",
}
# Lower-case matches that must not be taken: "ln" the word is not LN the layer norm.
CASE_SENSITIVE = {"LN", "ln", "Phi", "phi", "sigma", "Sigma"}
# Single letters conventionally used for unspecified functions: f(x) is never read as f*x.
FUNCTION_LETTERS = {"f", "g", "h", "F", "G", "H", "phi", "psi", "Psi", "ell", "L", "P", "Pr", "N", "E"}


def lookup(name: str) -> Builtin | None:
    """The builtin a written function name stands for, or None."""
    if name in ALIASES:
        return BUILTINS[ALIASES[name]]
    if name in CASE_SENSITIVE:
        return None
    key = name.lower().replace("-", "").replace(" ", "")
    if key in ALIASES and key not in CASE_SENSITIVE:
        return BUILTINS[ALIASES[key]]
    return None
