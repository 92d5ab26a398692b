"""Mutants of the validation fixtures: each carries one real bug class, made by text patches of the
correct files in tests/fixtures/validate, and names the check(s) that must catch it.

``build_module_family`` writes one project holding the correct package and every mutant as its
own package, each a ``[[module]]`` of one manifest, so a single validation run (one warm
worker) covers a whole family. Training mutants need a ``[training]`` table each, so
``build_training_mutant`` writes one project per mutant.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "validate"


@dataclass(frozen=True)
class Mutant:
    name: str
    bug: str  # the bug class, in words
    expected: frozenset[str]  # checks that must fail (at least one of them)
    patches: tuple[tuple[str, str, str], ...]  # (file in the package, old text, new text)
    checks: tuple[str, ...] = ()  # training mutants: the checks to run


def _m(name: str, bug: str, expected: str, *patches: tuple[str, str, str], checks: tuple[str, ...] = ()) -> Mutant:
    return Mutant(name, bug, frozenset(expected.split()), tuple(patches), checks)


M = "model.py"
SOFTMAX = "        attn = scores.softmax(dim=-1)\n"

ATTENTION = (
    _m("softmax_axis", "softmax over the wrong axis", "reference causal",
       (M, "scores.softmax(dim=-1)", "scores.softmax(dim=-2)")),
    _m("missing_scale", "missing 1/sqrt(d_k) scale", "reference",
       (M, " / math.sqrt(self.head_dim)  # eq. (1)", "  # eq. (1)")),
    _m("batch_mixing", "einsum index typo sums over the batch", "batch_independent",
       (M, '"bhid,bhjd->bhij", q, k', '"bhid,chjd->bhij", q, k')),
    _m("causal_leak", "mask off by one", "causal", (M, ".triu(1)", ".triu(2)")),
    _m("mask_fill_zero", "masked scores filled with 0 instead of -inf", "causal",
       (M, 'masked_fill(mask, float("-inf"))', "masked_fill(mask, 0.0)")),
    _m("detached_path", "keys detached from the graph", "grad_flow",
       (M, "k = rearrange(self.k_proj(x),", "k = rearrange(self.k_proj(x).detach(),")),
    _m("unused_parameter", "a parameter that is never used", "grad_flow",
       (M, "        self.dropout = nn.Dropout(dropout)\n",
        "        self.dropout = nn.Dropout(dropout)\n        self.gate = nn.Parameter(torch.ones(d_model))\n")),
    _m("missing_bias_path", "value bias skipped by a hand-written projection", "grad_flow",
       (M, "v = rearrange(self.v_proj(x),", "v = rearrange(x @ self.v_proj.weight.T,")),
    _m("dropout_in_eval", "dropout forced on in eval mode", "determinism",
       (M, "        attn = self.dropout(attn)\n",
        "        attn = nn.functional.dropout(attn, p=self.dropout.p, training=True)\n")),
    _m("noise_in_forward", "random noise added in forward", "determinism",
       (M, "        n = x.shape[1]\n", "        n = x.shape[1]\n        x = x + 1e-3 * torch.randn_like(x)\n")),
    _m("unseeded_init", "initialisation scaled by the unseeded `random` module", "determinism",
       (M, "import math\n", "import math\nimport random\n"),
       (M, "        self.dropout = nn.Dropout(dropout)\n",
        "        self.dropout = nn.Dropout(dropout)\n        with torch.no_grad():\n"
        "            self.out_proj.weight.mul_(random.uniform(0.5, 1.5))\n")),
    _m("unstable_softmax", "softmax without subtracting the max", "finite",
       (M, SOFTMAX, "        attn = scores.exp() / scores.exp().sum(dim=-1, keepdim=True)\n")),
    _m("wrong_custom_backward", "custom autograd Function whose backward forgets the scale", "gradcheck",
       (M, "class CausalSelfAttention(nn.Module):",
        "class _Scale(torch.autograd.Function):\n    @staticmethod\n    def forward(ctx, x, s):\n"
        "        ctx.s = s\n        return x * s\n\n    @staticmethod\n    def backward(ctx, grad):\n"
        "        return grad, None\n\n\nclass CausalSelfAttention(nn.Module):"),
       (M, 'torch.einsum("bhid,bhjd->bhij", q, k) / math.sqrt(self.head_dim)',
        '_Scale.apply(torch.einsum("bhid,bhjd->bhij", q, k), 1 / math.sqrt(self.head_dim))')),
    _m("inplace_breaks_autograd", "in-place op on a tensor autograd saved", "gradcheck grad_flow",
       (M, SOFTMAX, SOFTMAX + "        attn.masked_fill_(mask, 0.0)\n")),
    _m("squeeze_batch_one", "squeeze() drops the batch axis at batch size 1", "shapes",
       (M, "        return self.out_proj(out)\n", "        return self.out_proj(out).squeeze()\n")),
    _m("hardcoded_seq_len", "mask buffer built for a fixed length of 8", "shapes",
       (M, "        self.dropout = nn.Dropout(dropout)\n",
        "        self.dropout = nn.Dropout(dropout)\n"
        "        self.register_buffer(\"mask\", torch.ones(8, 8, dtype=torch.bool).triu(1))\n"),
       (M, "        mask = torch.ones(n, n, dtype=torch.bool, device=x.device).triu(1)\n",
        "        mask = self.mask[:8, :8]\n")),
    _m("wrong_head_split", "features split as (d h) instead of (h d)", "reference",
       *((M, f'{t}_proj(x), "b n (h d) -> b h n d"', f'{t}_proj(x), "b n (d h) -> b h n d"') for t in "qkv")),
    _m("heads_not_merged", "heads reshaped into features without moving the head axis", "reference causal",
       (M, '        out = rearrange(out, "b h n d -> b n (h d)")\n',
        "        out = out.reshape(out.shape[0], out.shape[2], -1)\n")),
)

NORM = (
    _m("no_mean_subtraction", "variance used without centring (RMS of raw x)", "reference",
       (M, "x_hat = (x - mean) / torch.sqrt", "x_hat = x / torch.sqrt")),
    _m("unbiased_variance", "unbiased variance (n - 1)", "reference",
       (M, "var = (x - mean).pow(2).mean(dim=-1, keepdim=True)", "var = x.var(dim=-1, keepdim=True, unbiased=True)")),
    _m("normalise_over_sequence", "statistics over the sequence axis", "causal reference",
       (M, "mean = x.mean(dim=-1, keepdim=True)", "mean = x.mean(dim=1, keepdim=True)"),
       (M, "var = (x - mean).pow(2).mean(dim=-1, keepdim=True)", "var = (x - mean).pow(2).mean(dim=1, keepdim=True)")),
    _m("normalise_over_batch", "statistics over the batch axis", "batch_independent",
       (M, "mean = x.mean(dim=-1, keepdim=True)", "mean = x.mean(dim=(0, -1), keepdim=True)")),
    _m("eps_missing", "no epsilon: 0/0 on a constant input", "finite",
       (M, "torch.sqrt(var + self.eps)", "torch.sqrt(var)")),
    _m("eps_outside_sqrt", "epsilon added outside the square root", "reference",
       (M, "torch.sqrt(var + self.eps)", "(torch.sqrt(var) + self.eps)")),
    _m("weight_detached", "gain detached", "grad_flow",
       (M, "x_hat * self.weight + self.bias", "x_hat * self.weight.detach() + self.bias")),
    _m("bias_unused", "bias never added", "grad_flow",
       (M, "x_hat * self.weight + self.bias", "x_hat * self.weight")),
    _m("variance_detached", "variance computed from a detached input", "gradcheck",
       (M, "var = (x - mean).pow(2).mean(dim=-1, keepdim=True)",
        "var = (x.detach() - mean.detach()).pow(2).mean(dim=-1, keepdim=True)")),
    _m("mean_without_keepdim", "mean without keepdim: broadcasts against the wrong axis", "shapes",
       (M, "mean = x.mean(dim=-1, keepdim=True)", "mean = x.mean(dim=-1)")),
    _m("inplace_on_input", "input centred in place", "determinism gradcheck grad_flow",
       (M, "x_hat = (x - mean) / torch.sqrt(var + self.eps)", "x_hat = x.sub_(mean) / torch.sqrt(var + self.eps)")),
)

T = "module.py"
TRAINING = (
    _m("loss_never_decreases", "targets replaced by fresh noise each step", "smoke_train",
       (T, "        x, y = batch\n", "        x, y = batch\n        y = torch.randn_like(y)\n")),
    _m("optimizer_misses_parameters", "optimizer built on the encoder only", "smoke_train",
       (T, "torch.optim.Adam(self.parameters(),", "torch.optim.Adam(self.model.encoder.parameters(),")),
    _m("scheduler_misconfigured", "StepLR decays x0.1 every step", "smoke_train",
       (T, "step_size=100, gamma=0.5", "step_size=1, gamma=0.1")),
    _m("detached_loss", "prediction detached before the loss", "smoke_train",
       (T, "        pred = self(x)\n", "        pred = self(x).detach()\n")),
    _m("state_outside_checkpoint", "random projection kept in a non-persistent buffer", "smoke_train",
       (T, "        self.lr = lr\n",
        "        self.lr = lr\n"
        "        self.register_buffer(\"mix\", torch.randn(out_dim, out_dim), persistent=False)\n"),
       (T, "        return self.model(x)\n", "        return self.model(x) @ self.mix\n")),
    _m("diverging_lr", "learning rate typo 1e2 with SGD: the loss overflows to NaN", "smoke_train",
       (T, "torch.optim.Adam(self.parameters(), lr=self.lr)", "torch.optim.SGD(self.parameters(), lr=self.lr * 1e4)")),
)
DDP_UNUSED = _m("unused_in_training_step", "a head built but never used in training_step", "ddp",
                (T, "        self.lr = lr\n",
                 "        self.lr = lr\n        self.aux_head = torch.nn.Linear(hidden, 1)\n"),
                checks=("ddp",))

DDP_RANK_CRASH = _m("fails_on_rank_one", "training_step raises on rank 1 only (a rank-dependent bug)", "ddp",
                    (T, "        x, y = batch\n",
                     "        x, y = batch\n"
                     "        if torch.distributed.is_initialized() and torch.distributed.get_rank() == 1:\n"
                     "            raise RuntimeError(\"rank-one bug\")\n"),
                    checks=("ddp",))

DDP_RANK_STALLS = _m("stalls_on_rank_one", "training_step blocks forever on rank 1", "ddp",
                     (T, "        x, y = batch\n",
                      "        x, y = batch\n"
                      "        if torch.distributed.is_initialized() and torch.distributed.get_rank() == 1:\n"
                      "            import time\n"
                      "            time.sleep(3600)\n"),
                     checks=("ddp",))

FAMILIES = {"attention": ("attention", "causal_mha", ATTENTION), "norm": ("norm", "layer_norm", NORM)}


def _patched_package(src: Path, dst: Path, mutant: Mutant | None, old_pkg: str, new_pkg: str) -> None:
    shutil.copytree(src, dst, ignore=shutil.ignore_patterns("__pycache__"))
    for file in dst.glob("*.py"):
        text = file.read_text()
        if mutant is not None:
            for name, old, new in mutant.patches:
                if name == file.name:
                    assert old in text, f"mutant {mutant.name}: {old!r} not found in {name}"
                    text = text.replace(old, new)
        file.write_text(text.replace(f"from {old_pkg}.", f"from {new_pkg}."))


def build_module_family(family: str, dest: Path) -> dict[str, Mutant | None]:
    """One project: the correct module (named 'correct') and every mutant; returns name -> mutant."""
    folder, package, mutants = FAMILIES[family]
    root = FIXTURES / folder
    template = (root / "paper2code.toml").read_text()
    block = template[template.index("[[module]]"):]
    dest.mkdir(parents=True)
    manifest = [f'[project]\nname = "{family}_mutants"\n']
    names: dict[str, Mutant | None] = {"correct": None, **{m.name: m for m in mutants}}
    for name, mutant in names.items():
        pkg = f"{package}_{name}"
        _patched_package(root / package, dest / pkg, mutant, package, pkg)
        entry = block.replace(f'"{package}.', f'"{pkg}.')
        entry = entry.replace(entry.split("\n")[1], f'name = "{name}"', 1)
        manifest.append(entry)
    (dest / "paper2code.toml").write_text("\n".join(manifest))
    return names


def build_training_mutant(mutant: Mutant | None, dest: Path) -> Path:
    """A copy of the Lightning fixture with ``mutant`` applied (None: the correct one)."""
    root = FIXTURES / "lightning"
    shutil.copytree(root, dest, ignore=shutil.ignore_patterns("__pycache__"))
    if mutant is not None:
        for file in (dest / "tiny_regressor").glob("*.py"):
            text = file.read_text()
            for name, old, new in mutant.patches:
                if name == file.name:
                    assert old in text, f"mutant {mutant.name}: {old!r} not found in {name}"
                    text = text.replace(old, new)
            file.write_text(text)
    return dest
