"""Python names for LaTeX symbols (the naming rules of DESIGN.md, "Equations API").

Greek letters by name (``\\alpha`` -> ``alpha``; keywords get a trailing ``_``: ``lambda_``);
font and vector wrappers dropped; subscripts join with ``_`` (``d_k``, ``\\lambda_{\\text{init}}``
-> ``lambda_init``); a labelling superscript joins too (``W^O`` -> ``W_O``); accents become
suffixes (``\\hat{x}`` -> ``x_hat``); primes become ``_prime``.
"""

from __future__ import annotations

import keyword
import re

from agent.equations import ast

RESERVED = {"torch", "math", "einsum", "rearrange", "reduce", "F", "self", "None", "True", "False"}


def python_name(name: str) -> str:
    """Make ``name`` a safe Python identifier (keywords and our imports get a trailing ``_``)."""
    name = re.sub(r"[^0-9A-Za-z_]", "_", name)
    name = re.sub(r"_+", "_", name).strip("_") or "x"
    if name[0].isdigit():
        name = "v_" + name
    if keyword.iskeyword(name) or name in RESERVED:
        name += "_"
    return name


def base_name(sym: ast.Sym) -> str:
    """The name of a bare symbol with its accents: ``\\bar{\\alpha}`` -> ``alpha_bar``."""
    return "_".join([sym.name, *sym.accents])


def script_text(node: ast.Node | None) -> str | None:
    """A subscript or label as name text: ``{\\text{init}}`` -> ``init``, ``t+1`` -> ``t_plus_1``.

    Returns None when the script is not something a name can hold (a relation, a fraction...).
    """
    if node is None:
        return ""
    if isinstance(node, ast.Sym):
        if node.kind == "const":
            return {"star": "star", "prime": "prime", "dagger": "dagger", "infty": "inf", "pi": "pi"}.get(
                node.name, node.name)
        return base_name(node)
    if isinstance(node, ast.Num):
        return node.text.replace(".", "_")
    if isinstance(node, ast.Group):
        return script_text(node.body)
    if isinstance(node, ast.Script):
        base = script_text(node.base)
        parts = [base, script_text(node.sup) if node.sup is not None else "",
                 script_text(node.sub) if node.sub is not None else ""]
        if any(p is None for p in parts):
            return None
        return "_".join(p for p in parts if p) + "_prime" * node.primes
    if isinstance(node, ast.Seq):
        parts = [script_text(item) for item in node.items]
        if any(p is None for p in parts):
            return None
        return "_".join(p for p in parts if p)
    if isinstance(node, ast.BinOp):
        left, right = script_text(node.left), script_text(node.right)
        if left is None or right is None:
            return None
        if node.op == "juxt":
            if _is_letterish(node.left) and _is_letterish(node.right):
                return left + right
            return f"{left}_{right}"
        word = {"+": "plus", "-": "minus", "*": "times", "cdot": "times", "/": "over"}.get(node.op)
        return f"{left}_{word}_{right}" if word else None
    if isinstance(node, ast.Neg):
        inner = script_text(node.body)
        return None if inner is None else f"minus_{inner}"
    return None


def _is_letterish(node: ast.Node) -> bool:
    if isinstance(node, ast.Sym):
        return node.kind in ("letter", "word") and not node.accents
    if isinstance(node, ast.BinOp) and node.op == "juxt":
        return _is_letterish(node.left) and _is_letterish(node.right)
    return False


def join(*parts: str) -> str:
    return "_".join(p for p in parts if p)
