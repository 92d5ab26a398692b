"""``gradcheck`` (analytic gradients equal finite differences, float64) and ``grad_flow`` (every
parameter receives a finite, non-zero gradient)."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import torch
from torch import nn
from torch.autograd.gradcheck import GradcheckError

from agent.validate.checks.common import CheckFailed, CheckSkipped, ModuleContext, check, flatten, fmt, short_error
from agent.validate.checks.sizes import more_tokens, small_sizes

PARAM_GRADCHECK_LIMIT = 200_000  # parameters (elements) checked; above: inputs only
SLOW_INPUT_LIMIT = 24  # inputs up to this many elements get the full Jacobian; above: fast mode


class _Caller(nn.Module):
    """Calls ``forward`` or the manifest's ``method`` so ``functional_call`` can swap parameters."""

    def __init__(self, inner: nn.Module, method: str | None) -> None:
        super().__init__()
        self.inner = inner
        self.method = method

    def forward(self, **inputs: Any) -> Any:
        return getattr(self.inner, self.method)(**inputs) if self.method else self.inner(**inputs)


def _float_outputs(result: Any) -> tuple[torch.Tensor, ...]:
    return tuple(t for t in flatten(result) if t.is_floating_point() or t.is_complex())


def _directional(fn: Callable[..., tuple[torch.Tensor, ...]], args: tuple[torch.Tensor, ...], index: int,
                 eps: float = 1e-6) -> tuple[float, float]:
    """<v, J u> for input ``index``: (analytic by autograd, numeric by central differences)."""
    gen = torch.Generator().manual_seed(7)
    args = tuple(a.detach().requires_grad_(a.requires_grad) for a in args)
    u = torch.randn(args[index].shape, generator=gen, dtype=args[index].dtype)
    outs = fn(*args)
    vs = [torch.randn(o.shape, generator=gen, dtype=o.dtype) for o in outs]
    total = sum((o * v).sum() for o, v in zip(outs, vs))
    grad = torch.autograd.grad(total, args[index], allow_unused=True)[0]
    analytic = 0.0 if grad is None else float((grad * u).sum())
    with torch.no_grad():
        plus = list(args)
        plus[index] = args[index] + eps * u
        minus = list(args)
        minus[index] = args[index] - eps * u
        numeric = sum(float(((a - b) * v).sum()) for a, b, v in zip(fn(*plus), fn(*minus), vs)) / (2 * eps)
    return analytic, numeric


def _gradcheck(fn: Callable[..., tuple[torch.Tensor, ...]], args: tuple[torch.Tensor, ...], names: list[str],
               kind: str, fast: bool, where: str) -> None:
    try:
        torch.autograd.gradcheck(fn, args, fast_mode=fast, eps=1e-6, atol=1e-5, rtol=1e-3, nondet_tol=0.0)
    except GradcheckError as exc:
        text = str(exc)
        match = re.search(r"output (\d+) with respect to input (\d+)", text)
        if match:
            out_i, in_i = int(match.group(1)), int(match.group(2))
            analytic, numeric = _directional(fn, args, in_i)
            rel = abs(analytic - numeric) / max(abs(numeric), 1e-12)
            raise CheckFailed(
                f"wrong gradient w.r.t. {kind} {names[in_i]!r} (output {out_i}) at {where}: directional "
                f"derivative analytic {fmt(analytic)} vs finite-difference {fmt(numeric)} (relative error "
                f"{fmt(rel)}); a custom backward, a detach or a non-differentiable op is the usual cause"
            ) from exc
        raise CheckFailed(f"gradcheck w.r.t. {kind}s failed at {where}: {' '.join(text.split())[:400]}") from exc
    except CheckFailed:
        raise
    except Exception as exc:
        raise CheckFailed(f"gradcheck w.r.t. {kind}s raised {short_error(exc)} at {where}") from exc


@check("gradcheck")
def gradcheck(ctx: ModuleContext) -> str:
    module = ctx.build().double().eval()
    caller = _Caller(module, ctx.spec.get("method"))
    sizes = small_sizes(ctx.spec, **{ctx.spec["batch_dim"]: 2})
    where = ctx.where(sizes)
    inputs = ctx.inputs(sizes, dtype=torch.float64)
    float_names = ctx.float_inputs()
    done = []
    if float_names:
        def by_inputs(*xs: torch.Tensor) -> tuple[torch.Tensor, ...]:
            return _float_outputs(caller(**{**inputs, **dict(zip(float_names, xs))}))

        xs = tuple(inputs[n].detach().clone().requires_grad_() for n in float_names)
        numel = sum(x.numel() for x in xs)
        _gradcheck(by_inputs, xs, float_names, "input", numel > SLOW_INPUT_LIMIT, where)
        done.append(f"inputs {', '.join(float_names)} ({'fast' if numel > SLOW_INPUT_LIMIT else 'full'} mode)")
    named = [(n, p) for n, p in caller.named_parameters() if p.requires_grad]
    count = sum(p.numel() for _, p in named)
    if named and count <= PARAM_GRADCHECK_LIMIT:
        keys = [n for n, _ in named]

        def by_params(*ps: torch.Tensor) -> tuple[torch.Tensor, ...]:
            return _float_outputs(torch.func.functional_call(caller, dict(zip(keys, ps)), args=(), kwargs=inputs))

        ps = tuple(p.detach().clone().requires_grad_() for _, p in named)
        _gradcheck(by_params, ps, [k.removeprefix("inner.") for k in keys], "parameter", True, where)
        done.append(f"{len(named)} parameter tensors ({count:,} values, fast mode)")
    elif named:
        done.append(f"parameters skipped ({count:,} values is over {PARAM_GRADCHECK_LIMIT:,})")
    if not done:
        raise CheckSkipped("no float inputs and no trainable parameters to differentiate")
    return f"float64, eval mode, {where}: " + "; ".join(done)


ROUTING_DRAWS = 4  # draws with many tokens before a parameter without gradient is reported
NO_GRADIENT = "no gradient (unused, or detached from the output)"
ZERO_GRADIENT = "gradient exactly zero"


def _random_loss(outputs: list[torch.Tensor], seed: int) -> torch.Tensor | None:
    gen = torch.Generator().manual_seed(seed)
    terms = [(o * torch.randn(o.shape, generator=gen, dtype=o.dtype).to(o.device)).sum()
             for o in outputs if o.is_floating_point() and o.requires_grad]
    return sum(terms) if terms else None


def _grads(ctx: ModuleContext, module: nn.Module, sizes: dict[str, int], seed: int,
           ran: set[str] | None = None) -> dict[str, str]:
    """name -> problem ('' when the gradient is finite and non-zero). Adds to ``ran`` the names of the
    submodules whose forward ran."""
    module.zero_grad(set_to_none=True)
    inputs = ctx.inputs(sizes, seed=seed)
    hooks = []
    if ran is not None:
        for name, sub in module.named_modules():
            hooks.append(sub.register_forward_pre_hook(lambda *_, name=name: ran.add(name)))
    try:
        outputs = ctx.call(module, inputs, sizes)
    finally:
        for hook in hooks:
            hook.remove()
    loss = _random_loss(outputs, seed)
    if loss is None:
        raise CheckFailed(f"no output requires grad at {ctx.where(sizes)}: the output is detached from every "
                          "parameter (torch.no_grad, .detach() or .item() in forward?)")
    try:
        loss.backward()
    except Exception as exc:
        raise CheckFailed(f"backward raised {short_error(exc)} at {ctx.where(sizes)}") from exc
    problems = {}
    for name, p in module.named_parameters():
        if not p.requires_grad:
            continue
        if p.grad is None:
            problems[name] = NO_GRADIENT
        elif not torch.isfinite(p.grad).all():
            problems[name] = "non-finite gradient"
        elif not p.grad.abs().sum() > 0:
            problems[name] = ZERO_GRADIENT
        else:
            problems[name] = ""
    return problems


def _member(name: str) -> str:
    """``blocks.0.ffn.experts.3`` for ``blocks.0.ffn.experts.3.w.weight``: the path up to the last index."""
    parts = name.split(".")
    last = max(i for i, part in enumerate(parts) if part.isdigit())
    return ".".join(parts[:last + 1])


def _idle_members(module: nn.Module, names: list[str], draws: list[set[str]]) -> list[str]:
    """The parameters in ``names`` that belong to a member of a ModuleList whose forward never ran, where
    the members that ran changed from draw to draw: routed computation (experts) that no draw chose. A
    member skipped in every draw alike (a layer the loop never reaches, an unused head) is not excused."""
    containers = {n: m for n, m in module.named_modules() if isinstance(m, nn.ModuleList)}
    ran = set().union(*draws) if draws else set()
    idle = []
    for name in names:
        parts = name.split(".")
        for i in range(len(parts) - 1, 0, -1):
            parent, index = ".".join(parts[:i - 1]) if i > 1 else "", parts[i - 1]
            member = ".".join(parts[:i])
            if parent in containers and index.isdigit():
                siblings = [f"{parent}.{k}" if parent else str(k) for k in range(len(containers[parent]))]
                chosen = {frozenset(s for s in siblings if s in draw) for draw in draws}
                if member not in ran and len(chosen) > 1:  # data-dependent choice of members
                    idle.append(name)
                break
    return idle


@check("grad_flow")
def grad_flow(ctx: ModuleContext) -> str:
    module = ctx.build().train()
    params = [n for n, p in module.named_parameters() if p.requires_grad]
    frozen = [n for n, p in module.named_parameters() if not p.requires_grad]
    if not params:
        raise CheckSkipped("the module has no trainable parameters")
    sizes = small_sizes(ctx.spec, **{ctx.spec["batch_dim"]: 2})
    problems = _grads(ctx, module, sizes, seed=1)
    zero = [n for n, why in problems.items() if why == ZERO_GRADIENT]
    note = ""
    if zero:  # zero only at init (e.g. LoRA's B = 0 zeroes A's gradient)? nudge every parameter, retry
        with torch.no_grad():
            gen = torch.Generator().manual_seed(3)
            for p in module.parameters():
                p.add_(torch.randn(p.shape, generator=gen, dtype=p.dtype).to(p.device) * 0.02)
        again = _grads(ctx, module, sizes, seed=2)
        for name in zero:
            problems[name] = again[name]
        if not any(again[n] for n in zero):
            note = f"; {len(zero)} tensor(s) had zero gradient only at init (zero-initialised partner)"
    missing = [n for n, why in problems.items() if why in (NO_GRADIENT, ZERO_GRADIENT)]
    idle: list[str] = []
    also = ""
    if missing:  # routed parameters (mixture-of-experts experts) see no token in a tiny batch: more tokens
        larger = more_tokens(ctx.spec)
        left = list(missing)
        draws: list[set[str]] = []
        for seed in range(4, 4 + ROUTING_DRAWS):  # a parameter is reached when any draw reaches it
            draws.append(set())
            again = _grads(ctx, module, larger, seed=seed, ran=draws[-1])
            for name in left:
                problems[name] = again[name]
            left = [n for n in left if problems[n]]
            if not left:
                break
        routed = [n for n in missing if not problems[n]]
        if routed:
            note += (f"; {len(routed)} tensor(s) got gradients only with more tokens ({ctx.where(larger)}, up to "
                     f"{ROUTING_DRAWS} draws): routed or size-dependent paths")
        also = f" (and again at {ctx.where(larger)}, {len(draws)} draws)" if left else ""
        idle = _idle_members(module, [n for n in left if problems[n] == NO_GRADIENT], draws)
        if idle:
            for name in idle:
                problems[name] = ""
            members = sorted({_member(name) for name in idle})
            note += (f"; {len(members)} routed member(s) never chosen in {ROUTING_DRAWS} draws of "
                     f"{ctx.where(larger)} ({', '.join(members[:4])}{' ...' if len(members) > 4 else ''}): "
                     "their siblings ran and got gradients; these were not exercised")
    bad = {n: why for n, why in problems.items() if why}
    if bad:
        listed = "; ".join(f"{n}: {why}" for n, why in list(bad.items())[:12])
        more = f" (+{len(bad) - 12} more)" if len(bad) > 12 else ""
        raise CheckFailed(f"{len(bad)} of {len(params)} parameter tensors fail a random loss on the output at "
                          f"{ctx.where(sizes)}{also}: {listed}{more}")
    frozen_note = f"; {len(frozen)} frozen tensor(s) skipped" if frozen else ""
    reached = f"{len(params) - len(idle)} of {len(params)}" if idle else f"all {len(params)}"
    return (f"{reached} parameter tensors get finite, non-zero gradients at {ctx.where(sizes)}"
            f"{note}{frozen_note}")
