"""Small questions about syntax nodes, shared by the resolver modules."""

from __future__ import annotations

from agent.equations import ast, ir
from agent.equations.names import base_name, join, python_name, script_text


def describe(node: ast.Node) -> str:
    """A few words naming what a node is, for error messages."""
    if isinstance(node, ast.BinOp):
        return {"+": "a sum of terms", "-": "a difference", "/": "a quotient"}.get(node.op, "a product")
    if isinstance(node, ast.BigOp):
        return "a \\sum" if node.op == "sum" else "a \\prod"
    if isinstance(node, ast.Sym) and node.kind == "word":
        return f"the words {node.name!r}"
    return {"Frac": "a fraction", "Neg": "a negation", "Norm": "a norm", "Abs": "an absolute value",
            "FuncOp": "a function of an expression", "Inner": "an inner product"}.get(type(node).__name__,
                                                                                     type(node).__name__)


def base_sym_name(node: ast.Node) -> str | None:
    while isinstance(node, ast.Script):
        node = node.base
    return node.name if isinstance(node, ast.Sym) else None


def letters_chain(node: ast.Node) -> str | None:
    """``PE`` written as juxtaposed italic letters on a left-hand side: the word, else None."""
    if isinstance(node, ast.BinOp) and node.op == "juxt":
        left, right = letters_chain(node.left), letters_chain(node.right)
        return None if left is None or right is None else left + right
    if isinstance(node, ast.Sym) and node.kind == "letter" and not node.accents:
        return node.name
    return None


def size_of(node: ast.Node) -> str | None:
    if isinstance(node, ast.Sym):
        return python_name(base_name(node))
    if isinstance(node, ast.Script) and isinstance(node.base, ast.Sym) and node.sup is None:
        text = script_text(node.sub)
        return None if text is None else python_name(join(base_name(node.base), text))
    return None


def const_text(base: str, exponent: ir.Const) -> str:
    value = float(base) ** exponent.value
    return repr(value) if value != int(value) or abs(value) > 1e15 else str(int(value))
