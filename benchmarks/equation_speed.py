"""How long one equation takes to compile and verify (target: a typical equation under 0.5 s).

    python benchmarks/equation_speed.py [--repeat 5]

Times, per equation, the whole ``compile_equation`` call (parse, shapes, code, exec, the
element-wise check) after a warm-up that pays the one-off torch/einops imports, and the parts:
build (parse + resolve + types), render + exec, verify. Reports the median of ``--repeat`` runs.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from agent.equations import compile_equation  # noqa: E402
from agent.equations.compile import build_program  # noqa: E402
from agent.equations.source import render  # noqa: E402
from agent.equations.verify import verify  # noqa: E402

TYPICAL: list[tuple[str, str, dict[str, str] | None]] = [
    ("attention", r"\mathrm{Attention}(Q, K, V) = \mathrm{softmax}(\frac{QK^T}{\sqrt{d_k}})V",
     {"Q": "... n d_k", "K": "... m d_k", "V": "... m d_v"}),
    ("ffn", r"\mathrm{FFN}(x)=\max(0, xW_1 + b_1) W_2 + b_2",
     {"x": "... d", "W_1": "d f", "b_1": "f", "W_2": "f d", "b_2": "d"}),
    ("lrate", r"lrate = d_{\text{model}}^{-0.5} \cdot "
     r"\min({step\_num}^{-0.5}, {step\_num} \cdot {warmup\_steps}^{-1.5})", None),
    ("dyt", r"\mathrm{DyT}(\mathbf{x}) = \bm{\gamma} * \tanh(\alpha \mathbf{x}) + \bm{\beta}", None),
    ("rms", r"\mathrm{RMS}(\mathbf{a}) = \sqrt{\frac{1}{n}\sum_{i=1}^{n} a_i^2}", {"a": "... n"}),
    ("layernorm-stats", r"\mu = \frac{1}{H}\sum_{i=1}^{H} a_i, \quad "
     r"\sigma = \sqrt{\frac{1}{H}\sum_{i=1}^{H}(a_i - \mu)^2}", None),
    ("softmax-def", r"\mathrm{softmax}(x)_i = \frac{\exp(x_i)}{\sum_j \exp(x_j)}", None),
    ("swiglu", r"\text{SwiGLU}(x, W, V, b, c, \beta) = \text{Swish}_\beta(xW + b) \otimes (xV + c)",
     {"x": "... d", "W": "d f", "V": "d f", "b": "f", "c": "f"}),
    ("diff-lambda", r"\lambda = \exp( \mathbf{\lambda_{q_1}} \cdot \mathbf{\lambda_{k_1}} ) - "
     r"\exp( \mathbf{\lambda_{q_2}} \cdot \mathbf{\lambda_{k_2}} ) + \lambda_{\text{init}}", None),
    ("batchnorm", r"\mu_B = \frac{1}{m}\sum_{i=1}^{m} x_i \\ \sigma_B^2 = \frac{1}{m}\sum_{i=1}^{m}(x_i - \mu_B)^2 \\"
     r"\hat{x}_i = \frac{x_i - \mu_B}{\sqrt{\sigma_B^2 + \epsilon}} \\ y_i = \gamma\hat{x}_i + \beta", {"x": "m d"}),
    ("shaw-relative", r"e_{ij} = \frac{x_iW^Q(x_jW^K + a^K_{ij})^T}{\sqrt{d_z}}",
     {"x": "n d_x", "W^Q": "d_x d_z", "W^K": "d_x d_z", "a^K": "n n d_z"}),
    ("diff-attn", r"[Q_1 ; Q_2] = X W^Q ,\quad [K_1 ; K_2] = X W^K ,\quad V = X W^V \\ \operatorname{DiffAttn}(X) = "
     r"(\mathrm{softmax}(\frac{Q_1 K^{T}_1}{\sqrt{d}}) - \lambda~\mathrm{softmax}(\frac{Q_2 K^{T}_2}{\sqrt{d}}))V",
     {"X": "... n e", "W^Q": "e (2 d)", "W^K": "e (2 d)", "W^V": "e v"}),
]


def median_seconds(fn, repeat: int) -> float:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    start = time.perf_counter()
    compile_equation(r"y = \mathrm{softmax}(x)", {"x": "... n"})
    print(f"first call (imports torch, einops): {time.perf_counter() - start:.2f} s\n")

    print(f"{'equation':18} {'total ms':>9} {'build':>7} {'render':>7} {'verify':>7}  verified")
    totals = []
    for name, latex, shapes in TYPICAL:
        eq = compile_equation(latex, shapes)
        total = median_seconds(lambda: compile_equation(latex, shapes), args.repeat)  # noqa: B023
        build = median_seconds(lambda: build_program(latex, shapes), args.repeat)  # noqa: B023
        program, notes = build_program(latex, shapes)
        source = render(program, latex, notes)

        def run_render() -> None:
            namespace: dict = {}
            exec(render(program, latex, notes), namespace)  # noqa: B023

        rendering = median_seconds(run_render, args.repeat)
        namespace: dict = {}
        exec(source, namespace)
        checking = median_seconds(lambda: verify(program, namespace[program.name]), args.repeat)  # noqa: B023
        totals.append(total)
        print(f"{name:18} {1000 * total:9.1f} {1000 * build:7.1f} {1000 * rendering:7.1f} {1000 * checking:7.1f}"
              f"  {eq.verified}")
    under = sum(t < 0.5 for t in totals)
    print(f"\nmedian {1000 * statistics.median(totals):.1f} ms, max {1000 * max(totals):.1f} ms; "
          f"{under}/{len(totals)} under 0.5 s")
    return 0 if under == len(totals) else 1


if __name__ == "__main__":
    sys.exit(main())
