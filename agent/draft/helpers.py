"""Per-file template variables of a generated project (imports, prose, tables), from a :class:`Context`."""

from __future__ import annotations

from typing import Any

from agent.catalog import get
from agent.draft.context import Context, lora_targets, merged_imports
from agent.draft.settings import init_args
from agent.draft.testgen import ReferenceTest
from agent.draft.values import Value, float_text, quote

_TASK_DOCS = {
    "copy": "Synthetic task: copy a random sequence of symbols (the target is the source between BOS and EOS).",
    "reverse": "Synthetic task: reverse a random sequence of symbols (the target is the reversed source).",
    "grammar_lm": "Synthetic task: next-token prediction on sentences of a random finite-state grammar.",
    "synthetic_classes": "Synthetic task: classify token sequences whose tokens depend on the class.",
    "synthetic_images": "Synthetic task: images made of class-dependent block patterns plus noise.",
    "diffusion_images": "Synthetic task: generate 8x8-style images made of class-dependent block patterns.",
}


def markdown_cell(text: Any) -> str:
    """``text`` on one line, safe inside a Markdown table cell."""
    return quote(str(text), 240).replace("|", "\\|")


def _config_field(component: str, arg: str, fields: set[str]) -> str | None:
    spec = get(component).params.get(arg)
    name = (spec.canonical or arg) if spec else arg
    return name if name in fields else None


def kwarg_lines(ctx: Context, component: str, indent: int) -> str:
    """``arg=config.field,`` lines passing the Config to ``component``'s constructor."""
    fields = {v.name for v in ctx.settings.model}
    pad = " " * indent
    lines = []
    for arg in init_args(component, ctx.params.get(component, {})):
        name = _config_field(component, arg, fields)
        if name is not None:
            lines.append(f"{pad}{arg}=config.{name},")
    return "\n".join(lines)


def _implements(ctx: Context) -> str:
    numbers = []
    for eq in ctx.plan.equations:
        if eq.number and (eq.implemented_by or eq.compiled) and eq.role != "uncovered":
            numbers.append(f"eq. ({eq.number})")
    return ", ".join(numbers) if numbers else "the components listed below (the plan links no numbered equation)"


def model_context(ctx: Context) -> dict[str, Any]:
    family = ctx.spec.name
    extra = ["from dataclasses import dataclass", "from typing import Any", "from torch import nn"]
    if family in ("seq2seq", "decoder_lm", "diffusion"):
        extra.append("import torch")
    extra.append("from torch import Tensor")
    paper = {v.name: v.value for v in ctx.settings.model}
    tiny = {k: v for k, v in ctx.settings.tiny.items() if paper.get(k) != v}
    return {
        "imports": merged_imports(ctx.model_code.imports, extra),
        "implements": _implements(ctx),
        "tiny_overrides": tiny,
        "lora": ctx.wiring.rendered("lora_linear"),
        "lora_targets": lora_targets(ctx.wiring),
        "guidance": ctx.wiring.rendered("classifier_free_guidance"),
        "kwarg_lines": lambda component, indent: kwarg_lines(ctx, component, indent),
    }


def _loss_name(ctx: Context) -> str | None:
    return next((n for n in ctx.wiring.training_names if get(n).slot == "loss"), None)


def _schedule_name(ctx: Context) -> str | None:
    return next((n for n in ctx.wiring.training_names if get(n).slot == "lr_schedule"), None)


def _value(ctx: Context, name: str) -> Value | None:
    return ctx.settings.training_value(name)


def module_context(ctx: Context) -> dict[str, Any]:
    family = ctx.spec.name
    loss = _loss_name(ctx)
    schedule = _schedule_name(ctx)
    extra = ["import pytorch_lightning as pl", "import torch", "from torch import Tensor", "from typing import Any"]
    if schedule:
        extra.append("import functools")
    sequence = family in ("seq2seq", "decoder_lm")
    if loss is None and family != "diffusion":
        extra.append("import torch.nn.functional as F")
        if sequence:
            extra.append("from einops import rearrange")
    code_imports = ctx.training_code.imports if ctx.training_code else []
    local = [f"from {ctx.package}.model import Config, {ctx.spec.wrapper}"]
    if family == "seq2seq":
        local.insert(0, f"from {ctx.package}.data import BOS, PAD")

    def criterion(logits: str, target: str, ignore: str | None) -> str:
        if loss is not None:
            extra_arg = f", ignore_index={ignore}" if ignore else ""
            return (f"{ctx.symbols[loss]}(\n            {logits}, {target}, smoothing=self.hparams.label_smoothing"
                    f"{extra_arg}\n        )")
        ignore_arg = f", ignore_index={ignore}" if ignore else ""
        if sequence:
            return (f'F.cross_entropy(rearrange({logits}, "b n v -> (b n) v"), rearrange({target}, "b n -> (b n)")'
                    f"{ignore_arg})")
        return f"F.cross_entropy({logits}, {target})"

    if family == "diffusion":
        loss_text = "the simple denoising objective ||eps - eps_theta(x_t, t)||^2 of the diffusion component"
    elif loss is not None:
        smoothing = _value(ctx, "label_smoothing")
        if smoothing is not None and smoothing.value:
            loss_text = (f"cross-entropy against labels smoothed with epsilon_ls = {smoothing.value} "
                         f"({get(loss).paper.split('.')[0]})")
        else:
            loss_text = "cross-entropy (label_smoothing = 0: no smoothing unless the paper states it)"
    else:
        loss_text = "cross-entropy"
    aux = _value(ctx, "aux_loss_weight")
    if aux is not None:
        loss_text += (f", plus aux_loss_weight ({aux.value}) times the routers' load-balancing loss in training "
                      "(train_loss and val_loss log the task loss alone)")
    opt = {n: _value(ctx, n) for n in ("optimizer", "adam_beta1", "adam_beta2", "adam_eps", "weight_decay")}
    optimizer_text = (f"{'AdamW' if opt['optimizer'].value == 'adamw' else 'Adam'}(beta1={opt['adam_beta1'].value}, "
                      f"beta2={opt['adam_beta2'].value}, eps={float_text(opt['adam_eps'].value)}, "
                      f"weight_decay={opt['weight_decay'].value})")
    if schedule == "inverse_sqrt_warmup":
        warmup = _value(ctx, "warmup_steps")
        schedule_text = (f"{ctx.symbols[schedule]}: d_model^-0.5 * min(step^-0.5, step * warmup^-1.5), warmup "
                         f"{warmup.value if warmup else ''} steps ({get(schedule).cite.get('schedule', '')}), "
                         "times learning_rate")
    elif schedule == "warmup_cosine":
        schedule_text = f"{ctx.symbols[schedule]}: linear warmup then cosine decay, times learning_rate"
    else:
        schedule_text = "constant (the plan names no schedule)"
    return {
        "imports": merged_imports(code_imports, extra),
        "local_imports": "\n".join(sorted(local)),
        "criterion": criterion,
        "loss_text": loss_text,
        "optimizer_text": optimizer_text,
        "schedule_text": schedule_text,
        "schedule": schedule,
        "aux_loss": aux is not None,
    }


def _datamodule_args(ctx: Context) -> list[tuple[str, str, str]]:
    args: list[tuple[str, str, str]] = []
    model = {v.name: v for v in ctx.settings.model}
    for name in ctx.settings.linked:
        value = model[name]
        args.append((name, value.kind, value.literal()))
    for value in ctx.settings.data:
        args.append((value.name, value.kind, value.literal()))
    return args


def data_context(ctx: Context) -> dict[str, Any]:
    family = ctx.spec.name
    task = ctx.plan.task if ctx.plan.task in _TASK_DOCS else ctx.spec.task
    reverse = family == "seq2seq" and task == "reverse"
    extra = ["import pytorch_lightning as pl", "import torch", "from torch import Tensor",
             "from torch.utils.data import DataLoader, TensorDataset"]
    if family in ("vit_classifier", "diffusion"):
        extra.append("import torch.nn.functional as F")
    keys = {
        "seq2seq": ["src", "tgt"],
        "decoder_lm": ["tokens"],
        "encoder_classifier": ["tokens", "labels"],
    }.get(family, ["images", "labels"])
    real_doc = {
        "seq2seq": "'src' (N, n) and 'tgt' (N, m) token ids, tgt starting with BOS and ending with EOS",
        "decoder_lm": "'tokens' (N, n + 1) token ids",
        "encoder_classifier": "'tokens' (N, n) token ids and 'labels' (N,)",
    }.get(family, "'images' (N, c, h, w) in [-1, 1] and 'labels' (N,)")
    datamodule_doc = (f"The {task} task as a LightningDataModule: ``num_batches`` batches per epoch, drawn once "
                      "from ``seed``, and a validation set from ``seed + 1000``.")
    return {
        "imports": merged_imports(extra),
        "task_doc": _TASK_DOCS.get(task, _TASK_DOCS[ctx.spec.task]),
        "task_name": "reverse" if reverse else "copy",
        "reverse": reverse,
        "real_doc": real_doc,
        "real_keys": keys,
        "datamodule_doc": datamodule_doc,
        "datamodule_args": _datamodule_args(ctx),
    }


def equations_header(ctx: Context) -> str:
    return (f"{ctx.plan.title}: the paper's equations compiled from its LaTeX by paper2code.\n\n"
            "Each function was checked numerically against an element-wise evaluation of the LaTeX it quotes;\n"
            "tests/test_model.py compares the ones linked to a component with the model's own module.")


def references_header(ctx: Context) -> str:
    return ("Trusted reference implementations (torch built-ins holding a module's own weights) that the\n"
            "components of model.py are checked against: `reference =` in paper2code.toml, tests/test_model.py.")


def training_init(ctx: Context) -> dict[str, Any]:
    return {**ctx.settings.tiny, **ctx.settings.tiny_training}


def data_init(ctx: Context) -> dict[str, Any]:
    data = dict(ctx.settings.tiny_data)
    for name in ctx.settings.linked:
        data[name] = ctx.settings.tiny[name]
    return data


def test_imports(ctx: Context, tests: list[ReferenceTest], has_equations: bool) -> tuple[str, str]:
    extra = ["import pytest", "import pytorch_lightning as pl", "import torch"]
    link_sources = "".join(t.source for t in ctx.links)
    einops = [name for name in ("rearrange", "repeat") if f"{name}(" in link_sources]
    if einops:
        extra.append(f"from einops import {', '.join(einops)}")
    model_names = {ctx.spec.wrapper, "Config"}
    module_names = {"LitModel"}
    for test in tests:
        (module_names if f"{ctx.package}.module:" in _target_of(ctx, test) else model_names).add(test.symbol)
    for link in ctx.links:
        symbol = ctx.symbols[link.component]
        (module_names if get(link.component).slot in ("loss", "lr_schedule") else model_names).add(symbol)
    local = [
        from_import(f"{ctx.package}.data", ["SyntheticData"]),
        from_import(f"{ctx.package}.model", sorted(model_names, key=_member_key)),
        from_import(f"{ctx.package}.module", sorted(module_names, key=_member_key)),
    ]
    packages = (["equations"] if has_equations and ctx.links else []) + (["references"] if tests else [])
    if packages:
        local.insert(0, from_import(ctx.package, packages))
    return merged_imports(extra), "\n".join(local)


def from_import(module: str, names: list[str]) -> str:
    """``from module import a, b``, wrapped in parentheses (one name a line) past 120 columns, as isort does."""
    line = f"from {module} import {', '.join(names)}"
    if len(line) <= 120:
        return line
    return f"from {module} import (\n" + "".join(f"    {name},\n" for name in names) + ")"


def _member_key(name: str) -> tuple[int, str]:
    kind = 0 if name.isupper() and len(name) > 1 else 1 if name[:1].isupper() else 2
    return kind, name.lower()


def _target_of(ctx: Context, test: ReferenceTest) -> str:
    entry = next(e for e in ctx.entries if e.name == test.name)
    return entry.table["target"]


def _symbol_of(ctx: Context, component: str) -> str:
    return ctx.symbols.get(component, get(component).symbol)


def _equation_rows(ctx: Context) -> list[dict[str, str]]:
    functions = {f.latex: f for f in ctx.functions}
    rows = []
    for eq in ctx.plan.equations:
        label = f"eq. ({eq.number})" if eq.number else "unnumbered"
        code_parts = []
        if eq.implemented_by and (eq.implemented_by in ctx.symbols):
            where = "module.py" if get(eq.implemented_by).slot in ("loss", "lr_schedule") else "model.py"
            code_parts.append(f"`{ctx.package}/{where}: {_symbol_of(ctx, eq.implemented_by)}`")
        fn = functions.get(eq.latex)
        if fn is not None:
            code_parts.append(f"`{ctx.package}/equations.py: {fn.name}`")
        code = ", ".join(code_parts) or "not implemented (see NOTES.md)"
        what = f"{eq.role}: `{markdown_cell(quote(eq.latex, 70))}`"
        rows.append({"label": label, "what": what, "code": code})
    return rows


def _component_rows(ctx: Context) -> list[dict[str, Any]]:
    rows = []
    for slot, choice in sorted(ctx.wiring.choices.items()):
        if choice.component not in ctx.symbols:
            continue
        evidence = markdown_cell(choice.evidence) + (f" ({markdown_cell(choice.section)})" if choice.section else "")
        rows.append({"slot": slot, "component": choice.component, "symbol": ctx.symbols[choice.component],
                     "evidence": evidence, "assumed": choice.assumed or not choice.from_plan})
    return rows


def _equation_notes(ctx: Context) -> list[str]:
    notes = []
    for eq in ctx.plan.equations:
        label = f"eq. ({eq.number})" if eq.number else "An unnumbered equation"
        status = ("compiled and verified numerically" if eq.compiled and eq.verified
                  else "compiled, not verified" if eq.compiled else "not compiled")
        by = f"; implemented by `{eq.implemented_by}`" if eq.implemented_by else ""
        note = markdown_cell(eq.note).rstrip(".") if eq.note else ""
        if note.startswith(status):
            status, note = note, ""
        notes.append(f"{label} ({eq.role}): {status}{by}{'; ' + note if note else ''}.")
    return notes


def docs_context(ctx: Context, *, has_equations: bool, has_references: bool) -> dict[str, Any]:
    settings = ctx.settings
    all_values = settings.model + settings.training + settings.data + settings.trainer
    assumptions = [f"`{v.name}` = {v.literal()}: {markdown_cell(v.evidence)}" for v in all_values
                   if v.source == "assumed"]
    assumptions += [markdown_cell(line) for line in ctx.notes.get("assumed_components", [])]
    tiny = {**settings.tiny, **settings.tiny_training}
    tiny_text = ", ".join(f"`{k}` = {v}" for k, v in tiny.items())
    tiny_text += (f"; smoke training: {settings.smoke_steps} steps, the loss must fall by "
                  f"{settings.loss_drop:.0%}")
    return {
        "equation_rows": _equation_rows(ctx),
        "component_rows": _component_rows(ctx),
        "has_equations": has_equations,
        "has_references": has_references,
        "all_values": all_values,
        "assumptions": assumptions,
        "tiny_text": tiny_text,
        "equation_notes": _equation_notes(ctx),
    }
