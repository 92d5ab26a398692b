"""LaTeX expressions to IR nodes: the part of :class:`agent.equations.meaning.Resolver` that walks
the right-hand side (arithmetic, scripts, sums, norms, function applications, builtins)."""

from __future__ import annotations

import math

from agent.equations import ast, ir
from agent.equations.astutil import base_sym_name, const_text, size_of
from agent.equations.functions import FUNCTION_LETTERS, lookup
from agent.equations.names import python_name, script_text
from agent.equations.resolve import _sum_letters, index_candidates
from agent.errors import UnsupportedNotation


class ExpressionMixin:
    """Expression conversion; the resolver supplies ``ref``, ``symbol_parts``, ``sup_kind`` and state."""

    # -- expressions -----------------------------------------------------------------------------
    def expr(self, node: ast.Node) -> ir.Expr:
        method = getattr(self, "_" + type(node).__name__.lower(), None)
        if method is None:
            raise UnsupportedNotation(f"unsupported LaTeX construct: {type(node).__name__}")
        return method(node)

    def _num(self, node: ast.Num) -> ir.Expr:
        return ir.Const(node.value, node.text)

    def _sym(self, node: ast.Sym) -> ir.Expr:
        if node.kind == "const":
            if node.name == "pi":
                return ir.Const(math.pi, "math.pi")
            raise UnsupportedNotation(f"unsupported LaTeX construct \\{node.name} as a value")
        if node.kind == "word" and node.cmd:
            raise UnsupportedNotation(f"unsupported LaTeX construct: \\{node.name} without an argument")
        if node.font == "rm" and node.name == "d":
            raise UnsupportedNotation("unsupported LaTeX construct: differential \\mathrm{d}")
        if node.font == "bb" and node.name in ("E", "R", "P", "N"):
            raise UnsupportedNotation(f"unsupported LaTeX construct \\mathbb{{{node.name}}}")
        return self.ref(node)

    def _accent(self, node: ast.Accent) -> ir.Expr:
        return self.ref(node)

    def _script(self, node: ast.Script) -> ir.Expr:
        base = node.base
        if isinstance(base, ast.Apply) and self._is_product(base):
            scripted = ast.Script(ast.Group(base.args[0]), node.sub, node.sup, node.primes)
            return ir.Product(self.ref(base.head), self.expr(scripted), style="juxt")
        if isinstance(base, ast.Num):
            if node.sub is not None:
                raise UnsupportedNotation("unsupported LaTeX construct: a subscript on a number")
            exponent = self.expr(node.sup) if node.sup is not None else None
            if isinstance(exponent, ir.Neg) and isinstance(exponent.body, ir.Const):
                exponent = ir.Const(-exponent.body.value, f"-{exponent.body.text}")
            if isinstance(exponent, ir.Const):
                value = base.value ** exponent.value
                return ir.Const(value, const_text(base.text, exponent))
            return ir.Binary("^", ir.Const(base.value, base.text), exponent) if exponent else ir.Const(base.value)
        if isinstance(base, ast.Sym) and base.kind == "letter" and base.name == "e" and node.sub is None \
                and node.sup is not None and "e" not in self.symbols:
            return ir.Call("exp", [self.expr(node.sup)])
        if isinstance(base, ast.Sym | ast.Script | ast.Accent) and not (
                isinstance(base, ast.Sym) and base.kind in ("word", "const") and base.cmd):
            return self.ref(node)
        inner = self.expr(base)
        if node.sub is not None:
            if isinstance(base, ast.Norm):
                raise UnsupportedNotation("unsupported LaTeX construct: subscript on a norm")
            letters = self._index_letters(node.sub)
            if letters is None:
                raise UnsupportedNotation(
                    "unsupported LaTeX construct: subscript on an expression that is not an index")
            inner = ir.Bind(inner, tuple(letters))
        if node.sup is not None:
            if self.sup_kind(node.sup) == "transpose":
                inner = ir.Transpose(inner)
            else:
                inner = ir.Binary("^", inner, self.expr(node.sup))
        if node.primes:
            raise UnsupportedNotation("unsupported LaTeX construct: prime on an expression (a derivative?)")
        return inner

    def _group(self, node: ast.Group) -> ir.Expr:
        return self.expr(node.body)

    def _seq(self, node: ast.Seq) -> ir.Expr:
        if node.delim == "[" and node.sep == ";":
            self._note("[a; b] read as a concatenation along the last axis")
            return ir.Concat([self.expr(item) for item in node.items])
        raise UnsupportedNotation("unsupported LaTeX construct: a tuple or interval (a, b)")

    def _binop(self, node: ast.BinOp) -> ir.Expr:
        op = node.op
        if op == "juxt" and base_sym_name(node.left) == "O" and isinstance(node.right, ast.Group):
            raise UnsupportedNotation("unsupported LaTeX construct: big-O notation O(...)")
        if op in ("juxt", "cdot") and isinstance(node.left, ast.Sym) and node.left.name == "E" \
                and isinstance(node.right, ast.Group) and node.right.delim == "[":
            raise UnsupportedNotation("unsupported LaTeX construct: expectation E[...]")
        if op == "juxt" and isinstance(node.right, ast.Group) and node.right.delim == "[" \
                and isinstance(node.right.body, ast.Sym | ast.Num) and isinstance(node.left, ast.Sym | ast.Script):
            raise UnsupportedNotation("unsupported LaTeX construct: bracket indexing x[k]")
        if op in ("juxt", "cdot") and (mean := self._mean(node.left, node.right)) is not None:
            return mean
        left, right = self.expr(node.left), self.expr(node.right)
        if op in ("+", "-", "/"):
            return ir.Binary(op, left, right)
        if op in ("*", "odot"):
            return ir.Binary("*", left, right, style=op)
        if op in ("otimes", "circ"):
            self._note(f"\\{op} read as the element-wise product")
            return ir.Binary("*", left, right, style=op)
        if op in ("juxt", "cdot", "times"):
            return ir.Product(left, right, style=op)
        raise UnsupportedNotation(f"unsupported operator {op}")

    def _mean(self, left: ast.Node, right: ast.Node) -> ir.Expr | None:
        """``\\frac{1}{n}\\sum_{i=1}^n x_i`` is the mean of x over i."""
        if not (isinstance(left, ast.Frac) and isinstance(left.num, ast.Num) and left.num.value == 1):
            return None
        if not (isinstance(right, ast.BigOp) and right.op == "sum"):
            return None
        letters = _sum_letters(right.sub, right.sup)
        if len(letters) != 1:
            return None
        letter, bound = letters[0]
        den = left.den
        matches = (bound.size_name is not None and size_of(den) == bound.size_name) or (
            bound.size is not None and isinstance(den, ast.Num) and den.value == bound.size)
        if not matches:
            return None
        return ir.Reduce("sum", letter, self.expr(right.body), mean=True)

    def _neg(self, node: ast.Neg) -> ir.Expr:
        return ir.Neg(self.expr(node.body))

    def _frac(self, node: ast.Frac) -> ir.Expr:
        return ir.Binary("/", self.expr(node.num), self.expr(node.den))

    def _sqrt(self, node: ast.Sqrt) -> ir.Expr:
        body = self.expr(node.body)
        if node.index is None:
            return ir.Call("sqrt", [body])
        index = self.expr(node.index)
        if not isinstance(index, ir.Const):
            raise UnsupportedNotation("unsupported LaTeX construct: \\sqrt[n] with a symbolic n")
        return ir.Binary("^", body, ir.Const(1 / index.value, f"1 / {index.text or index.value}"))

    def _abs(self, node: ast.Abs) -> ir.Expr:
        return ir.Call("abs", [self.expr(node.body)])

    def _norm(self, node: ast.Norm) -> ir.Expr:
        p = "2"
        if node.sub is not None:
            text = script_text(node.sub)
            p = {"2": "2", "1": "1", "F": "F", "inf": "inf"}.get(text or "", "")
            if not p:
                raise UnsupportedNotation(f"unsupported norm \\|.\\|_{text}")
        return ir.Norm(self.expr(node.body), p)

    def _inner(self, node: ast.Inner) -> ir.Expr:
        return ir.Product(self.expr(node.left), self.expr(node.right), style="inner")

    def _dots(self, node: ast.Dots) -> ir.Expr:
        raise UnsupportedNotation("unsupported LaTeX construct \\cdots (elided terms)")

    def _rel(self, node: ast.Rel) -> ir.Expr:
        raise UnsupportedNotation(f"unsupported relation '{node.op}' inside an expression")

    def _bigop(self, node: ast.BigOp) -> ir.Expr:
        body = self.expr(node.body)
        for letter, _ in reversed(_sum_letters(node.sub, node.sup)):
            body = ir.Reduce(node.op, letter, body)
        return body

    def _funcop(self, node: ast.FuncOp) -> ir.Expr:
        name = node.name
        if name in ("max", "min"):
            letters = index_candidates(node.sub)
            if node.sub is None or letters is None:
                raise UnsupportedNotation(f"unsupported LaTeX construct: \\{name} without an index or two arguments")
            result = self.expr(node.arg)
            for letter in reversed(letters):
                result = ir.Reduce(name, letter, result)
            return result
        if name == "log" and node.sub is not None:
            base = script_text(node.sub)
            if base not in ("2", "10", "e"):
                raise UnsupportedNotation(f"unsupported LaTeX construct: \\log_{base}")
            name = {"2": "log2", "10": "log10", "e": "log"}[base]
        elif node.sub is not None:
            raise UnsupportedNotation(f"unsupported LaTeX construct: subscript on \\{name}")
        builtin = lookup(name)
        if builtin is None or builtin.kind == "binary":
            raise UnsupportedNotation(f"unsupported LaTeX construct \\{name}")
        result: ir.Expr = ir.Call(builtin.name, [self.expr(node.arg)])
        if node.sup is not None:
            result = ir.Binary("^", result, self.expr(node.sup))
        return result

    def _apply(self, node: ast.Apply) -> ir.Expr:
        head = node.head
        if base_sym_name(head) == "O":
            raise UnsupportedNotation("unsupported LaTeX construct: big-O notation O(...)")
        sub = head.sub if isinstance(head, ast.Script) else None
        base = head.base if isinstance(head, ast.Script) else head
        full_name = python_name(self.symbol_parts(head)[0]) if isinstance(head, ast.Sym | ast.Script) else ""
        if full_name in self.context and full_name not in self.locals:
            return self.call_context(self.context[full_name], [self.expr(a) for a in node.args])
        word = base.name if isinstance(base, ast.Sym) else ""
        builtin = lookup(word) if isinstance(base, ast.Sym) and not base.accents else None
        if builtin is not None and word == "sigma" and (sub is not None or "sigma" in self.symbols):
            builtin = None
        if isinstance(head, ast.Script) and head.sup is not None:
            builtin = None
        if builtin is not None and word not in self.symbols and word not in self.locals:
            return self.builtin(builtin.name, node.args, sub)
        if self._is_product(node):
            return ir.Product(self.ref(head), self.expr(node.args[0]), style="juxt")
        raise UnsupportedNotation(f"unknown function {full_name or word} (not built in, not in the context)")

    def _is_product(self, node: ast.Apply) -> bool:
        """``t(a + b)`` or ``W^Q(x)``: a symbol times a bracket, not a function call."""
        if not node.maybe_product or len(node.args) != 1:
            return False
        arg = node.args[0]
        while isinstance(arg, ast.Script):
            arg = arg.base
        if isinstance(arg, ast.Sym) and arg.kind != "const":  # q_t(x_0), \ell(z): a call of an unknown function
            return False
        head = node.head
        base = head.base if isinstance(head, ast.Script) else head
        if not isinstance(base, ast.Sym) or base.kind not in ("letter", "greek"):
            return False
        full_name = python_name(self.symbol_parts(head)[0])
        if full_name in self.context or base.name in FUNCTION_LETTERS or full_name in FUNCTION_LETTERS:
            return False
        if base.name == "sigma" and not isinstance(head, ast.Script) and "sigma" not in self.symbols:
            return False
        return True

    def builtin(self, name: str, args: list[ast.Node], sub: ast.Node | None) -> ir.Expr:
        values = [self.expr(a) for a in args]
        if name in ("maximum", "minimum"):
            if len(values) == 1 and sub is not None:
                letters = index_candidates(sub) or []
                result = values[0]
                for letter in reversed(letters):
                    result = ir.Reduce(name[:3], letter, result)
                return result
            if len(values) != 2:
                raise UnsupportedNotation(f"unsupported LaTeX construct: \\{name[:3]} of {len(values)} arguments")
            zero = [isinstance(v, ir.Const) and v.value == 0 for v in values]
            if name == "maximum" and any(zero):
                return ir.Call("relu", [values[1] if zero[0] else values[0]])
            return ir.Call(name, values)
        if len(values) != 1:
            raise UnsupportedNotation(f"unsupported LaTeX construct: {name} of {len(values)} arguments")
        if name == "swish":
            param = self.expr(sub) if sub is not None else ir.Const(1.0, "1")
            if isinstance(param, ir.Const) and param.value == 1:
                return ir.Call("silu", values)
            return ir.Call("swish", values, param=param)
        axis = None
        if sub is not None:
            letters = self._index_letters(sub)
            if name not in ("softmax", "log_softmax") or letters is None or len(letters) != 1:
                raise UnsupportedNotation(f"unsupported LaTeX construct: subscript on {name}")
            axis = letters[0]
        return ir.Call(name, values, axis=axis)

