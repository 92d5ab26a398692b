"""The equation grammar's vocabulary (operators, relations, connectives) and small AST helpers
shared by the parser (:mod:`agent.equations.parser`) and the statement splitter."""

from __future__ import annotations

from agent.equations import ast
from agent.equations.tokens import SYMBOL_COMMANDS, Token

PRODUCT_OPS = {"*": "*", "/": "/", "cdot": "cdot", "times": "times", "odot": "odot", "otimes": "otimes",
               "circ": "circ"}
DEFINE = {"=", ":=", "equiv"}
RELATIONS = {"<", ">", "<=", ">=", "!=", "approx", "propto", "sim", "in", "notin", "subset", "to",
             "implies", "iff", "<<", ">>"}
CONNECTIVE_WORDS = {"where", "with", "and", "for", "if", "when", "s", "st", "then", "hence", "thus", "so",
                    "since", "given", "otherwise"}
CLOSERS = {")", "]", "}", "|", "‖", "rangle", ",", ";", "=", ":", "rfloor", "rceil"}


def symbol_op(tok: Token) -> str | None:
    """The operator a token stands for (``\\cdot`` -> ``cdot``), or None."""
    if tok.kind == "OP":
        return tok.value
    if tok.kind == "CMD" and tok.value in SYMBOL_COMMANDS:
        return SYMBOL_COMMANDS[tok.value]
    return None


def is_callable(node: ast.Node) -> bool:
    base = node.base if isinstance(node, ast.Script) else node
    if isinstance(node, ast.Script) and node.sup is not None and isinstance(node.sup, ast.Num):
        return False
    return isinstance(base, ast.Sym) and base.kind in ("letter", "greek", "word")


def is_single_letter(node: ast.Node) -> bool:
    base = node.base if isinstance(node, ast.Script) else node
    return isinstance(base, ast.Sym) and (base.kind in ("letter", "greek") or len(base.name) == 1)


def word_symbol(tok: Token) -> ast.Sym:
    if tok.kind == "WORD" and len(tok.value) > 1:
        return ast.Sym(tok.value, "word")
    return ast.Sym(tok.value, "letter", font="rm" if tok.upright else None)


def mark_font(node: ast.Node, bold: bool = False, font: str | None = None) -> ast.Node:
    target = node
    while isinstance(target, ast.Script):
        target = target.base
    if isinstance(target, ast.Sym):
        if bold:
            target.bold = True
        if font:
            target.font = font
    return node


def show_token(tok: Token) -> str:
    if tok.kind == "CMD":
        return "\\" + tok.value
    if tok.kind == "EOF":
        return "end of equation"
    return tok.value
