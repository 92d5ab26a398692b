"""Assemble the function source: imports, signature, docstring, sizes, body, return."""

from __future__ import annotations

import re
import textwrap

from agent.equations import ir
from agent.equations.lower import Lowerer, label_of
from agent.errors import UnsupportedNotation


def shape_text(batch: tuple, dims: list[ir.Dim] | tuple[ir.Dim, ...]) -> str:
    tokens = ["..." if b == ir.ELLIPSIS else label_of(b) for b in batch] + [_dim_text(d) for d in dims]
    return " ".join(tokens)


def _dim_text(dim: ir.Dim) -> str:
    root = dim.find()
    if root.expr is not None and root.expr[0] == "mul" and not (root.name and root.hard):
        return "(" + " ".join(str(p) if isinstance(p, int) else label_of(p) for p in root.expr[1]) + ")"
    return label_of(root)


def input_shape(info: ir.SymbolInfo) -> str:
    return shape_text(info.batch_dims, info.dims)


def output_shapes(program: ir.Program) -> list[str]:
    out = []
    for name in program.outputs:
        ty = program.locals[name]
        pos = tuple(program.index_dims[x] for x in ty.idx) + ty.pos
        out.append(shape_text(ty.batch, pos))
    return out


def size_expression(program: ir.Program, name: str) -> str:
    """Python code computing size symbol ``name`` from the shapes of the inputs."""
    root = program.sizes[name].find()
    for inp in program.inputs:
        dims = program.symbols[inp].dims
        for k, dim in enumerate(dims):
            if dim.find() is root:
                return f"{inp}.shape[{k - len(dims)}]"
    for inp in program.inputs:
        dims = program.symbols[inp].dims
        for k, dim in enumerate(dims):
            expr = dim.find().expr
            if expr is None or expr[0] != "mul":
                continue
            others = [p for p in expr[1] if not (isinstance(p, ir.Dim) and p.find() is root)]
            if len(others) == len(expr[1]) - 1 and all(isinstance(p, int) for p in others):
                factor = 1
                for p in others:
                    factor *= int(p)
                return f"{inp}.shape[{k - len(dims)}] // {factor}"
    raise UnsupportedNotation(f"size {name} is not a dimension of any input: give a shape hint that uses it")


def render(program: ir.Program, latex: str, notes: list[str]) -> str:
    """The standalone source of the compiled function (imports included)."""
    low = Lowerer(program)
    for name in low.tensorized:
        low.lines.append(f"{name} = torch.as_tensor({name})")
    for name in sorted(program.sizes):
        low.lines.append(f"{name} = {size_expression(program, name)}")
    for stmt in program.statements:
        low.statement(stmt)
    low.renumber()
    body = low.lines
    last = body[-1] if body else ""
    if len(program.outputs) == 1 and last.startswith(f"{program.outputs[0]} = ") and "torch.chunk" not in last:
        body[-1] = "return " + last[len(program.outputs[0]) + 3:]
    else:
        body.append("return " + ", ".join(program.outputs))

    nested: list[str] = []
    seen: set[str] = set()
    imports: set[str] = set()
    for stmt in program.statements:
        for node in _walk(stmt.value):
            if isinstance(node, ir.CallEq) and node.eq.name not in seen:
                seen.add(node.eq.name)
                lines = node.eq.source.splitlines()
                imports.update(x for x in lines if x.startswith(("import ", "from ")))
                code = [x for x in lines if not x.startswith(("import ", "from "))]
                while code and not code[0].strip():
                    code.pop(0)
                nested += ["    " + x if x.strip() else "" for x in code] + [""]

    params = []
    for name in program.inputs:
        info = program.symbols[name]
        tensor = bool(info.dims or info.batch_dims)
        params.append(f"{name}: {'torch.Tensor' if tensor else 'float | torch.Tensor'}")
    count = len(program.outputs)
    ret = "torch.Tensor" if count == 1 else f"tuple[{', '.join(['torch.Tensor'] * count)}]"
    doc = docstring(program, latex, notes)
    text_body = "\n".join(["    " + x for x in body])
    full = "\n".join(nested) + text_body
    for needle, line in (("math.", "import math"), ("torch.", "import torch"), ("einsum(", "from einops import einsum"),
                         ("rearrange(", "from einops import rearrange")):
        if needle in full or needle in " ".join(params):
            imports.add(line)
    if any(x.startswith("from einops") for x in imports):
        names = sorted({n.strip() for x in imports if x.startswith("from einops")
                        for n in x.split("import", 1)[1].split(",")})
        imports = {x for x in imports if not x.startswith("from einops")} | {f"from einops import {', '.join(names)}"}
    imports.add("import torch")
    stdlib = sorted(x for x in imports if x == "import math")
    third = sorted(x for x in imports if x.startswith("import ") and x not in stdlib)
    third += sorted(x for x in imports if x.startswith("from "))
    header = stdlib + ([""] if stdlib else []) + third
    signature = f"def {program.name}({', '.join(params)}) -> {ret}:"
    if len(signature) > 110:
        signature = f"def {program.name}(\n" + "".join(f"    {p},\n" for p in params) + f") -> {ret}:"
    parts = ["\n".join(header), "", "", signature, doc]
    if nested:
        parts.append("\n".join(nested).rstrip() + "\n")
    parts.append(text_body)
    return "\n".join(parts) + "\n"


def display_latex(latex: str) -> str:
    """The equation as shown in a docstring: no labels, environments or alignment marks."""
    text = re.sub(r"(?<!\\)%.*?$", "", latex, flags=re.MULTILINE)
    text = re.sub(r"\\(label|tag)\*?\s*\{[^}]*\}", "", text)
    text = re.sub(r"\\(begin|end)\s*\{[^}]*\}", "", text)
    text = re.sub(r"\\(relax|nonumber|notag|numberthis)\b", "", text)
    text = " ".join(text.replace("&", "").split())
    return re.sub(r"(\\\\|[,.;\s])+$", "", text)


def docstring(program: ir.Program, latex: str, notes: list[str]) -> str:
    flat = display_latex(latex).replace('"""', "'''")
    if len(flat) < 70:
        lines = [f'    r"""Compiled from the LaTeX: {flat}', ""]
    else:
        wrapped = textwrap.wrap(flat, width=96, break_long_words=False, break_on_hyphens=False)
        lines = ['    r"""Compiled from the LaTeX:', ""] + [f"        {part}" for part in wrapped] + [""]
    lines.append("    Args:")
    for name in program.inputs:
        shape = input_shape(program.symbols[name])
        lines.append(f"        {name}: {'shape (' + shape + ')' if shape else 'a scalar'}.")
    lines += ["", "    Returns:"]
    shapes = output_shapes(program)
    for name, shape in zip(program.outputs, shapes, strict=True):
        lines.append(f"        {name}: {'shape (' + shape + ')' if shape else 'a scalar'}.")
    if notes:
        lines += ["", "    Notes:"]
        for note in notes:
            lines += ["        " + part for part in textwrap.wrap(note, width=96, break_long_words=False)]
    lines.append('    """')
    return "\n".join(lines)


def _walk(node: ir.Expr):  # type: ignore[no-untyped-def]
    yield node
    for value in vars(node).values():
        if isinstance(value, ir.Expr):
            yield from _walk(value)
        elif isinstance(value, list):
            for v in value:
                if isinstance(v, ir.Expr):
                    yield from _walk(v)
