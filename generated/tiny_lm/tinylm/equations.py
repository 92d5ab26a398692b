"""TinyLM: A Small Pre-Norm Decoder-Only Language Model with RMSNorm, SwiGLU and Rotary Positions: the paper's equations compiled from its LaTeX by paper2code.

Each function was checked numerically against an element-wise evaluation of the LaTeX it quotes;
tests/test_model.py compares the ones linked to a component with the model's own module.
"""

import torch
from einops import einsum


def rmsnorm(x: torch.Tensor, epsilon: float | torch.Tensor, g: float | torch.Tensor) -> torch.Tensor:
    r"""Eq. (1) of the paper, compiled from the LaTeX:

        \mathrm{RMSNorm}(x) = \frac{x}{\sqrt{\frac{1}{d_{\text{model}}}\sum_{i=1}^{d_{\text{model}}}
        x_i^2 + \epsilon}} \odot g

    Args:
        x: shape (d_model).
        epsilon: a scalar.
        g: a scalar.

    Returns:
        RMSNorm: shape (d_model).
    """
    return x / torch.sqrt((x ** 2).mean(dim=-1) + epsilon) * g


def silu(z: torch.Tensor) -> torch.Tensor:
    r"""Eq. (2) of the paper, compiled from the LaTeX: \mathrm{SiLU}(z) = z \, \sigma(z)

    Args:
        z: shape (...).

    Returns:
        SiLU: shape (...).
    """
    return z * torch.sigmoid(z)


def ffn(x: torch.Tensor, W_1: torch.Tensor, W_3: torch.Tensor, W_2: torch.Tensor) -> torch.Tensor:
    r"""Eq. (3) of the paper, compiled from the LaTeX: \mathrm{FFN}(x) = \left( \mathrm{SiLU}(x W_1) \odot x W_3 \right) W_2

    Args:
        x: shape (... n).
        W_1: shape (n m).
        W_3: shape (n m).
        W_2: shape (m d).

    Returns:
        FFN: shape (... d).
    """
    act = torch.nn.functional.silu(einsum(x, W_1, "... n, n m -> ... m"))
    z = act * einsum(x, W_3, "... n, n m -> ... m")
    return einsum(z, W_2, "... m, m d -> ... d")


def attention(
    Q: torch.Tensor,
    K: torch.Tensor,
    V: torch.Tensor,
    d_h: float | torch.Tensor,
    M: float | torch.Tensor,
) -> torch.Tensor:
    r"""Eq. (6) of the paper, compiled from the LaTeX:

        \mathrm{Attention}(Q, K, V) = \mathrm{softmax}\left( \frac{Q K^\top}{\sqrt{d_h}} + M \right) V

    Args:
        Q: shape (... n m).
        K: shape (... d m).
        V: shape (... d e).
        d_h: a scalar.
        M: a scalar.

    Returns:
        Attention: shape (... n e).
    """
    d_h = torch.as_tensor(d_h)
    weights = torch.softmax(einsum(Q, K, "... n m, ... d m -> ... n d") / torch.sqrt(d_h) + M, dim=-1)
    return einsum(weights, V, "... n d, ... d e -> ... n e")


def x_0(E_t: float | torch.Tensor) -> torch.Tensor:
    r"""Eq. (9) of the paper, compiled from the LaTeX: x_0 = E_{t}

    Args:
        E_t: a scalar.

    Returns:
        x_0: a scalar.
    """
    return E_t
