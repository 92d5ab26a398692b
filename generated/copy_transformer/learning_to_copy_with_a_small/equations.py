"""Learning to Copy with a Small Post-Norm Encoder-Decoder Transformer: the paper's equations compiled from its LaTeX by paper2code.

Each function was checked numerically against an element-wise evaluation of the LaTeX it quotes;
tests/test_model.py compares the ones linked to a component with the model's own module.
"""

import torch
from einops import einsum


def attention(Q: torch.Tensor, K: torch.Tensor, V: torch.Tensor, d_k: float | torch.Tensor) -> torch.Tensor:
    r"""Eq. (1) of the paper, compiled from the LaTeX:

        \mathrm{Attention}(Q, K, V) = \mathrm{softmax}\left( \frac{Q K^\top}{\sqrt{d_k}} \right) V

    Args:
        Q: shape (... n m).
        K: shape (... d m).
        V: shape (... d e).
        d_k: a scalar.

    Returns:
        Attention: shape (... n e).
    """
    d_k = torch.as_tensor(d_k)
    weights = torch.softmax(einsum(Q, K, "... n m, ... d m -> ... n d") / torch.sqrt(d_k), dim=-1)
    return einsum(weights, V, "... n d, ... d e -> ... n e")


def ffn(
    x: torch.Tensor,
    W_1: torch.Tensor,
    b_1: float | torch.Tensor,
    W_2: torch.Tensor,
    b_2: float | torch.Tensor,
) -> torch.Tensor:
    r"""Eq. (4) of the paper, compiled from the LaTeX: \mathrm{FFN}(x) = \max(0, x W_1 + b_1) W_2 + b_2

    Args:
        x: shape (... n).
        W_1: shape (n m).
        b_1: a scalar.
        W_2: shape (m d).
        b_2: a scalar.

    Returns:
        FFN: shape (... d).
    """
    act = torch.relu(einsum(x, W_1, "... n, n m -> ... m") + b_1)
    return einsum(act, W_2, "... m, m d -> ... d") + b_2


def pe_pos_2_i(
    pos: float | torch.Tensor,
    i: float | torch.Tensor,
    d_model: float | torch.Tensor,
) -> torch.Tensor:
    r"""Eq. (5) of the paper, compiled from the LaTeX:

        PE_{(\mathit{pos}, 2i)} = \sin\left( \mathit{pos} / 10000^{2i / d_{\text{model}}} \right)

    Args:
        pos: a scalar.
        i: a scalar.
        d_model: a scalar.

    Returns:
        PE_pos_2_i: a scalar.

    Notes:
        italic letters PE read as one name
    """
    pos = torch.as_tensor(pos)
    return torch.sin(pos / 10000 ** (2 * i / d_model))


def pe_pos_2_i_plus_1(
    pos: float | torch.Tensor,
    i: float | torch.Tensor,
    d_model: float | torch.Tensor,
) -> torch.Tensor:
    r"""Eq. (6) of the paper, compiled from the LaTeX:

        PE_{(\mathit{pos}, 2i+1)} = \cos\left( \mathit{pos} / 10000^{2i / d_{\text{model}}} \right)

    Args:
        pos: a scalar.
        i: a scalar.
        d_model: a scalar.

    Returns:
        PE_pos_2_i_plus_1: a scalar.

    Notes:
        italic letters PE read as one name
    """
    pos = torch.as_tensor(pos)
    return torch.cos(pos / 10000 ** (2 * i / d_model))


def layernorm(
    x: torch.Tensor,
    gamma: float | torch.Tensor,
    mu: float | torch.Tensor,
    sigma: float | torch.Tensor,
    epsilon: float | torch.Tensor,
    beta: float | torch.Tensor,
) -> torch.Tensor:
    r"""Eq. (7) of the paper, compiled from the LaTeX:

        \mathrm{LayerNorm}(x) = \gamma \odot \frac{x - \mu}{\sqrt{\sigma^2 + \epsilon}} + \beta

    Args:
        x: shape (...).
        gamma: a scalar.
        mu: a scalar.
        sigma: a scalar.
        epsilon: a scalar.
        beta: a scalar.

    Returns:
        LayerNorm: shape (...).
    """
    sigma = torch.as_tensor(sigma)
    return gamma * ((x - mu) / torch.sqrt(sigma ** 2 + epsilon)) + beta


def q(
    k: torch.Tensor,
    epsilon_ls: float | torch.Tensor,
    delta_ky: float | torch.Tensor,
    V: float | torch.Tensor,
) -> torch.Tensor:
    r"""Eq. (11) of the paper, compiled from the LaTeX: q(k) = (1 - \epsilon_{ls}) \, \delta_{k y} + \frac{\epsilon_{ls}}{V}

    Args:
        k: shape (...).
        epsilon_ls: a scalar.
        delta_ky: a scalar.
        V: a scalar.

    Returns:
        q: a scalar.
    """
    return (1 - epsilon_ls) * delta_ky + epsilon_ls / V


def lrate(
    d_model: float | torch.Tensor,
    step: float | torch.Tensor,
    warmup_steps: float | torch.Tensor,
) -> torch.Tensor:
    r"""Eq. (13) of the paper, compiled from the LaTeX:

        \mathit{lrate} = d_{\text{model}}^{-0.5} \cdot \min\left( \mathit{step}^{-0.5}, \mathit{step}
        \cdot \mathit{warmup\_steps}^{-1.5} \right)

    Args:
        d_model: a scalar.
        step: a scalar.
        warmup_steps: a scalar.

    Returns:
        lrate: a scalar.
    """
    step = torch.as_tensor(step)
    return d_model ** (-0.5) * torch.minimum(step ** (-0.5), step * warmup_steps ** (-1.5))
