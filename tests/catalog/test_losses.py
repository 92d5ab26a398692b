"""Loss components against torch built-ins or their papers' formulas evaluated element by element."""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from tests.catalog.helpers import close, load, symbol


def test_label_smoothing_matches_torch():
    fn = symbol("label_smoothed_cross_entropy")
    logits = torch.randn(3, 5, 7, dtype=torch.float64)
    target = torch.randint(0, 7, (3, 5))
    for eps in (0.0, 0.1, 0.3):
        expected = F.cross_entropy(logits.reshape(-1, 7), target.reshape(-1), label_smoothing=eps)
        close(fn(logits, target, smoothing=eps), expected)
    target[0, :2] = -100  # padding
    expected = F.cross_entropy(logits.reshape(-1, 7), target.reshape(-1), label_smoothing=0.1, ignore_index=-100)
    close(fn(logits, target, smoothing=0.1), expected)


def test_focal_loss_matches_paper():
    fn = symbol("focal_loss")
    logits = torch.randn(4, 6, dtype=torch.float64) * 2
    target = torch.randint(0, 2, (4, 6))
    for gamma, alpha in ((2.0, 0.25), (0.5, None), (0.0, 0.75)):
        terms = []
        for z, y in zip(logits.flatten().tolist(), target.flatten().tolist(), strict=True):
            p = 1 / (1 + math.exp(-z))
            p_t = p if y == 1 else 1 - p
            alpha_t = 1.0 if alpha is None else (alpha if y == 1 else 1 - alpha)
            terms.append(-alpha_t * (1 - p_t) ** gamma * math.log(p_t))  # eq. (5)
        close(fn(logits, target, gamma=gamma, alpha=alpha), torch.tensor(sum(terms) / len(terms), dtype=torch.float64))
    # gamma = 0 without alpha is binary cross-entropy
    close(fn(logits, target, gamma=0.0, alpha=None), F.binary_cross_entropy_with_logits(logits, target.double()))


def _cos(a: torch.Tensor, b: torch.Tensor) -> float:
    return (a @ b / (a.norm() * b.norm())).item()


def test_info_nce_matches_paper():
    fn = symbol("info_nce")
    query, keys = torch.randn(5, 8, dtype=torch.float64), torch.randn(5, 8, dtype=torch.float64)
    for normalize, tau in ((True, 0.1), (False, 1.0)):
        total = 0.0
        for i in range(5):
            sim = [(_cos(query[i], keys[j]) if normalize else (query[i] @ keys[j]).item()) / tau for j in range(5)]
            total += -math.log(math.exp(sim[i]) / sum(math.exp(s) for s in sim))  # eq. (4)
        close(fn(query, keys, temperature=tau, normalize=normalize), torch.tensor(total / 5, dtype=torch.float64))


def test_nt_xent_matches_paper():
    fn = symbol("nt_xent")
    z1, z2 = torch.randn(4, 6, dtype=torch.float64), torch.randn(4, 6, dtype=torch.float64)
    z = torch.cat([z1, z2])
    tau = 0.5

    def loss(i: int, j: int) -> float:  # eq. (1)
        denominator = sum(math.exp(_cos(z[i], z[k]) / tau) for k in range(8) if k != i)
        return -math.log(math.exp(_cos(z[i], z[j]) / tau) / denominator)

    expected = sum(loss(k, k + 4) + loss(k + 4, k) for k in range(4)) / 8  # Algorithm 1
    close(fn(z1, z2, temperature=tau), torch.tensor(expected, dtype=torch.float64))


def test_gan_losses_match_paper():
    real, fake = torch.randn(6, dtype=torch.float64) * 2, torch.randn(6, dtype=torch.float64) * 2
    sigmoid = lambda v: 1 / (1 + math.exp(-v))  # noqa: E731 - D(x) = sigmoid(logit)
    ns = load(["gan_nonsaturating_loss"])
    d_expected = -sum(math.log(sigmoid(r)) for r in real.tolist()) / 6 - sum(
        math.log(1 - sigmoid(f)) for f in fake.tolist()) / 6  # eq. (1), negated for minimisation
    close(ns.gan_discriminator_loss(real, fake), torch.tensor(d_expected, dtype=torch.float64))
    g_expected = -sum(math.log(sigmoid(f)) for f in fake.tolist()) / 6  # non-saturating: max log D(G(z))
    close(ns.gan_generator_loss(fake), torch.tensor(g_expected, dtype=torch.float64))
    hinge = load(["gan_hinge_loss"])
    d_hinge = sum(max(0.0, 1 - r) for r in real.tolist()) / 6 + sum(max(0.0, 1 + f) for f in fake.tolist()) / 6
    close(hinge.hinge_discriminator_loss(real, fake), torch.tensor(d_hinge, dtype=torch.float64))
    close(hinge.hinge_generator_loss(fake), torch.tensor(-sum(fake.tolist()) / 6, dtype=torch.float64))
