"""A display equation to statements: split a system at line breaks, ``\\quad``, connectives and commas.

``a = ..., \\quad b = f(a)`` and multi-line align blocks become several statements; continuation
lines of a derivation (``&= ...``), condition clauses (``, i \\in [1, d/2]``, ``\\text{for } v``) and
leading connectives (``\\text{where}``) are dropped with a note.
"""

from __future__ import annotations

from agent.equations import ast
from agent.equations.grammar import CONNECTIVE_WORDS, DEFINE, RELATIONS, symbol_op
from agent.equations.parser import Parser
from agent.equations.tokens import Token, tokenize
from agent.errors import UnsupportedNotation


def split_statements(tokens: list[Token]) -> tuple[list[list[Token]], list[str]]:
    """Split a token list into the token lists of its statements; returns (parts, notes)."""
    lines: list[list[Token]] = [[]]
    for tok in tokens:
        if tok.kind == "EOF":
            continue
        if tok.kind == "NEWLINE":
            lines.append([])
        else:
            lines[-1].append(tok)
    parts: list[list[Token]] = []
    notes: list[str] = []
    for line in lines:
        for part in _split_line(line):
            part = _trim(part)
            if not part:
                continue
            if part[0].is_op("=", "+") or (part[0].kind == "CMD" and symbol_op(part[0]) in RELATIONS | {"<=", ">="}):
                notes.append("a continuation line of a derivation was not compiled")
                continue
            if not any(symbol_op(t) in DEFINE for t in part) and parts:
                if part[0].kind == "WORD" and part[0].value.lower() in CONNECTIVE_WORDS \
                        or any(symbol_op(t) in RELATIONS for t in part):
                    notes.append(f"condition clause dropped: {' '.join(t.value for t in part)}")
                    continue
            parts.append(part)
    return parts, notes


def _split_line(line: list[Token]) -> list[list[Token]]:
    """Split at ``\\quad`` or top-level ``,``/``;`` when both sides are equations."""
    pieces: list[list[Token]] = [[]]
    depth = 0
    for tok in line:
        if tok.kind in ("LBRACE",) or tok.is_op("(", "[") or (tok.kind == "CMD" and tok.value == "langle"):
            depth += 1
        elif tok.kind in ("RBRACE",) or tok.is_op(")", "]") or (tok.kind == "CMD" and tok.value == "rangle"):
            depth -= 1
        if depth == 0 and tok.kind == "WORD" and tok.value.lower() in ("and", "where", "with") and pieces[-1]:
            pieces[-1].append(Token("SPLIT", "QUAD", tok.pos))
            pieces.append([])
            continue
        if depth == 0 and (tok.kind == "QUAD" or tok.is_op(",", ";")):
            pieces[-1].append(Token("SPLIT", tok.value, tok.pos))
            pieces.append([])
            continue
        pieces[-1].append(tok)
    # Re-join pieces that are not separate statements (e.g. the comma of "f(x), y" at depth 0).
    out: list[list[Token]] = []
    for piece in pieces:
        body = [t for t in piece if t.kind != "SPLIT"]
        has_def = any(symbol_op(t) in DEFINE for t in body)
        is_clause = bool(body) and (body[0].kind == "WORD" and body[0].value.lower() in CONNECTIVE_WORDS
                                    or any(symbol_op(t) in RELATIONS for t in body))
        if out and not has_def and not is_clause and body:
            sep = out[-1][-1] if out[-1] and out[-1][-1].kind == "SPLIT" else None
            if sep is not None and sep.value in (",", ";"):
                out[-1] = out[-1][:-1] + [Token("OP", sep.value, sep.pos)] + piece
                continue
        out.append(piece)
    return [[t for t in piece if t.kind != "SPLIT"] for piece in out]


def _trim(part: list[Token]) -> list[Token]:
    """Drop a leading connective (``where``) and trailing punctuation."""
    while part and part[0].kind == "WORD" and part[0].value.lower() in ("where", "with", "and", "then") \
            and any(symbol_op(t) in DEFINE for t in part):
        part = part[1:]
    while part and (part[-1].is_op(",", ".", ";") or part[-1].kind == "QUAD"):
        part = part[:-1]
    return part


def parse_statements(latex: str) -> tuple[list[ast.Statement], list[str]]:
    """Parse a display equation (possibly a system) into statements; returns (statements, notes)."""
    tokens = tokenize(latex)
    parts, notes = split_statements(tokens)
    if not parts:
        if notes:
            raise UnsupportedNotation("a continuation line of a derivation (it has no left-hand side)")
        raise UnsupportedNotation("empty equation")
    if notes and len(parts) == 1 and not any(symbol_op(t) in DEFINE for t in parts[0]):
        raise UnsupportedNotation("a derivation: an expression followed by continuation lines, nothing defined")
    statements = []
    for part in parts:
        parser = Parser([*part, Token("EOF", "", part[-1].pos + 1)])
        stmt = parser.statement()
        stmt.text = _source_text(latex, part)
        statements.append(stmt)
    return statements, notes


def _source_text(latex: str, part: list[Token]) -> str:
    return " ".join(t.value if t.kind != "CMD" else "\\" + t.value for t in part)
