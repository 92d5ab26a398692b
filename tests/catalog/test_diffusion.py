"""Diffusion components against their papers' algorithms written out step by step (float64)."""

from __future__ import annotations

import math

import pytest
import torch
from torch import nn

from tests.catalog.helpers import close, load, symbol


class ToyDenoiser(nn.Module):
    """A fixed, step- and label-dependent linear map standing in for eps_theta (deterministic)."""

    def __init__(self) -> None:
        super().__init__()
        self.scale = nn.Parameter(torch.tensor([0.3, -0.2], dtype=torch.float64))

    def forward(self, x: torch.Tensor, t: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        shift = 0.01 * t.to(x.dtype)
        if y is not None:
            shift = shift + 0.1 * y.to(x.dtype)
        return self.scale[0] * x + self.scale[1] * x.tanh() + shift.view(-1, *([1] * (x.ndim - 1)))


def test_linear_schedule_matches_paper():
    betas = symbol("ddpm_linear_schedule")(1000)
    assert betas.dtype == torch.float64 and betas.shape == (1000,)
    for t in (1, 2, 500, 1000):  # §4: beta_1 = 1e-4 ... beta_T = 0.02, linear
        assert math.isclose(betas[t - 1].item(), 1e-4 + (t - 1) * (0.02 - 1e-4) / 999, rel_tol=1e-12)


def test_cosine_schedule_matches_paper():
    T, s = 50, 0.008
    betas = symbol("ddpm_cosine_schedule")(T)
    f = [math.cos((t / T + s) / (1 + s) * math.pi / 2) ** 2 for t in range(T + 1)]
    alpha_bar = [ft / f[0] for ft in f]  # eq. (17)
    expected = [min(1 - alpha_bar[t] / alpha_bar[t - 1], 0.999) for t in range(1, T + 1)]
    close(betas, torch.tensor(expected, dtype=torch.float64))
    assert betas[-1].item() == 0.999  # clipped near t = T


def _diffusion(num_timesteps: int = 20, schedule: str = "ddpm_linear_schedule"):
    torch.set_default_dtype(torch.float64)
    try:
        cls = load(["ddpm"], {"ddpm": {"schedule": schedule}}).GaussianDiffusion
        return cls(denoiser=ToyDenoiser(), num_timesteps=num_timesteps)
    finally:
        torch.set_default_dtype(torch.float32)


def test_ddpm_loss_and_sampler_match_algorithms():
    for schedule in ("ddpm_linear_schedule", "ddpm_cosine_schedule"):
        diffusion = _diffusion(schedule=schedule)
        betas = symbol(schedule)(20).tolist()
        alpha_bar = [math.prod(1 - b for b in betas[: t + 1]) for t in range(20)]
        # Algorithm 1 / eq. (14): ||eps - eps_theta(sqrt(ab_t) x0 + sqrt(1 - ab_t) eps, t)||^2
        x0 = torch.randn(3, 2, 4, 4, dtype=torch.float64)
        noise = torch.randn_like(x0)
        t = torch.tensor([0, 7, 19])
        x_t = torch.stack([math.sqrt(alpha_bar[int(ti)]) * x0[i] + math.sqrt(1 - alpha_bar[int(ti)]) * noise[i]
                           for i, ti in enumerate(t)])
        close(diffusion.q_sample(x0, t, noise), x_t)
        close(diffusion(x0, t=t, noise=noise), ((diffusion.denoiser(x_t, t) - noise) ** 2).mean())
        # Algorithm 2 with sigma_t^2 = beta_t, the same random draws
        generator = torch.Generator().manual_seed(3)
        sample = diffusion.sample((2, 2, 4, 4), generator=generator)
        generator = torch.Generator().manual_seed(3)
        x = torch.randn(2, 2, 4, 4, generator=generator, dtype=torch.float64)
        for step in reversed(range(20)):
            eps = diffusion.denoiser(x, torch.full((2,), step))
            x = (x - betas[step] / math.sqrt(1 - alpha_bar[step]) * eps) / math.sqrt(1 - betas[step])
            if step > 0:
                x = x + math.sqrt(betas[step]) * torch.randn(2, 2, 4, 4, generator=generator, dtype=torch.float64)
        close(sample, x)


def test_ddim_matches_paper_update():
    diffusion = _diffusion(num_timesteps=20)
    ddim = load(["ddim_sampler"]).ddim_sample
    alpha_bar = diffusion.alphas_cumprod.tolist()
    for eta in (0.0, 1.0):
        generator = torch.Generator().manual_seed(5)
        out = ddim(diffusion, (2, 3), num_steps=5, eta=eta, generator=generator)
        generator = torch.Generator().manual_seed(5)
        tau = [0, 5, 10, 14, 19]  # 5 evenly spaced steps of 0..19, rounded
        x = torch.randn(2, 3, generator=generator, dtype=torch.float64)
        for i in reversed(range(5)):
            a, a_prev = alpha_bar[tau[i]], (alpha_bar[tau[i - 1]] if i > 0 else 1.0)
            eps = diffusion.denoiser(x, torch.full((2,), tau[i]))
            sigma = eta * math.sqrt((1 - a_prev) / (1 - a)) * math.sqrt(1 - a / a_prev)  # eq. (16)
            x0 = (x - math.sqrt(1 - a) * eps) / math.sqrt(a)
            x = math.sqrt(a_prev) * x0 + math.sqrt(1 - a_prev - sigma**2) * eps  # eq. (12)
            if i > 0 and eta > 0:
                x = x + sigma * torch.randn(2, 3, generator=generator, dtype=torch.float64)
        close(out, x)


def test_classifier_free_guidance_matches_paper():
    cls = symbol("classifier_free_guidance")
    guided = cls(denoiser=ToyDenoiser(), null_label=4, guidance_scale=2.5, p_uncond=0.2).eval()
    x, t, y = torch.randn(3, 2, 5, dtype=torch.float64), torch.tensor([1, 4, 9]), torch.tensor([0, 2, 3])
    conditional = guided.denoiser(x, t, y)
    unconditional = guided.denoiser(x, t, torch.full_like(y, 4))
    close(guided(x, t, y), 3.5 * conditional - 2.5 * unconditional)  # eq. (6), w = 2.5
    guided.train()
    guided.p_uncond = 1.0  # Algorithm 1: every label dropped
    close(guided(x, t, y), unconditional)
    guided.p_uncond = 0.0
    close(guided(x, t, y), conditional)
    guided.p_uncond = 0.3  # the drop rate is p_uncond
    torch.manual_seed(0)
    y_many = torch.zeros(20000, dtype=torch.long)
    x_many = torch.zeros(20000, 1, dtype=torch.float64)
    shift = guided(x_many, torch.zeros(20000, dtype=torch.long), y_many)  # 0.1 * label: 0.4 where dropped
    assert abs((shift[:, 0] > 0.2).double().mean().item() - 0.3) < 0.02


def test_unet_embedding_and_wiring():
    torch.manual_seed(0)
    module = load(["unet_denoiser"])
    emb = module.timestep_embedding(torch.tensor([0, 3, 17]), 8)
    for row, t in enumerate((0, 3, 17)):
        for i in range(4):
            angle = t / 10000 ** (2 * i / 8)
            assert math.isclose(emb[row, i].item(), math.sin(angle), abs_tol=1e-6)
            assert math.isclose(emb[row, 4 + i].item(), math.cos(angle), abs_tol=1e-6)
    unet = module.UNetDenoiser(in_channels=2, base_channels=8, channel_mults=(1, 2, 2), num_groups=4,
                               dropout=0.0, num_classes=3)
    assert len(unet.down) == 3 and len(unet.downsample) == 2 and len(unet.up) == 3 and len(unet.upsample) == 2
    assert [b.conv1.out_channels for b in unet.down] == [8, 16, 16]
    assert [b.conv1.in_channels for b in unet.up] == [32, 32, 24]  # h + skip channels at each level
    x, t, y = torch.randn(2, 2, 8, 8), torch.tensor([1, 9]), torch.tensor([0, 2])
    out = unet(x, t, y)
    assert out.shape == x.shape
    out.square().mean().backward()
    dead = [n for n, p in unet.named_parameters() if p.grad is None or p.grad.abs().sum() == 0]
    assert dead == [], dead
    assert not torch.allclose(unet(x, t, y), unet(x, t, torch.tensor([3, 3])))  # labels condition
    assert not torch.allclose(unet(x, t, y), unet(x, t + 1, y))  # steps condition


def test_schedules_and_samplers_match_diffusers():
    """Cross-check against diffusers' schedulers (optional test dependency; they keep betas in float32)."""
    diffusers = pytest.importorskip("diffusers")
    tol = {"atol": 1e-6, "rtol": 1e-5}
    linear = diffusers.DDPMScheduler(num_train_timesteps=50, beta_start=1e-4, beta_end=0.02, beta_schedule="linear")
    torch.testing.assert_close(symbol("ddpm_linear_schedule")(50), linear.betas.double(), **tol)
    cosine = diffusers.DDPMScheduler(num_train_timesteps=50, beta_schedule="squaredcos_cap_v2")
    torch.testing.assert_close(symbol("ddpm_cosine_schedule")(50), cosine.betas.double(), **tol)
    # DDPM ancestral sampling with sigma_t^2 = beta_t ("fixed_large"), the same generator draws
    diffusion = _diffusion(num_timesteps=20)
    scheduler = diffusers.DDPMScheduler(num_train_timesteps=20, beta_start=1e-4, beta_end=0.02,
                                        beta_schedule="linear", variance_type="fixed_large", clip_sample=False)
    ours = diffusion.sample((2, 3), generator=torch.Generator().manual_seed(7))
    generator = torch.Generator().manual_seed(7)
    x = torch.randn(2, 3, generator=generator, dtype=torch.float64)
    for t in scheduler.timesteps:
        x = scheduler.step(diffusion.denoiser(x, t.expand(2)), int(t), x, generator=generator).prev_sample
    torch.testing.assert_close(ours, x, **tol)
    # DDIM, eta = 0, on diffusers' "trailing" sub-sequence of steps
    ddim = diffusers.DDIMScheduler(num_train_timesteps=20, beta_start=1e-4, beta_end=0.02, beta_schedule="linear",
                                   clip_sample=False, timestep_spacing="trailing", set_alpha_to_one=True)
    ddim.set_timesteps(5)
    ours = load(["ddim_sampler"]).ddim_sample(diffusion, (2, 3), timesteps=ddim.timesteps.tolist(), eta=0.0,
                                              generator=torch.Generator().manual_seed(9))
    x = torch.randn(2, 3, generator=torch.Generator().manual_seed(9), dtype=torch.float64)
    for t in ddim.timesteps:
        x = ddim.step(diffusion.denoiser(x, t.expand(2)), int(t), x, eta=0.0).prev_sample
    torch.testing.assert_close(ours, x, **tol)
