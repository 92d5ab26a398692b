"""Tests that tie a compiled paper equation to the catalog component implementing it.

For the components whose internals are known (their weights' names and layouts), a binding maps the
compiled function's arguments onto the module's own tensors and writes a pytest test: the equation
evaluated on those tensors must give the module's output, in float64, on random input. A link no
binding understands (argument names it cannot place) produces no test and is reported in NOTES.md.
"""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from dataclasses import dataclass

from agent.draft.sources import CompiledFunction

_SCALE_NAMES = ("d_k", "d_h", "d", "d_head", "d_q", "head_dim")
_EPS_NAMES = ("epsilon", "eps", "varepsilon")


@dataclass
class LinkTest:
    """One generated test: its function name, source, and the equation and component it ties."""

    name: str
    source: str
    function: str
    component: str


def _call(fn: CompiledFunction, args: dict[str, str], indent: int = 4) -> str:
    """``equations.fn(a=..., b=...)``, one argument a line when it would pass ~100 columns."""
    one_line = f"equations.{fn.name}(" + ", ".join(f"{k}={v}" for k, v in args.items()) + ")" + fn.select
    if len(one_line) + indent + 10 <= 100:
        return one_line
    pad = " " * (indent + 4)
    return (f"equations.{fn.name}(\n" + "".join(f"{pad}{k}={v},\n" for k, v in args.items()) + " " * indent + ")"
            + fn.select)


def _attention(fn: CompiledFunction, symbol: str, grouped: bool) -> str | None:
    tensors = [n for n in fn.inputs if n not in _SCALE_NAMES and n != "M"]
    scale = [n for n in fn.inputs if n in _SCALE_NAMES]
    if len(tensors) != 3 or len(scale) != 1 or len(fn.inputs) - len(tensors) - len(scale) > 1:
        return None
    causal = "M" in fn.inputs
    q, k, v = tensors
    heads = "num_heads=4, num_kv_heads=2" if grouped else "num_heads=2"
    h = 4 if grouped else 2
    head_dim = 16 // h
    lines = [
        f"    module = {symbol}(d_model=16, {heads}, dropout=0.0, causal={causal}).double().eval()",
        "    randomize_(module)",
        "    x = torch.randn(3, 5, 16, dtype=torch.float64)",
        f'    q = rearrange(module.to_q(x), "b n (h d) -> b h n d", h={h})',
    ]
    if grouped:
        lines += [
            '    k, v = rearrange(module.to_kv(x), "b m (two g d) -> two b g m d", two=2, g=2)',
            '    k, v = (repeat(t, "b g m d -> b (g r) m d", r=2) for t in (k, v))',
        ]
    else:
        lines.append(f'    k, v = rearrange(module.to_kv(x), "b m (two h d) -> two b h m d", two=2, h={h})')
    args = {q: "q", k: "k", v: "v", scale[0]: str(head_dim)}
    if causal:
        lines.append('    mask = torch.zeros(5, 5, dtype=torch.float64).masked_fill('
                     'torch.ones(5, 5, dtype=torch.bool).triu(1), float("-inf"))')
        args["M"] = "mask"
    lines += [
        f"    heads = {_call(fn, args)}",
        '    out = module.to_out(rearrange(heads, "b h n d -> b n (h d)"))',
        "    torch.testing.assert_close(out, module(x))",
    ]
    return "\n".join(lines)


def _mha(fn: CompiledFunction, symbol: str) -> str | None:
    return _attention(fn, symbol, grouped=False)


def _gqa(fn: CompiledFunction, symbol: str) -> str | None:
    return _attention(fn, symbol, grouped=True)


def _relu_ffn(fn: CompiledFunction, symbol: str) -> str | None:
    if len(fn.inputs) != 5:
        return None
    x, w1, b1, w2, b2 = fn.inputs
    args = {x: "x", w1: "module.w_1.weight.T", b1: "module.w_1.bias", w2: "module.w_2.weight.T",
            b2: "module.w_2.bias"}
    return "\n".join([
        f"    module = {symbol}(d_model=16, d_ff=32, dropout=0.0).double().eval()",
        "    randomize_(module)",
        "    x = torch.randn(3, 5, 16, dtype=torch.float64)",
        f"    actual = {_call(fn, args)}",
        "    torch.testing.assert_close(actual, module(x))",
    ])


def _glu_ffn(fn: CompiledFunction, symbol: str) -> str | None:
    if len(fn.inputs) != 4:
        return None
    x, gate, value, out = fn.inputs
    args = {x: "x", gate: "module.w.weight.T", value: "module.v.weight.T", out: "module.w_2.weight.T"}
    return "\n".join([
        f"    module = {symbol}(d_model=16, d_ff=24, dropout=0.0).double().eval()",
        "    randomize_(module)",
        "    x = torch.randn(3, 5, 16, dtype=torch.float64)",
        f"    actual = {_call(fn, args)}",
        "    torch.testing.assert_close(actual, module(x))",
    ])


def _norm_args(fn: CompiledFunction, gain: str, bias: str | None, var: str) -> dict[str, str] | None:
    args: dict[str, str] = {}
    for name in fn.inputs:
        if name == "x":
            args[name] = var
        elif name in _EPS_NAMES:
            args[name] = "module.eps"
        elif name in ("g", "gamma", "weight"):
            args[name] = gain
        elif name == "beta" and bias is not None:
            args[name] = bias
        elif name == "mu":
            args[name] = f"{var}.mean(dim=-1, keepdim=True)"
        elif name == "sigma":
            args[name] = f"{var}.var(dim=-1, unbiased=False, keepdim=True).sqrt()"
        elif name in ("d_model", "d", "n"):
            args[name] = f"{var}.shape[-1]"
        else:
            return None
    return args if "x" in args else None


def _norm(fn: CompiledFunction, symbol: str, bias: str | None) -> str | None:
    args = _norm_args(fn, "module.weight", bias, "row")
    if args is None:
        return None
    return "\n".join([
        f"    module = {symbol}(d_model=16).double().eval()",
        "    randomize_(module)",
        "    rows = torch.randn(15, 16, dtype=torch.float64)  # the equation normalises one vector x",
        "    actual = torch.stack([",
        f"        {_call(fn, args, 8)}",
        "        for row in rows",
        "    ])",
        "    torch.testing.assert_close(actual, module(rows))",
    ])


def _rms_norm(fn: CompiledFunction, symbol: str) -> str | None:
    return _norm(fn, symbol, None)


def _layer_norm(fn: CompiledFunction, symbol: str) -> str | None:
    return _norm(fn, symbol, "module.bias")


def _dyt(fn: CompiledFunction, symbol: str) -> str | None:
    args: dict[str, str] = {}
    for name in fn.inputs:
        mapped = {"x": "x", "alpha": "module.alpha", "gamma": "module.weight", "beta": "module.bias"}.get(name)
        if mapped is None:
            return None
        args[name] = mapped
    return "\n".join([
        f"    module = {symbol}(d_model=16).double().eval()",
        "    randomize_(module)",
        "    x = torch.randn(3, 5, 16, dtype=torch.float64)",
        f"    actual = {_call(fn, args)}",
        "    torch.testing.assert_close(actual, module(x))",
    ])


def _noam(fn: CompiledFunction, symbol: str) -> str | None:
    step = next((n for n in fn.inputs if "step" in n), None)
    warmup = next((n for n in fn.inputs if "warmup" in n), None)
    width = next((n for n in fn.inputs if n in ("d_model", "d")), None)
    if None in (step, warmup, width) or len(fn.inputs) != 3:
        return None
    args = {width: "f64(16)", step: "f64(step + 1)", warmup: "f64(10)"}
    return "\n".join([
        "    def f64(value: float) -> torch.Tensor:",
        "        return torch.tensor(float(value), dtype=torch.float64)",
        "",
        "    for step in (0, 1, 5, 9, 10, 11, 50, 500):",
        f"        expected = {symbol}(step, d_model=16, warmup_steps=10)",
        f"        actual = float({_call(fn, args, 8)})",
        "        assert abs(actual - expected) <= 1e-12 * max(1.0, expected)",
    ])


def _diff_attention(fn: CompiledFunction, symbol: str) -> str | None:
    names = {"X", "W_Q", "W_K", "W_V", "d", "lambda_"}
    if set(fn.inputs) != names:
        return None
    args = {"X": "x", "W_Q": "w_q[:, i]", "W_K": "w_k[:, i]", "W_V": "w_v[:, i]", "d": "4", "lambda_": "lam"}
    ordered = {name: args[name] for name in fn.inputs}
    return "\n".join([
        f"    module = {symbol}(d_model=16, num_heads=2, dropout=0.0).double().eval()",
        "    randomize_(module)",
        "    x = torch.randn(5, 16, dtype=torch.float64)",
        '    w_q, w_k, w_v = (rearrange(w.weight.T, "i (h e) -> i h e", h=2) for w in (module.to_q, module.to_k, '
        "module.to_v))",
        "    lam = (torch.exp(torch.dot(module.lambda_q1, module.lambda_k1))",
        "           - torch.exp(torch.dot(module.lambda_q2, module.lambda_k2)) + module.lambda_init)",
        "    per_head = [",
        f"        {_call(fn, ordered, 8)}",
        "        for i in range(2)",
        "    ]",
        "    heads = torch.stack(per_head)  # (h, n, 2d)",
        "    heads = heads * torch.rsqrt(heads.pow(2).mean(dim=-1, keepdim=True) + module.eps) * module.head_norm",
        '    out = module.to_out(rearrange((1 - module.lambda_init) * heads, "h n e -> n (h e)"))',
        "    torch.testing.assert_close(out, module(x[None])[0])",
    ])


def _sinusoid(fn: CompiledFunction, symbol: str) -> str | None:
    names = {"pos", "i", "d_model"}
    if set(fn.inputs) != names:
        return None
    column = 1 if "\\cos" in fn.latex or "cos(" in fn.latex else 0
    args = {name: {"pos": "pos", "i": "i", "d_model": "d_model"}[name] for name in fn.inputs}
    return "\n".join([
        f"    module = {symbol}(d_model=16, max_seq_len=12)",
        "    pos = torch.arange(12, dtype=torch.float64)[:, None]  # positions, one a row",
        "    i = torch.arange(8, dtype=torch.float64)[None, :]  # dimension pairs, one a column",
        "    d_model = torch.tensor(16.0, dtype=torch.float64)",
        f"    actual = {_call(fn, args)}",
        "    # the module keeps its table in the default dtype (float32): compare at float32 precision",
        f"    torch.testing.assert_close(actual, module.pe[:, {column}::2].double(), atol=1e-6, rtol=1e-6)",
    ])


BINDINGS: dict[str, Callable[[CompiledFunction, str], str | None]] = {
    "sinusoidal_position": _sinusoid,
    "multi_head_attention": _mha,
    "grouped_query_attention": _gqa,
    "feed_forward_relu": _relu_ffn,
    "swiglu": _glu_ffn,
    "geglu": _glu_ffn,
    "reglu": _glu_ffn,
    "rms_norm": _rms_norm,
    "layer_norm": _layer_norm,
    "dyt": _dyt,
    "inverse_sqrt_warmup": _noam,
    "differential_attention": _diff_attention,
}


def link_tests(functions: list[CompiledFunction], components: dict[str, str],
               slots: dict[str, str]) -> tuple[list[LinkTest], list[str]]:
    """Tests for the compiled functions linked to a rendered component, and notes on those not linked.

    Args:
        functions: the functions of equations.py.
        components: rendered component name -> its symbol in the generated package.
        slots: slot -> component name (to link by the equation's role when the plan names no component).
    """
    tests: list[LinkTest] = []
    notes: list[str] = []
    for fn in functions:
        name = fn.implemented_by if fn.implemented_by in components else slots.get(fn.role)
        label = f"eq. ({fn.number})" if fn.number else fn.name
        if name is None or name not in components:
            notes.append(f"{label} ({fn.name}) is compiled and verified against its LaTeX, but no rendered "
                         "component implements it")
            continue
        binding = BINDINGS.get(name)
        if len(fn.outputs) > 1:  # a system of equations: test the output named like the component
            keys = {name.replace("_", ""), components[name].lower()}
            index = next((i for i, out in enumerate(fn.outputs) if any(k in out.lower() for k in keys)), None)
            fn.select = f"[{index}]" if index is not None else ""
            binding = binding if index is not None else None
        body = binding(fn, components[name]) if binding else None
        if body is None:
            notes.append(f"{label} ({fn.name}) is implemented by {name}; its arguments "
                         f"({', '.join(fn.inputs)}) are not mapped onto the module automatically, so no "
                         "equivalence test was generated")
            continue
        test_name = f"test_{fn.name.lower()}_matches_{name}"
        doc = textwrap.fill(f"{label} compiled from the paper equals {components[name]} on random input (float64).",
                            width=112, initial_indent='    """', subsequent_indent="    ") + '"""'
        tests.append(LinkTest(test_name, f"def {test_name}() -> None:\n{doc}\n    torch.manual_seed(0)\n{body}\n",
                              fn.name, name))
    return tests, notes
