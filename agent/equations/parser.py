"""Precedence-climbing parser: tokens to statements of :mod:`agent.equations.ast` nodes.

Precedence, loosest first: statement relations (``=``), ``+``/``-``, products (explicit
``\\cdot``, ``\\times``, ``\\odot``, ``*``, ``/`` and implicit juxtaposition), unary minus,
scripts (``^``, ``_``, primes), atoms. A ``\\sum`` body extends over the product that follows it.
Splitting a system into statements lives in :mod:`agent.equations.statements`.
"""

from __future__ import annotations

from agent.equations import ast
from agent.equations.grammar import (
    DEFINE,
    PRODUCT_OPS,
    RELATIONS,
    is_callable,
    is_single_letter,
    mark_font,
    show_token,
    symbol_op,
    word_symbol,
)
from agent.equations.tokens import (
    ACCENTS,
    BOLD,
    FONTS,
    FUNCTION_COMMANDS,
    GREEK,
    GREEK_VARIANTS,
    SYMBOL_COMMANDS,
    Token,
)
from agent.errors import UnsupportedNotation


class Parser:
    """Parse one statement's tokens; see :func:`parse_statements` for whole equations."""

    def __init__(self, tokens: list[Token]) -> None:
        self.toks = tokens
        self.i = 0
        self.bars = 0  # depth of |...| being parsed
        self.norms = 0

    # -- token helpers ---------------------------------------------------------------------------
    def peek(self, k: int = 0) -> Token:
        return self.toks[min(self.i + k, len(self.toks) - 1)]

    def next(self) -> Token:
        tok = self.peek()
        self.i += 1
        return tok

    def op(self, k: int = 0) -> str | None:
        return symbol_op(self.peek(k))

    def at(self, *values: str) -> bool:
        return self.op() in values

    def expect(self, value: str) -> None:
        if not self.at(value):
            tok = self.peek()
            if tok.kind == "CMD" and SYMBOL_COMMANDS.get(tok.value) == "mid" or tok.is_op("|") and value != "|":
                raise UnsupportedNotation("unsupported LaTeX construct: conditional bar '|' as in p(a | b)")
            if tok.kind == "CMD":
                raise UnsupportedNotation(f"unsupported LaTeX construct {show_token(tok)} here")
            raise UnsupportedNotation(f"malformed equation: expected '{value}' but found '{show_token(tok)}'")
        self.i += 1

    def done(self) -> bool:
        return self.peek().kind == "EOF"

    # -- grammar ---------------------------------------------------------------------------------
    def statement(self) -> ast.Statement:
        sides = [self.expr()]
        ops: list[str] = []
        while not self.done():
            op = self.op()
            if op in DEFINE:
                self.next()
                ops.append(op)
                sides.append(self.expr())
            elif op in RELATIONS or op == "mid":
                raise UnsupportedNotation(f"unsupported relation {show_token(self.peek())} (only definitions 'a = b')")
            else:
                raise UnsupportedNotation(f"unsupported LaTeX construct '{show_token(self.peek())}' here")
        notes = []
        if len(sides) == 1:
            return ast.Statement(None, sides[0], notes=notes)
        if len(sides) > 2:
            notes.append("chained equality: compiled the first definition, the rest is a derivation")
        return ast.Statement(sides[0], sides[1], notes=notes)

    def expr(self) -> ast.Node:
        if self.at("+"):
            self.next()
        left = self.term()
        while True:
            op = self.op()
            if op in ("+", "-"):
                self.next()
                right = self.term()
                left = ast.BinOp(op, left, right)
            elif op in ("pm", "mp"):
                raise UnsupportedNotation("unsupported LaTeX construct \\pm (two values)")
            else:
                return left

    def term(self) -> ast.Node:
        """Explicit products of juxtaposed chains: ``a \\otimes xV`` is ``a \\otimes (xV)``."""
        left = self.chain()
        while (op := self.op()) in PRODUCT_OPS:
            self.next()
            left = ast.BinOp(PRODUCT_OPS[op], left, self.chain())
        return left

    def chain(self) -> ast.Node:
        left = self.unary()
        while self.starts_factor():
            left = ast.BinOp("juxt", left, self.unary())
        return left

    def unary(self) -> ast.Node:
        if self.at("-"):
            self.next()
            return ast.Neg(self.unary())
        if self.at("+"):
            self.next()
            return self.unary()
        return self.postfix()

    def starts_factor(self) -> bool:
        tok = self.peek()
        if tok.kind in ("NUM", "LETTER", "WORD", "LBRACE"):
            return True
        if tok.kind == "CMD":
            op = SYMBOL_COMMANDS.get(tok.value)
            if op == "‖":
                return self.norms == 0
            return op is None or op in ("langle", "nabla", "partial", "infty", "dots", "lfloor", "lceil")
        if tok.kind == "OP":
            if tok.value in ("(", "[", "{"):
                return True
            if tok.value == "|":
                return False
            if tok.value == "‖":
                return self.norms == 0
        return False

    def postfix(self) -> ast.Node:
        node = self.atom()
        return self.scripts(node)

    def scripts(self, node: ast.Node) -> ast.Node:
        sub = sup = None
        primes = 0
        while True:
            if self.at("_"):
                if sub is not None:
                    raise UnsupportedNotation("malformed equation: double subscript")
                self.next()
                sub = self.script_arg()
            elif self.at("^"):
                if sup is not None:  # x^2^3 or a label then a power: nest
                    node = ast.Script(node, sub, sup, primes)
                    sub, primes = None, 0
                self.next()
                sup = self.script_arg()
            elif self.at("'"):
                self.next()
                primes += 1
            else:
                break
        if sub is not None or sup is not None or primes:
            node = ast.Script(node, sub, sup, primes)
        if self.at("[") and isinstance(node, ast.Sym) and node.kind == "word" and len(node.name) > 1:
            self.next()
            args = self.arguments("]")
            self.expect("]")
            node = ast.Apply(node, args)
        if self.at("(") and is_callable(node):
            node = self.application(node)
            if self.at("_", "^"):
                node = self.scripts(node)
        return node

    def script_arg(self) -> ast.Node:
        tok = self.peek()
        if tok.kind == "LBRACE":
            self.next()
            body = self.script_body("}")
            self.expect_brace()
            return body
        if tok.kind == "NUM":
            self.next()
            if len(tok.value) > 1 and "." not in tok.value:  # x^23 is x^2 then 3
                self.toks.insert(self.i, Token("NUM", tok.value[1:], tok.pos + 1))
                return ast.Num(float(tok.value[0]), tok.value[0])
            return ast.Num(float(tok.value), tok.value)
        if tok.kind in ("LETTER", "WORD"):
            self.next()
            return word_symbol(tok)
        if tok.kind == "CMD":
            op = SYMBOL_COMMANDS.get(tok.value)
            if tok.value in FUNCTION_COMMANDS:
                self.next()
                return ast.Sym(tok.value, "word")
            if op in ("top", "prime", "star", "dagger", "infty", "*"):
                self.next()
                return ast.Sym(op, "const", cmd=True)
            return self.atom()
        if tok.is_op("*", "'"):
            self.next()
            return ast.Sym("star" if tok.value == "*" else "prime", "const")
        if tok.is_op("-"):
            self.next()
            return ast.Neg(self.script_arg())
        raise UnsupportedNotation(f"malformed script after '{show_token(tok)}'")

    def script_body(self, closer: str) -> ast.Node:
        """Inside ``{...}`` of a script: an expression, a list, or a relation such as ``i=1``."""
        items = [self._script_item()]
        sep = ","
        while self.at(",", ";"):
            sep = self.next().value
            items.append(self._script_item())
        return items[0] if len(items) == 1 else ast.Seq(items, sep, "{")

    def _script_item(self) -> ast.Node:
        if self.peek().kind == "RBRACE":
            return ast.Seq([], ",", "{")
        if self.at("*", "'") and self.peek(1).kind == "RBRACE":
            return ast.Sym("star" if self.next().value == "*" else "prime", "const")
        left = self.expr()
        op = self.op()
        if op in ("=", "in", "<=", "<", ":", "notin", "subset", ">", ">=", "!=", "sim", "to"):
            self.next()
            right = self.expr()
            return ast.Rel(op, left, right)
        return left

    def expect_brace(self) -> None:
        if self.peek().kind != "RBRACE":
            raise UnsupportedNotation(f"malformed equation: expected '}}' but found '{show_token(self.peek())}'")
        self.next()

    def braced(self) -> ast.Node:
        """A ``{...}`` argument (or a single token, as TeX allows: ``\\frac12``)."""
        tok = self.peek()
        if tok.kind == "LBRACE":
            self.next()
            body = self.expr() if self.peek().kind != "RBRACE" else ast.Seq([], ",", "{")
            self.expect_brace()
            return body
        if tok.kind == "NUM" and len(tok.value) > 1 and "." not in tok.value:
            self.next()
            self.toks.insert(self.i, Token("NUM", tok.value[1:], tok.pos + 1))
            return ast.Num(float(tok.value[0]), tok.value[0])
        return self.atom()

    def application(self, head: ast.Node) -> ast.Node:
        self.expect("(")
        args = self.arguments(")")
        self.expect(")")
        single_letter = is_single_letter(head)
        return ast.Apply(head, args, maybe_product=single_letter)

    def arguments(self, closer: str) -> list[ast.Node]:
        if self.at(closer):
            return []
        args = [self.expr()]
        while self.at(",", ";"):
            self.next()
            args.append(self.expr())
        return args

    def atom(self) -> ast.Node:
        tok = self.peek()
        if tok.kind == "NUM":
            self.next()
            return ast.Num(float(tok.value), tok.value)
        if tok.kind in ("LETTER", "WORD"):
            self.next()
            return word_symbol(tok)
        if tok.kind == "LBRACE":
            self.next()
            body = self.expr()
            self.expect_brace()
            return body
        if tok.kind == "OP":
            return self.delimited(tok)
        if tok.kind == "CMD":
            return self.command(tok)
        if tok.kind in ("NEWLINE", "QUAD"):
            raise UnsupportedNotation("malformed equation: unexpected line break")
        raise UnsupportedNotation("malformed equation: it ends too early")

    def delimited(self, tok: Token) -> ast.Node:
        v = tok.value
        if v in ("(", "[", "{"):
            closer = {"(": ")", "[": "]", "{": "}"}[v]
            self.next()
            saved = self.bars, self.norms
            self.bars = self.norms = 0
            items = [self.expr()]
            sep = ","
            while self.at(",", ";"):
                sep = self.next().value
                items.append(self.expr())
            if self.at(":", "mid") and v == "{":
                raise UnsupportedNotation("unsupported LaTeX construct: set-builder notation {x : ...}")
            if v == "[" and self.at(")"):
                raise UnsupportedNotation("unsupported LaTeX construct: half-open interval")
            self.expect(closer)
            self.bars, self.norms = saved
            if len(items) == 1:
                return ast.Group(items[0], v)
            return ast.Seq(items, sep, v)
        if v == "|":
            self.next()
            self.bars += 1
            body = self.expr()
            self.bars -= 1
            self.expect("|")
            return ast.Abs(body)
        if v == "‖":
            self.next()
            self.norms += 1
            body = self.expr()
            self.norms -= 1
            self.expect("‖")
            sub = sup = None
            if self.at("_"):
                self.next()
                sub = self.script_arg()
            if self.at("^"):
                self.next()
                sup = self.script_arg()
            node: ast.Node = ast.Norm(body, sub, None)
            if sup is not None:
                node = ast.Script(node, None, sup)
            return node
        if v == ".":
            raise UnsupportedNotation("malformed equation: stray '.'")
        raise UnsupportedNotation(f"unsupported LaTeX construct '{v}' here")

    def command(self, tok: Token) -> ast.Node:
        name = tok.value
        if name in GREEK or name in GREEK_VARIANTS:
            self.next()
            base = GREEK_VARIANTS.get(name, name)
            if name == "pi":
                return ast.Sym("pi", "const", cmd=True)
            return ast.Sym(base, "greek" if base not in ("l", "i") else "letter", cmd=True)
        if name in ("frac", "dfrac", "tfrac", "cfrac"):
            self.next()
            num = self.braced()
            den = self.braced()
            return ast.Frac(num, den)
        if name == "sqrt":
            self.next()
            index = None
            if self.at("["):
                self.next()
                index = self.expr()
                self.expect("]")
            return ast.Sqrt(self.braced(), index)
        if name in BOLD:
            self.next()
            return mark_font(self.braced_or_atom(), bold=True)
        if name in FONTS:
            self.next()
            return mark_font(self.braced_or_atom(), font=FONTS[name])
        if name in ACCENTS:
            self.next()
            body = self.braced_or_atom()
            if isinstance(body, ast.Sym):
                body.accents = (*body.accents, ACCENTS[name])
                return body
            return ast.Accent(ACCENTS[name], body)
        if name in ("sum", "prod"):
            return self.big_operator(name)
        if name == "underbrace":
            self.next()
            body = self.braced()
            if self.at("_"):
                self.next()
                self.script_arg()
            return ast.Group(body, "{")
        if name in FUNCTION_COMMANDS:
            return self.function_command(name)
        op = SYMBOL_COMMANDS.get(name)
        if op == "langle":
            self.next()
            left = self.expr()
            self.expect(",")
            right = self.expr()
            self.expect("rangle")
            return ast.Inner(left, right)
        if op == "‖" or op == "|":
            return self.delimited(Token("OP", op, tok.pos))
        if op == "dots":
            self.next()
            return ast.Dots()
        if op in ("{", "["):
            return self.delimited(Token("OP", op, tok.pos))
        if op in ("infty", "top", "prime", "star", "dagger"):
            self.next()
            return ast.Sym(op, "const", cmd=True)
        if op == "lfloor" or op == "lceil":
            raise UnsupportedNotation(f"unsupported LaTeX construct \\{name} (floor/ceiling)")
        if op in ("nabla", "partial"):
            raise UnsupportedNotation(f"unsupported LaTeX construct \\{name} (derivatives)")
        if name in ("int", "iint", "oint"):
            raise UnsupportedNotation(f"unsupported LaTeX construct \\{name} (integrals)")
        if name in ("binom", "choose"):
            raise UnsupportedNotation(f"unsupported LaTeX construct \\{name} (binomial coefficient)")
        raise UnsupportedNotation(f"unsupported LaTeX construct \\{name}")

    def braced_or_atom(self) -> ast.Node:
        tok = self.peek()
        if tok.kind == "LBRACE":
            self.next()
            body = self.expr()
            self.expect_brace()
            return body
        return self.atom()

    def function_command(self, name: str) -> ast.Node:
        self.next()
        if self.peek().kind in ("RBRACE", "EOF") or self.at(",", ")"):  # p_{\max}: a name, not a call
            return ast.Sym(name, "word")
        head = ast.Sym(name, "word", cmd=True)
        sub = sup = None
        while self.at("_", "^"):
            if self.next().value == "_":
                sub = self.script_arg()
            else:
                sup = self.script_arg()
        if self.at("(") or (self.at("[") and name not in ("max", "min")):
            closer = ")" if self.at("(") else "]"
            self.next()
            args = self.arguments(closer)
            self.expect(closer)
            return ast.Script(ast.Apply(head, args), sub, sup) if (sub or sup) else ast.Apply(head, args)
        if self.peek().kind == "LBRACE" and name not in ("max", "min"):
            self.next()
            arg = self.expr()
            self.expect_brace()
            return ast.FuncOp(name, arg, sub, sup)
        arg = self.unary_arg()
        return ast.FuncOp(name, arg, sub, sup)

    def unary_arg(self) -> ast.Node:
        """The argument of ``\\log x`` or ``\\max_j x_j``: the next factor with its scripts."""
        if self.at("-"):
            self.next()
            return ast.Neg(self.unary_arg())
        return self.postfix()

    def big_operator(self, name: str) -> ast.Node:
        self.next()
        sub = sup = None
        while self.at("_", "^"):
            if self.next().value == "_":
                sub = self.script_arg()
            else:
                sup = self.script_arg()
        body = self.term()
        return ast.BigOp(name, body, sub, sup)
