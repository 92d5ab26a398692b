"""Equations transcribed from the papers in ../shared/papers, each with an independent torch reference.

Every entry names its paper and where the equation is (equation number, section or algorithm).
LaTeX-source papers are transcribed from their .tex (macros expanded by hand: ``\\vx`` ->
``\\mathbf{x}``, ``\\dmodel`` -> ``d_{\\text{model}}``); PDF-only papers from the printed formula.
References are written directly in torch from the paper's meaning, never from the compiler's output.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import torch
import torch.nn.functional as F


@dataclass(frozen=True)
class Entry:
    id: str
    paper: str
    where: str
    latex: str
    reference: Callable[..., object]
    shapes: dict[str, str] = field(default_factory=dict)
    context: tuple[str, ...] = ()  # ids of entries compiled first and passed as context
    positive: bool = False  # draw inputs in (0.5, 1.5): the formula needs positive values


def _softmax(x: torch.Tensor, dim: int = -1) -> torch.Tensor:
    e = torch.exp(x - x.amax(dim=dim, keepdim=True))
    return e / e.sum(dim=dim, keepdim=True)


def _gelu(x: torch.Tensor) -> torch.Tensor:
    return 0.5 * x * (1 + torch.erf(x / math.sqrt(2)))


def _layer_norm(x: torch.Tensor, eps: float = 1e-5) -> torch.Tensor:
    mean = x.mean(-1, keepdim=True)
    var = ((x - mean) ** 2).mean(-1, keepdim=True)
    return (x - mean) / torch.sqrt(var + eps)


def _attention(Q, K, V):  # noqa: N803 - paper names
    return _softmax(Q @ K.transpose(-1, -2) / math.sqrt(Q.shape[-1])) @ V


def _lambda(lambda_q_1, lambda_k_1, lambda_q_2, lambda_k_2, lambda_init):
    return torch.exp((lambda_q_1 * lambda_k_1).sum()) - torch.exp((lambda_q_2 * lambda_k_2).sum()) + lambda_init


def _diff_attn(X, W_Q, W_K, W_V, lambda_q_1, lambda_k_1, lambda_q_2, lambda_k_2, lambda_init):  # noqa: N803
    q1, q2 = (X @ W_Q).split(W_Q.shape[-1] // 2, dim=-1)
    k1, k2 = (X @ W_K).split(W_K.shape[-1] // 2, dim=-1)
    d = q1.shape[-1]
    lam = _lambda(lambda_q_1, lambda_k_1, lambda_q_2, lambda_k_2, lambda_init)
    a1 = _softmax(q1 @ k1.transpose(-1, -2) / math.sqrt(d))
    a2 = _softmax(q2 @ k2.transpose(-1, -2) / math.sqrt(d))
    return (a1 - lam * a2) @ (X @ W_V)


def _reattn(X, W_Q_1, W_Q_2, W_K_1, W_K_2, W_V, W_O):  # noqa: N803
    q1, q2, k1, k2 = X @ W_Q_1, X @ W_Q_2, X @ W_K_1, X @ W_K_2
    d = W_Q_1.shape[-1]
    a = _softmax((q1 @ k1.transpose(-1, -2) + q2 @ k2.transpose(-1, -2)) / math.sqrt(2 * d))
    return (a @ (X @ W_V)) @ W_O


def _rms(a):
    return torch.sqrt((a**2).mean(-1))


def _glu_ffn(act):
    return lambda x, W, V, W_2: (act(x @ W) * (x @ V)) @ W_2  # noqa: N803


def _glu(act):
    return lambda x, W, V, b, c: act(x @ W + b) * (x @ V + c)  # noqa: N803


def _identity(x):
    return x


VEC = {"x": "... d", "W": "d f", "V": "d f", "b": "f", "c": "f"}
FFN3 = {"x": "... d", "W": "d f", "V": "d f", "W_2": "f d"}
ATTN = {"Q": "... n d_k", "K": "... m d_k", "V": "... m d_v"}

CORPUS: list[Entry] = [
    # --- Attention Is All You Need (transformer/*.tex) -------------------------------------------
    Entry("transformer-1", "transformer", "eq. (1), model_architecture.tex",
          r"\mathrm{Attention}(Q, K, V) = \mathrm{softmax}(\frac{QK^T}{\sqrt{d_k}})V", _attention, ATTN),
    Entry("transformer-2", "transformer", "eq. (2), model_architecture.tex",
          r"\mathrm{FFN}(x)=\max(0, xW_1 + b_1) W_2 + b_2",
          lambda x, W_1, b_1, W_2, b_2: torch.clamp(x @ W_1 + b_1, min=0) @ W_2 + b_2,  # noqa: N803
          {"x": "... d", "W_1": "d f", "b_1": "f", "W_2": "f d", "b_2": "d"}),
    Entry("transformer-3", "transformer", "eq. (3), training.tex",
          r"lrate = d_{\text{model}}^{-0.5} \cdot \min({step\_num}^{-0.5}, {step\_num} \cdot {warmup\_steps}^{-1.5})",
          lambda d_model, step_num, warmup_steps: d_model**-0.5 * torch.minimum(step_num**-0.5,
                                                                                step_num * warmup_steps**-1.5),
          positive=True),
    Entry("transformer-pe-sin", "transformer", "§3.5 positional encoding, model_architecture.tex",
          r"PE_{(pos,2i)} = sin(pos / 10000^{2i/d_{\text{model}}})",
          lambda pos, i, d_model: torch.sin(pos / 10000 ** (2 * i / d_model)), {"pos": "n", "i": "n"},
          positive=True),
    Entry("transformer-pe-cos", "transformer", "§3.5 positional encoding, model_architecture.tex",
          r"PE_{(pos,2i+1)} = cos(pos / 10000^{2i/d_{\text{model}}})",
          lambda pos, i, d_model: torch.cos(pos / 10000 ** (2 * i / d_model)), {"pos": "n", "i": "n"},
          positive=True),
    Entry("transformer-ffn-attention", "transformer", "appendix, parameter_attention.tex",
          r"FFN(x, W_1, W_2) = ReLU(xW_1)W_2",
          lambda x, W_1, W_2: torch.relu(x @ W_1) @ W_2, {"x": "... d", "W_1": "d f", "W_2": "f d"}),  # noqa: N803
    Entry("transformer-a-qkv", "transformer", "appendix, parameter_attention.tex",
          r"A(q, K, V) = Softmax(qK^T)V",
          lambda q, K, V: _softmax(q @ K.T) @ V, {"q": "d", "K": "m d", "V": "m e"}),  # noqa: N803
    # --- Differential Transformer (rcb/Diff-Transformer/paper.tex) --------------------------------
    Entry("diff-lambda", "Diff-Transformer", "eq. (2) eq:lambda",
          r"\lambda = \exp( \mathbf{\lambda_{q_1}} \cdot \mathbf{\lambda_{k_1}} ) - "
          r"\exp( \mathbf{\lambda_{q_2}} \cdot \mathbf{\lambda_{k_2}} ) + \lambda_{\text{init}}", _lambda),
    Entry("diff-attn", "Diff-Transformer", "eq. (1) eq:diffattn, with eq. (2) as context",
          r"""\begin{aligned}
\label{eq:diffattn}
\relax [Q_1 ; Q_2&] = X W^Q ,\quad [K_1 ; K_2] = X W^K ,\quad V = X W^V \\
\operatorname{DiffAttn}&(X) = (\mathrm{softmax}(\frac{Q_1 K^{T}_1}{\sqrt{d}}) - \lambda~"""
          r"""\mathrm{softmax}(\frac{Q_2 K^{T}_2}{\sqrt{d}}))V
\end{aligned}""", _diff_attn, {"X": "... n e", "W^Q": "e (2 d)", "W^K": "e (2 d)", "W^V": "e v"},
          context=("diff-lambda",)),
    Entry("diff-head-ln", "Diff-Transformer", "eq. (3) eq:multihead, second line",
          r"\overline{{\mathrm{head}_i}} &= (1 - \lambda_{\text{init}}) \cdot \operatorname{LN}( \mathrm{head}_i ) \\",
          lambda head_i, lambda_init: (1 - lambda_init) * _layer_norm(head_i), {"head_i": "... n d"}),
    Entry("diff-reattn", "Diff-Transformer", "appendix eq:reattn",
          r"""\begin{gathered}
\label{eq:reattn}
\relax [Q_1 ; Q_2] = [X W^{Q_1} ; X W^{Q_2}] ,\quad [K_1 ; K_2] = [X W^{K_1} ; X W^{K_2}] ,\quad V = X W^V \\
A = \mathrm{softmax}(\frac{Q_1 K^{T}_1 + Q_2 K^{T}_2}{\sqrt{2d}}) \\
O = (AV)W^O
\end{gathered}""", _reattn,
          {"X": "... n e", "W^{Q_1}": "e d", "W^{Q_2}": "e d", "W^{K_1}": "e d", "W^{K_2}": "e d", "W^V": "e v",
           "W^O": "v o"}),
    Entry("diff-rediff-a", "Diff-Transformer", "appendix eq:rediff, second line",
          r"A_1 = \mathrm{softmax}(\frac{Q_1 K^{T}_1}{\sqrt{d}}), \quad "
          r"A2 = \mathrm{softmax}(\frac{Q_2 K^{T}_2}{\sqrt{d}}) \\",
          lambda Q_1, K_1, Q_2, K_2: (_softmax(Q_1 @ K_1.transpose(-1, -2) / math.sqrt(Q_1.shape[-1])),  # noqa: N803
                                      _softmax(Q_2 @ K_2.transpose(-1, -2) / math.sqrt(Q_2.shape[-1]))),
          {"Q_1": "... n d", "K_1": "... m d", "Q_2": "... n d", "K_2": "... m d"}),
    # --- Transformers without Normalization (rcb/DyT/paper.tex) -----------------------------------
    Entry("dyt-normalization", "DyT", "eq. (1)",
          r"\mathrm{normalization}(\mathbf{x}) = \bm \gamma * \left ( \frac{\mathbf{x} - \bm \mu}"
          r"{\sqrt{\bm \sigma^2 + \epsilon }}  \right ) + \bm \beta",
          lambda x, gamma, mu, sigma, epsilon, beta: gamma * (x - mu) / torch.sqrt(sigma**2 + epsilon) + beta,
          positive=True),
    Entry("dyt", "DyT", "eq. (2)",
          r"\mathrm{DyT}(\mathbf{x}) = \bm{\gamma} * \tanh(\alpha \mathbf{x}) + \bm{\beta}",
          lambda x, gamma, alpha, beta: gamma * torch.tanh(alpha * x) + beta),
    # --- RMSNorm (rmsnorm/paper.pdf) ------------------------------------------------------------
    Entry("rmsnorm-1", "rmsnorm", "eq. (1), left",
          r"a_i = \sum_{j=1}^{m} w_{ij} x_j", lambda w, x: w @ x, {"w": "n m", "x": "m"}),
    Entry("rmsnorm-2", "rmsnorm", "eq. (2), left",
          r"\bar{a}_i = \frac{a_i - \mu}{\sigma} g_i", lambda a, mu, sigma, g: (a - mu) / sigma * g,
          {"a": "n", "g": "n"}),
    Entry("rmsnorm-3", "rmsnorm", "eq. (3)",
          r"\mu = \frac{1}{n}\sum_{i=1}^{n} a_i, \quad \sigma = \sqrt{\frac{1}{n}\sum_{i=1}^{n} (a_i - \mu)^2}",
          lambda a: torch.sqrt(((a - a.mean(-1, keepdim=True)) ** 2).mean(-1)), {"a": "... n"}),
    Entry("rmsnorm-rms", "rmsnorm", "eq. (4), right",
          r"\mathrm{RMS}(\mathbf{a}) = \sqrt{\frac{1}{n}\sum_{i=1}^{n} a_i^2}", _rms, {"a": "... n"}),
    Entry("rmsnorm-4", "rmsnorm", "eq. (4), left, with RMS as context",
          r"\bar{a}_i = \frac{a_i}{\mathrm{RMS}(\mathbf{a})} g_i", lambda a, g: a / _rms(a) * g, {"a": "n", "g": "n"},
          context=("rmsnorm-rms",)),
    # --- Layer Normalization (layernorm/paper.pdf) -----------------------------------------------
    Entry("layernorm-3", "layernorm", "eq. (3)",
          r"\mu^l = \frac{1}{H}\sum_{i=1}^{H} a_i^l \qquad "
          r"\sigma^l = \sqrt{\frac{1}{H}\sum_{i=1}^{H}(a_i^l - \mu^l)^2}",
          lambda a_l: torch.sqrt(((a_l - a_l.mean(-1, keepdim=True)) ** 2).mean(-1)), {"a^l": "... H"}),
    Entry("layernorm-2", "layernorm", "eq. (2), left",
          r"\bar{a}^l_i = \frac{g^l_i}{\sigma^l_i}\left(a^l_i - \mu^l_i\right)",
          lambda g_l, sigma_l, a_l, mu_l: g_l / sigma_l * (a_l - mu_l),
          {"a^l": "H", "g^l": "H", "sigma^l": "H", "mu^l": "H"}, positive=True),
    # --- Batch Normalization (batchnorm/paper.pdf), Algorithm 1 -----------------------------------
    Entry("batchnorm-alg1", "batchnorm", "Algorithm 1 (BN transform)",
          r"\mu_B = \frac{1}{m}\sum_{i=1}^{m} x_i \\ \sigma_B^2 = \frac{1}{m}\sum_{i=1}^{m}(x_i - \mu_B)^2 \\"
          r"\hat{x}_i = \frac{x_i - \mu_B}{\sqrt{\sigma_B^2 + \epsilon}} \\ y_i = \gamma\hat{x}_i + \beta",
          lambda x, epsilon, gamma, beta: gamma * (x - x.mean(0)) / torch.sqrt(x.var(0, unbiased=False) + epsilon)
          + beta, {"x": "m"}, positive=True),
    Entry("batchnorm-mean", "batchnorm", "Algorithm 1, line 1",
          r"\mu_B \leftarrow \frac{1}{m}\sum_{i=1}^{m} x_i", lambda x: x.mean(0), {"x": "m"}),
    # --- GLU Variants Improve Transformer (glu_variants/paper.pdf) --------------------------------
    Entry("glu-1", "glu_variants", "eq. (1)",
          r"\text{FFN}(x, W_1, W_2, b_1, b_2) = \max(0, xW_1 + b_1)W_2 + b_2",
          lambda x, W_1, W_2, b_1, b_2: torch.relu(x @ W_1 + b_1) @ W_2 + b_2,  # noqa: N803
          {"x": "... d", "W_1": "d f", "W_2": "f d", "b_1": "f", "b_2": "d"}),
    Entry("glu-2", "glu_variants", "eq. (2)",
          r"\text{FFN}_{\text{ReLU}}(x, W_1, W_2) = \max(xW_1, 0)W_2",
          lambda x, W_1, W_2: torch.relu(x @ W_1) @ W_2, {"x": "... d", "W_1": "d f", "W_2": "f d"}),  # noqa: N803
    Entry("glu-3-gelu", "glu_variants", "eq. (3), first line",
          r"\text{FFN}_{\text{GELU}}(x, W_1, W_2) = \text{GELU}(xW_1)W_2",
          lambda x, W_1, W_2: _gelu(x @ W_1) @ W_2, {"x": "... d", "W_1": "d f", "W_2": "f d"}),  # noqa: N803
    Entry("glu-3-swish", "glu_variants", "eq. (3), second line",
          r"\text{FFN}_{\text{Swish}}(x, W_1, W_2) = \text{Swish}_1(xW_1)W_2",
          lambda x, W_1, W_2: F.silu(x @ W_1) @ W_2, {"x": "... d", "W_1": "d f", "W_2": "f d"}),  # noqa: N803
    Entry("glu-gelu-def", "glu_variants", "§1, GELU", r"\text{GELU}(x) = x\Phi(x)", _gelu),
    Entry("glu-swish-def", "glu_variants", "§1, Swish",
          r"\text{Swish}_\beta(x) = x\sigma(\beta x)", lambda x, beta: x * torch.sigmoid(beta * x)),
    Entry("glu-4-glu", "glu_variants", "eq. (4), GLU",
          r"\text{GLU}(x, W, V, b, c) = \sigma(xW + b) \otimes (xV + c)", _glu(torch.sigmoid), VEC),
    Entry("glu-4-bilinear", "glu_variants", "eq. (4), Bilinear",
          r"\text{Bilinear}(x, W, V, b, c) = (xW + b) \otimes (xV + c)", _glu(_identity), VEC),
    Entry("glu-5-reglu", "glu_variants", "eq. (5), ReGLU",
          r"\text{ReGLU}(x, W, V, b, c) = \max(0, xW + b) \otimes (xV + c)", _glu(torch.relu), VEC),
    Entry("glu-5-geglu", "glu_variants", "eq. (5), GEGLU",
          r"\text{GEGLU}(x, W, V, b, c) = \text{GELU}(xW + b) \otimes (xV + c)", _glu(_gelu), VEC),
    Entry("glu-5-swiglu", "glu_variants", "eq. (5), SwiGLU",
          r"\text{SwiGLU}(x, W, V, b, c, \beta) = \text{Swish}_\beta(xW + b) \otimes (xV + c)",
          lambda x, W, V, b, c, beta: (lambda h: h * torch.sigmoid(beta * h))(x @ W + b) * (x @ V + c),  # noqa: N803
          VEC),
    Entry("glu-6-glu", "glu_variants", "eq. (6), FFN_GLU",
          r"\text{FFN}_{\text{GLU}}(x, W, V, W_2) = (\sigma(xW) \otimes xV)W_2", _glu_ffn(torch.sigmoid), FFN3),
    Entry("glu-6-bilinear", "glu_variants", "eq. (6), FFN_Bilinear",
          r"\text{FFN}_{\text{Bilinear}}(x, W, V, W_2) = (xW \otimes xV)W_2", _glu_ffn(_identity), FFN3),
    Entry("glu-6-reglu", "glu_variants", "eq. (6), FFN_ReGLU",
          r"\text{FFN}_{\text{ReGLU}}(x, W, V, W_2) = (\max(0, xW) \otimes xV)W_2", _glu_ffn(torch.relu), FFN3),
    Entry("glu-6-geglu", "glu_variants", "eq. (6), FFN_GEGLU",
          r"\text{FFN}_{\text{GEGLU}}(x, W, V, W_2) = (\text{GELU}(xW) \otimes xV)W_2", _glu_ffn(_gelu), FFN3),
    Entry("glu-6-swiglu", "glu_variants", "eq. (6), FFN_SwiGLU",
          r"\text{FFN}_{\text{SwiGLU}}(x, W, V, W_2) = (\text{Swish}_1(xW) \otimes xV)W_2", _glu_ffn(F.silu), FFN3),
    # --- RoFormer (roformer/paper.pdf) -----------------------------------------------------------
    Entry("roformer-theta", "roformer", "eq. (15), rotary frequencies",
          r"\theta_i = 10000^{-2(i-1)/d}, i \in [1, 2, ..., d/2]",
          lambda i, d: 10000 ** (-2 * (i - 1) / d), {"i": "n"}, positive=True),
    Entry("roformer-2-a", "roformer", "eq. (2), attention weights",
          r"a_{m,n} = \frac{\exp(\frac{q_m^{\intercal} k_n}{\sqrt{d}})}"
          r"{\sum_{j=1}^{N} \exp(\frac{q_m^{\intercal} k_j}{\sqrt{d}})}",
          lambda q, k: _softmax(q @ k.T / math.sqrt(q.shape[-1])), {"q": "M d", "k": "N d"}),
    Entry("roformer-2-o", "roformer", "eq. (2), attention output",
          r"o_m = \sum_{n=1}^{N} a_{m,n} v_n", lambda a, v: a @ v, {"a": "M N", "v": "N e"}),
    # --- min-p sampling (rcb/minp/paper.tex) -----------------------------------------------------
    Entry("minp-scaled", "minp", "§3, eq. p_scaled",
          r"p_{\text{scaled}} = p_{\text{base}} \times p_{\max}", lambda p_base, p_max: p_base * p_max),
    # --- Schedule-Free optimisation (rcb/schedule_free/paper.tex) ---------------------------------
    Entry("schedule-free-1", "schedule_free", "primal averaging update (first align)",
          r"z_{t+1} & =z_{t}-\gamma g_t\\ x_{t+1} & =\left(1-c_{t+1}\right)x_{t}+c_{t+1}z_{t+1},",
          lambda z_t, gamma, g_t, c_t_plus_1, x_t: (1 - c_t_plus_1) * x_t + c_t_plus_1 * (z_t - gamma * g_t),
          {"z_t": "d", "g_t": "d", "x_t": "d"}),
    Entry("schedule-free-y", "schedule_free", "§2, y_t interpolation",
          r"y_t &= \beta_tx_t + (1-\beta_t)z_t\\",
          lambda beta, x, z: beta[:, None] * x + (1 - beta[:, None]) * z, {"beta": "T", "x": "T d", "z": "T d"}),
    Entry("schedule-free-gamma", "schedule_free", "§4, step size",
          r"\gamma_t = \frac{D}{G\sqrt{t}}.", lambda D, G, t: D / (G * torch.sqrt(t)), positive=True),  # noqa: N803
    Entry("schedule-free-c", "schedule_free", "§4, c_{t+1} for polynomial weighting",
          r"c_{t+1}=\frac{r+1}{t+r+1},", lambda r, t: (r + 1) / (t + r + 1), positive=True),
    Entry("schedule-free-c-gamma", "schedule_free", "§4, c_{t+1} with warmup",
          r"c_{t+1} = \frac{\gamma^2_t}{\sum^t_{i=1} \gamma^2_i} .",
          lambda gamma_t, gamma: gamma_t**2 / (gamma**2).sum(), {"gamma": "t"}),
    Entry("schedule-free-x-avg", "schedule_free", "§5, Lookahead-style averaging",
          r"x_t = x_{t-1} + \alpha \left( z_{t,k} - x_{t-1} \right).",
          lambda x_t_minus_1, alpha, z_t_k: x_t_minus_1 + alpha * (z_t_k - x_t_minus_1),
          {"x_{t-1}": "d", "z_{t,k}": "d"}),
    Entry("schedule-free-m", "schedule_free", "appendix, momentum form",
          r"m_t  &= \frac{t-1}{t+1} m_{t-1} + \frac{1}{t+1} \Delta_t\\",
          lambda t, m_t_minus_1, Delta_t: (t - 1) / (t + 1) * m_t_minus_1 + 1 / (t + 1) * Delta_t,  # noqa: N803
          positive=True),
    Entry("schedule-free-u", "schedule_free", "appendix, momentum form",
          r"u_t  = \left(\beta_t + t(\beta_t- \beta_{t+1})\right)m_t + (1-\beta_t) \Delta_t.",
          lambda beta_t, t, beta_t_plus_1, m_t, Delta_t: (beta_t + t * (beta_t - beta_t_plus_1)) * m_t  # noqa: N803
          + (1 - beta_t) * Delta_t),
    Entry("schedule-free-alpha", "schedule_free", "appendix, alpha recursion",
          r"\alpha_{t+1} = \frac{(t+1)\alpha_t - 1}{t}.", lambda t, alpha_t: ((t + 1) * alpha_t - 1) / t,
          positive=True),
    # --- DeepSeek-V3 (deepseek_v3/content) -------------------------------------------------------
    Entry("deepseek-cq", "deepseek_v3", "MLA, query compression",
          r"\mathbf{c}_{t}^{Q} &= W^{DQ} \mathbf{h}_{t}, \\", lambda W_DQ, h: h @ W_DQ.T,  # noqa: N803
          {"W^{DQ}": "q d", "h": "T d"}),
    Entry("deepseek-s", "deepseek_v3", "DeepSeekMoE gating affinity",
          r"s_{i,t} & = \operatorname{Sigmoid} \left( {\mathbf{u}_{t}}^{T} \mathbf{e}_{i} \right),",
          lambda u, e: torch.sigmoid(e @ u.T), {"u": "T d", "e": "N d"}),
    Entry("deepseek-g", "deepseek_v3", "DeepSeekMoE gate normalisation",
          r"g_{i,t} & = \frac{g^{\prime}_{i,t}}{\sum_{j=1}^{N_r} g^{\prime}_{j,t}}, \\",
          lambda g_prime: g_prime / g_prime.sum(0, keepdim=True), {"g'": "N_r T"}, positive=True),
    Entry("deepseek-s-prime", "deepseek_v3", "balance loss, normalised affinity",
          r"s^{\prime}_{i,t} & = \frac{s_{i,t}}{\sum_{j=1}^{N_r} s_{j,t}}, \\",
          lambda s: s / s.sum(0, keepdim=True), {"s": "N_r T"}, positive=True),
    Entry("deepseek-p", "deepseek_v3", "balance loss, P_i",
          r"P_i & = \frac{1}{T} \sum_{t=1}^{T}{s^{\prime}_{i,t}},", lambda s_prime: s_prime.mean(1), {"s'": "N_r T"}),
    Entry("deepseek-l-bal", "deepseek_v3", "balance loss",
          r"\mathcal{L}_{\mathrm{Bal}} & = \alpha \sum_{i=1}^{N_r}{f_i P_i}, \\",
          lambda alpha, f, P: alpha * (f * P).sum(), {"f": "N_r", "P": "N_r"}),  # noqa: N803
    # --- Self-Attention with Relative Position Representations (relative_position_shaw/paper.pdf) ---
    Entry("shaw-1", "relative_position_shaw", "eq. (1)",
          r"z_i = \sum_{j=1}^{n} \alpha_{ij}(x_jW^V)", lambda alpha, x, W_V: alpha @ (x @ W_V),  # noqa: N803
          {"alpha": "n n", "x": "n d_x", "W^V": "d_x d_z"}),
    Entry("shaw-softmax", "relative_position_shaw", "§2.2, softmax",
          r"\alpha_{ij} = \frac{\exp e_{ij}}{\sum_{k=1}^{n} \exp e_{ik}}", lambda e: _softmax(e), {"e": "n n"}),
    Entry("shaw-2", "relative_position_shaw", "eq. (2)",
          r"e_{ij} = \frac{(x_iW^Q)(x_jW^K)^T}{\sqrt{d_z}}",
          lambda x, W_Q, W_K: (x @ W_Q) @ (x @ W_K).T / math.sqrt(W_Q.shape[-1]),  # noqa: N803
          {"x": "n d_x", "W^Q": "d_x d_z", "W^K": "d_x d_z"}),
    Entry("shaw-3", "relative_position_shaw", "eq. (3)",
          r"z_i = \sum_{j=1}^{n} \alpha_{ij}(x_jW^V + a^V_{ij})",
          lambda alpha, x, W_V, a_V: alpha @ (x @ W_V) + (alpha[:, :, None] * a_V).sum(1),  # noqa: N803
          {"alpha": "n n", "x": "n d_x", "W^V": "d_x d_z", "a^V": "n n d_z"}),
    Entry("shaw-4", "relative_position_shaw", "eq. (4)",
          r"e_{ij} = \frac{x_iW^Q(x_jW^K + a^K_{ij})^T}{\sqrt{d_z}}",
          lambda x, W_Q, W_K, a_K: ((x @ W_Q)[:, None, :] * ((x @ W_K)[None, :, :] + a_K)).sum(-1)  # noqa: N803
          / math.sqrt(W_Q.shape[-1]), {"x": "n d_x", "W^Q": "d_x d_z", "W^K": "d_x d_z", "a^K": "n n d_z"}),
    # --- Weight Normalization, LoRA, CPC, Swish -----------------------------------------------------
    Entry("weightnorm-2", "weightnorm", "eq. (2)",
          r"\mathbf{w} = \frac{g}{\|\mathbf{v}\|}\mathbf{v}", lambda g, v: g / torch.linalg.norm(v) * v),
    Entry("lora-3", "lora", "eq. (3), last form",
          r"h = W_0x + BAx", lambda W_0, B, A, x: W_0 @ x + B @ (A @ x),  # noqa: N803
          {"W_0": "d k", "B": "d r", "A": "r k", "x": "k"}),
    Entry("cpc-3", "cpc_infonce", "eq. (3)",
          r"f_k(x_{t+k}, c_t) = \exp\left(z_{t+k}^T W_k c_t\right),",
          lambda x_t_plus_k, c_t, z_t_plus_k, W_k: torch.exp(z_t_plus_k @ W_k @ c_t),  # noqa: N803
          {"z_{t+k}": "d", "W_k": "d e", "c_t": "e", "x_{t+k}": "d"}),
    Entry("swish-1", "swish", "§4, Swish", r"f(x) = x \cdot \sigma(\beta x)",
          lambda x, beta: x * torch.sigmoid(beta * x)),
]
