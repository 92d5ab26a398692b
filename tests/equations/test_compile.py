"""What the compiler covers (issue 3): each equation compiled, verified, and compared with torch written here."""

from __future__ import annotations

import math
import subprocess
import sys

import pytest
import torch
import torch.nn.functional as F

from agent.equations import compile_equation
from tests.equations.helpers import make_inputs


def check(latex: str, shapes: dict[str, str] | None, reference, positive: bool = False, context=None):
    eq = compile_equation(latex, shapes, context=context)
    assert eq.verified, (eq.notes, eq.max_error)
    assert eq.max_error is not None and eq.max_error < 1e-9
    inputs = make_inputs(eq, positive=positive)
    got, want = eq.fn(**inputs), reference(**inputs)
    if isinstance(got, tuple):
        for g, w in zip(got, want, strict=True):
            torch.testing.assert_close(g, torch.as_tensor(w, dtype=torch.float64))
    else:
        torch.testing.assert_close(got, torch.as_tensor(want, dtype=torch.float64))
    return eq


# --- element-wise algebra ---------------------------------------------------------------------


def test_arithmetic_fractions_powers_and_implicit_multiplication() -> None:
    check(r"y = \frac{a + b}{c - d} \cdot h^2 - 2fg", None,
          lambda a, b, c, d, h, f, g: (a + b) / (c - d) * h**2 - 2 * f * g)


def test_roots_exponentials_logs() -> None:
    check(r"y = \sqrt{x} + \exp(x) + e^{-x} + \log x + \ln(x) + \tanh(x) + \sqrt[3]{x}", None,
          lambda x: x.sqrt() + x.exp() + (-x).exp() + 2 * x.log() + x.tanh() + x ** (1 / 3), positive=True)


def test_sigmoid_relu_min_max_abs() -> None:
    check(r"y = \sigma(x) + \max(0, x) + \min(a, b) + \max(a, b) + |x - a|", {"x": "n", "a": "n", "b": "n"},
          lambda x, a, b: torch.sigmoid(x) + x.relu() + torch.minimum(a, b) + torch.maximum(a, b) + (x - a).abs())


def test_constants() -> None:
    eq = check(r"y = \pi x^{-1} + 10^{-9}", None, lambda x: math.pi / x + 1e-9, positive=True)
    assert "math.pi" in eq.source and "1e-09" in eq.source


# --- matrices and vectors ---------------------------------------------------------------------


def test_juxtaposition_is_a_matrix_product_with_batch_dims() -> None:
    eq = check(r"Y = XW + b", {"X": "... n d", "W": "d e", "b": "e"}, lambda X, W, b: X @ W + b)  # noqa: N803
    assert "einsum(X, W" in eq.source and eq.output_shape == "... n e"


def test_transposes_and_matrix_vector_products() -> None:
    check(r"S = QK^T", {"Q": "n d", "K": "m d"}, lambda Q, K: Q @ K.T)  # noqa: N803
    check(r"y = A^\top x", {"A": "n m", "x": "n"}, lambda A, x: A.T @ x)  # noqa: N803
    check(r"y = Wx", {"W": "n m", "x": "m"}, lambda W, x: W @ x)  # noqa: N803
    check(r"M = uv^T", {"u": "n", "v": "m"}, lambda u, v: torch.outer(u, v))


def test_hadamard_and_cdot() -> None:
    check(r"y = a \odot b", {"a": "... n", "b": "n"}, lambda a, b: a * b)
    eq = check(r"s = \mathbf{u} \cdot \mathbf{v}", None, lambda u, v: (u * v).sum())
    assert eq.output_shape == ""  # a dot product of two vectors
    check(r"y = \alpha \cdot \mathbf{x}", None, lambda alpha, x: alpha * x)  # scaling
    check(r"s = \langle u, v \rangle", {"u": "... n", "v": "... n"}, lambda u, v: (u * v).sum(-1))


def test_norms() -> None:
    check(r"n = \|x\| + \|x\|_2 + \|x\|^2 + \|x\|_1", {"x": "... d"},
          lambda x: 2 * x.norm(dim=-1) + (x**2).sum(-1) + x.abs().sum(-1))
    check(r"n = \|W\|_F", {"W": "n m"}, lambda W: W.norm())  # noqa: N803
    check(r"w = \frac{g}{\|\mathbf{v}\|}\mathbf{v}", None, lambda g, v: g * v / v.norm())


# --- index notation ---------------------------------------------------------------------------


def test_sums_with_and_without_limits() -> None:
    eq = check(r"y_i = \sum_j W_{ij} x_j", {"W": "n m"}, lambda W, x: W @ x)  # noqa: N803
    assert "einsum(W, x" in eq.source
    check(r"s = \sum_{i=1}^{n} \sum_{j=1}^{m} A_{ij}", {"A": "n m"}, lambda A: A.sum())  # noqa: N803
    check(r"p = \prod_{i=1}^{n} x_i", {"x": "n"}, lambda x: x.prod(), positive=True)


def test_mean_written_as_fraction_times_sum() -> None:
    eq = check(r"\mu = \frac{1}{n}\sum_{i=1}^{n} x_i", {"x": "... n"}, lambda x: x.mean(-1))
    assert ".mean(" in eq.source and "n" not in eq.inputs


def test_free_indices_on_both_sides() -> None:
    check(r"c_{ij} = a_i b_j", None, lambda a, b: torch.outer(a, b))
    check(r"y_i = x_i + b", None, lambda x, b: x + b)
    check(r"y_{ji} = x_{ij}", {"x": "n m"}, lambda x: x.T)
    check(r"m_i = \max_j s_{ij}", {"s": "n m"}, lambda s: s.amax(-1))


def test_sizes_come_from_shape_letters() -> None:
    eq = check(r"y = \frac{x}{\sqrt{d}}", {"x": "... d"}, lambda x: x / math.sqrt(x.shape[-1]))
    assert eq.inputs == ["x"] and "d = x.shape[-1]" in eq.source


# --- named ML functions -----------------------------------------------------------------------


def test_softmax_temperature_and_axes() -> None:
    check(r"p = \mathrm{softmax}(z / T)", {"z": "... n"}, lambda z, T: torch.softmax(z / T, -1), positive=True)  # noqa: N803
    check(r"p_{ij} = \mathrm{softmax}_i(s_{ij})", {"s": "n m"}, lambda s: torch.softmax(s, 0))
    check(r"\mathrm{softmax}(x)_i = \frac{\exp(x_i)}{\sum_j \exp(x_j)}", None, lambda x: torch.softmax(x, -1))


def test_activations() -> None:
    shapes = {"x": "... n"}
    check(r"y = \mathrm{sigmoid}(x) + \mathrm{ReLU}(x) + \mathrm{GELU}(x) + \mathrm{SiLU}(x) + \mathrm{softplus}(x)",
          shapes, lambda x: torch.sigmoid(x) + x.relu() + F.gelu(x) + F.silu(x) + F.softplus(x))
    check(r"y = \mathrm{Swish}_\beta(x)", shapes, lambda x, beta: x * torch.sigmoid(beta * x))


def test_log_softmax_and_normalisations() -> None:
    eq = check(r"y = \log \mathrm{softmax}(x)", {"x": "... n"}, lambda x: torch.log_softmax(x, -1))
    assert "log_softmax" in eq.source
    check(r"y = \mathrm{LayerNorm}(x)", {"x": "... n"}, lambda x: F.layer_norm(x, x.shape[-1:]))
    check(r"y = \mathrm{RMSNorm}(x)", {"x": "... n"},
          lambda x: x / torch.sqrt((x**2).mean(-1, keepdim=True) + 1e-6))


# --- systems and context ----------------------------------------------------------------------


def test_system_with_intermediates() -> None:
    eq = check(r"a = x W, \quad b = \mathrm{ReLU}(a) + c", {"x": "... d", "W": "d e", "c": "e"},
               lambda x, W, c: (x @ W).relu() + c)  # noqa: N803
    assert eq.name == "b" and "a = einsum(" in eq.source


def test_align_block_with_several_outputs() -> None:
    eq = check("\\begin{align} s &= x + y \\\\ d &= x - y \\end{align}", None, lambda x, y: (x + y, x - y))
    assert eq.output_shape == ", "


def test_context_function_is_called_and_nested_in_the_source() -> None:
    rms = compile_equation(r"\mathrm{RMS}(\mathbf{a}) = \sqrt{\frac{1}{n}\sum_{i=1}^{n} a_i^2}", {"a": "... n"})
    eq = check(r"y = \frac{x}{\mathrm{RMS}(x)} \odot g", {"x": "... n", "g": "n"},
               lambda x, g: x / torch.sqrt((x**2).mean(-1, keepdim=True)) * g, context=[rms])
    assert "def RMS(" in eq.source
    namespace: dict = {}
    exec(eq.source, namespace)  # standalone: the source carries its imports and the nested helper
    inputs = make_inputs(eq)
    torch.testing.assert_close(namespace["y"](**inputs), eq.fn(**inputs))


def test_concatenation_and_split() -> None:
    check(r"[a; b] = x W", {"x": "n d", "W": "d (2 e)"}, lambda x, W: tuple((x @ W).chunk(2, -1)))  # noqa: N803
    check(r"y = [x ; z]", {"x": "n d", "z": "n e"}, lambda x, z: torch.cat([x, z], -1))


# --- generated code quality -------------------------------------------------------------------


def test_generated_source_is_documented_and_lint_clean(tmp_path) -> None:
    eq = compile_equation(r"\mathrm{Attention}(Q, K, V) = \mathrm{softmax}(\frac{QK^T}{\sqrt{d_k}})V",
                          {"Q": "... n d_k", "K": "... m d_k", "V": "... m d_v"})
    assert "\\mathrm{Attention}(Q, K, V)" in eq.source  # the docstring quotes the LaTeX
    assert "Q: shape (... n d_k)." in eq.source and "shape (... n d_v)." in eq.source
    assert "def Attention(Q: torch.Tensor, K: torch.Tensor, V: torch.Tensor) -> torch.Tensor:" in eq.source
    lam = compile_equation(r"\lambda = \exp(\mathbf{\lambda_{q}} \cdot \mathbf{\lambda_{k}}) + \lambda_{\text{init}}")
    sources = [eq.source, lam.source, compile_equation(r"y_i = \sum_j W_{ij} x_j").source]
    for k, source in enumerate(sources):
        (tmp_path / f"gen{k}.py").write_text(source)
    proc = subprocess.run([sys.executable, "-m", "ruff", "check", "--no-cache", "--isolated", "--line-length", "110",
                           "--select", "E,F,W,I", str(tmp_path)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_float32_inputs_work() -> None:
    eq = compile_equation(r"y = \mathrm{softmax}(x W)", {"x": "... d", "W": "d e"})
    out = eq.fn(torch.randn(2, 4, 3), torch.randn(3, 5))
    assert out.dtype == torch.float32 and out.shape == (2, 4, 5)


@pytest.mark.parametrize("latex", [r"y = 2x + 1", r"lrate = d^{-0.5} \cdot \min(s^{-0.5}, s w^{-1.5})"])
def test_scalar_equations_accept_python_numbers(latex: str) -> None:
    eq = compile_equation(latex)
    out = eq.fn(*[2.0] * len(eq.inputs))
    assert torch.isfinite(torch.as_tensor(out))


def test_hoisted_temporaries_keep_function_names_intact() -> None:
    # two hoisted logs become log_out, log_out2: renumbering must never touch torch.log itself
    eq = check(r"y = \log\left(\frac{a_1 + b_1 + c_1 + d_1}{e_1 + f_1}\right) "
               r"- \log\left(\frac{a_2 + b_2 + c_2}{e_2 + f_2}\right) "
               r"+ \log\left(\frac{a_3 + b_3 + c_3}{e_3 + f_3}\right)", None,
               lambda **t: (torch.log((t["a_1"] + t["b_1"] + t["c_1"] + t["d_1"]) / (t["e_1"] + t["f_1"]))
                            - torch.log((t["a_2"] + t["b_2"] + t["c_2"]) / (t["e_2"] + t["f_2"]))
                            + torch.log((t["a_3"] + t["b_3"] + t["c_3"]) / (t["e_3"] + t["f_3"]))), positive=True)
    assert "torch.log2" not in eq.source
