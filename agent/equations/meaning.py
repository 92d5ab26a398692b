"""Statements to typed-IR assignments: symbols, intermediates, functions, context calls.

:class:`Resolver` walks each parsed statement with the index letters found by
:func:`agent.equations.resolve.analyse` and decides what every symbol is: an input, an
intermediate from an earlier statement, a dimension size, or a call of an earlier compiled
equation from the context.
"""

from __future__ import annotations

import math

from agent.equations import ast, ir
from agent.equations.functions import FUNCTION_LETTERS, lookup
from agent.equations.names import base_name, join, python_name, script_text
from agent.equations.resolve import Analysis, _letter, _sum_letters, index_candidates, walk
from agent.errors import UnsupportedNotation


class Resolver:
    """Convert parsed statements into :mod:`agent.equations.ir` assignments."""

    def __init__(self, analysis: Analysis, context: list | None, size_names: set[str], notes: list[str]) -> None:
        self.a = analysis
        self.context = {eq.name: eq for eq in (context or [])}
        self.symbols: dict[str, ir.SymbolInfo] = {}
        self.locals: dict[str, tuple[str, ...]] = {}
        self.pow_alias: dict[tuple[str, float], str] = {}
        self.size_names = set(size_names) | {b.size_name for b in analysis.bounds.values() if b.size_name}
        self.notes = notes
        self.function_name: str | None = None
        self.callee_hints: dict[str, tuple[object, str]] = {}  # input -> (callee eq, shape)

    # -- statements ------------------------------------------------------------------------------
    def statement(self, stmt: ast.Statement) -> ir.Assign:
        targets, letters = self.lhs(stmt.lhs)
        value = self.expr(stmt.rhs)
        for target in targets:
            self.locals[target] = letters if len(targets) == 1 else ()
        return ir.Assign(targets, letters, value, stmt.text)

    def lhs(self, node: ast.Node | None) -> tuple[list[str], tuple[str, ...]]:
        if node is None:
            return ["expression"], ()
        if isinstance(node, ast.Group):
            return self.lhs(node.body)
        if isinstance(node, ast.Apply):
            return [self.define_function(node)], ()
        if isinstance(node, ast.Script) and isinstance(node.base, ast.Apply) and node.sup is None:
            letters = self._index_letters(node.sub)
            if letters is None:
                raise UnsupportedNotation("unsupported left-hand side: a subscript on a function that is not an index")
            return [self.define_function(node.base)], tuple(letters)
        if isinstance(node, ast.Seq) and node.delim == "[" and len(node.items) == 2:
            names = [self.lhs(item)[0][0] for item in node.items]
            self.notes.append(f"[{'; '.join(names)}] = ...: the last axis is split into {len(names)} equal parts")
            return names, ()
        if isinstance(node, ast.BinOp) and node.op == "juxt" and _letters_chain(node.left) is not None \
                and isinstance(node.right, ast.Num):
            return [python_name(f"{_letters_chain(node.left)}{node.right.text}")], ()
        if isinstance(node, ast.BinOp) and node.op == "juxt" and _letters_chain(node.left) is not None:
            word = _letters_chain(node.left) or ""
            if _letters_chain(node.right) is not None:
                return [python_name(word + (_letters_chain(node.right) or ""))], ()
            if isinstance(node.right, ast.Script) and isinstance(node.right.base, ast.Sym):
                # PE_{(pos,2i)}: a word written in italics, with a subscript
                name, _, extra = self.symbol_parts(node.right)
                if not extra:
                    self._note(f"italic letters {word}{node.right.base.name} read as one name")
                    return [python_name(word + name)], ()
        if isinstance(node, ast.Script) and isinstance(node.sup, ast.Num) and isinstance(node.base, ast.Sym | ast.Script):
            inner = ast.Script(node.base, node.sub, None, node.primes) if node.sub or node.primes else node.base
            name, letters, _ = self.symbol_parts(inner)
            power = node.sup.value
            target = python_name(f"{name}_sq" if power == 2 else f"{name}_pow{node.sup.text}")
            self.pow_alias[(python_name(name), power)] = target
            return [target], tuple(letters)
        if isinstance(node, ast.Sym | ast.Script | ast.Accent):
            name, letters, extra = self.symbol_parts(node)
            if extra:
                raise UnsupportedNotation("unsupported left-hand side: a transpose or power")
            return [python_name(name)], tuple(letters)
        raise UnsupportedNotation("unsupported left-hand side: expected a symbol or a function such as f(x)")

    def define_function(self, node: ast.Apply) -> str:
        name, _, _ = self.symbol_parts(node.head)
        fname = python_name(name)
        for position, arg in enumerate(node.args):
            if not isinstance(arg, ast.Sym | ast.Script):
                raise UnsupportedNotation("unsupported left-hand side: a function argument that is not a symbol")
            arg_name, letters, extra = self.symbol_parts(arg)
            arg_name = python_name(arg_name)
            info = self._symbol(arg_name, arg)
            self._mark_bold(info, arg, letters)
            info.function_arg = position
            info.slots = max(info.slots, len(letters))
        self.function_name = fname
        return fname

    # -- symbols ---------------------------------------------------------------------------------
    def _index_letters(self, sub: ast.Node | None) -> list[str] | None:
        letters = index_candidates(sub)
        if letters is None or not all(x in self.a.index_letters for x in letters):
            return None
        return letters

    def sup_kind(self, sup: ast.Node) -> str:
        if isinstance(sup, ast.Sym):
            if sup.kind == "const" and sup.name == "top" or (sup.kind == "letter" and sup.name == "T"):
                return "transpose"
            if sup.kind == "const" and sup.name in ("star", "prime", "dagger"):
                return "label"
            if sup.kind == "word" and len(sup.name) > 1:
                return "label"
            if sup.kind in ("letter", "greek") and sup.name[:1].isupper():
                return "label"
            if sup.name in self.a.label_letters:
                return "label"
            return "power"
        if isinstance(sup, ast.Group | ast.Seq):
            return "label"
        if isinstance(sup, ast.Script) and isinstance(sup.base, ast.Sym) and (
                sup.base.name[:1].isupper() or sup.base.kind == "word"):
            return "label"
        if any(_letter(n) in self.a.label_letters for n, _ in walk(sup)):
            return "label"
        chain = _letters_chain(sup)
        if chain and chain[0].isupper():
            return "label"
        return "power"

    def symbol_parts(self, node: ast.Node) -> tuple[str, list[str], list[tuple[str, ast.Node]]]:
        """Name, index letters and trailing operations (``("transpose", sup)``/``("power", sup)``)."""
        extra: list[tuple[str, ast.Node]] = []
        if isinstance(node, ast.Accent):
            name, letters, inner_extra = self.symbol_parts(node.body)
            if letters or inner_extra:
                raise UnsupportedNotation(f"unsupported LaTeX construct: accent \\{node.kind} over an expression")
            return join(name, node.kind), [], []
        if isinstance(node, ast.Sym):
            return base_name(node), [], []
        if not isinstance(node, ast.Script):
            raise UnsupportedNotation("unsupported LaTeX construct: expected a symbol")
        if isinstance(node.base, ast.Script | ast.Accent):
            name, letters, extra = self.symbol_parts(node.base)
        elif isinstance(node.base, ast.Sym):
            name, letters = base_name(node.base), []
        else:
            raise UnsupportedNotation("unsupported LaTeX construct: expected a symbol")
        if node.sup is not None:
            kind = self.sup_kind(node.sup)
            if kind == "label":
                text = script_text(node.sup)
                if text is None:
                    raise UnsupportedNotation("unsupported LaTeX construct: superscript label")
                name = join(name, text)
                if isinstance(node.sup, ast.Sym) and node.sup.name in self.a.label_letters:
                    self._note(f"superscript {node.sup.name} read as a label (it marks several symbols)")
            else:
                extra.append((kind, node.sup))
        if node.sub is not None:
            cands = index_candidates(node.sub)
            if cands is not None and all(x in self.a.index_letters for x in cands):
                letters = letters + cands
            elif cands is not None and any(x in self.a.index_letters for x in cands) and isinstance(node.sub, ast.Seq):
                letters = letters + [x for x in cands if x in self.a.index_letters]
                name = join(name, *[x for x in cands if x not in self.a.index_letters])
            else:
                text = script_text(node.sub)
                if text is None:
                    raise UnsupportedNotation("unsupported LaTeX construct: subscript that is neither a name nor an index")
                name = join(name, text)
        if node.primes:
            name = join(name, *["prime"] * node.primes)
        if len(set(letters)) != len(letters):
            raise UnsupportedNotation("unsupported LaTeX construct: repeated index (a diagonal)")
        return name, letters, extra

    def _symbol(self, name: str, node: ast.Node) -> ir.SymbolInfo:
        info = self.symbols.get(name)
        if info is None:
            base = node
            while isinstance(base, ast.Script):
                base = base.base
            sym = base if isinstance(base, ast.Sym) else None
            info = ir.SymbolInfo(
                name=name, order=len(self.symbols),
                upper=bool(sym and sym.name[:1].isupper() and sym.kind != "greek"),
                greek=bool(sym and sym.kind == "greek"),
            )
            self.symbols[name] = info
        return info

    def _mark_bold(self, info: ir.SymbolInfo, node: ast.Node, letters: list[str]) -> None:
        base = node
        while isinstance(base, ast.Script):
            base = base.base
        if isinstance(base, ast.Sym) and base.bold:
            if letters:
                info.bold_element = True
            else:
                info.bold = True

    def ref(self, node: ast.Node) -> ir.Expr:
        name, letters, extra = self.symbol_parts(node)
        pname = python_name(name)
        result: ir.Expr
        if extra and extra[0][0] == "power" and isinstance(extra[0][1], ast.Num) \
                and (pname, extra[0][1].value) in self.pow_alias:
            result = ir.Local(self.pow_alias[(pname, extra[0][1].value)], tuple(letters))
            extra = extra[1:]
        elif pname in self.locals:
            result = ir.Local(pname, tuple(letters))
        elif pname in self.size_names and not letters:
            result = ir.Size(pname)
        elif pname in self.context:
            if letters:
                raise UnsupportedNotation(f"unsupported LaTeX construct: index on {pname}, defined by another equation")
            result = self.call_context(self.context[pname], [])
        else:
            info = self._symbol(pname, node)
            self._mark_bold(info, node, letters)
            if letters:
                if info.slots and info.slots != len(letters):
                    raise UnsupportedNotation(f"{pname} is written with {info.slots} and {len(letters)} indices")
                info.slots = len(letters)
            result = ir.Input(pname, tuple(letters))
        for kind, sup in extra:
            if kind == "transpose":
                result = ir.Transpose(result)
            else:
                result = ir.Binary("^", result, self.expr(sup))
        return result

    def call_context(self, eq: object, args: list[ir.Expr]) -> ir.Expr:
        inputs = list(getattr(eq, "inputs"))
        if len(args) > len(inputs):
            raise UnsupportedNotation(f"{getattr(eq, 'name')} takes {len(inputs)} arguments, got {len(args)}")
        if not getattr(eq, "verified", False):
            self._note(f"{getattr(eq, 'name')} from the context is not verified")
        full = list(args)
        for name in inputs[len(args):]:
            info = self._symbol(name, ast.Sym(name))
            self.callee_hints.setdefault(name, (eq, getattr(eq, "shapes", {}).get(name, "")))
            full.append(ir.Input(info.name))
        return ir.CallEq(eq, full)

    def _note(self, text: str) -> None:
        if text not in self.notes:
            self.notes.append(text)

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
            if isinstance(exponent, ir.Const):
                value = base.value ** exponent.value
                return ir.Const(value, _const_text(base.text, exponent))
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
                raise UnsupportedNotation("unsupported LaTeX construct: subscript on an expression that is not an index")
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
            return ir.Concat([self.expr(item) for item in node.items])
        raise UnsupportedNotation("unsupported LaTeX construct: a tuple or interval (a, b)")

    def _binop(self, node: ast.BinOp) -> ir.Expr:
        op = node.op
        if op in ("juxt", "cdot") and isinstance(node.left, ast.Sym) and node.left.name == "E" \
                and isinstance(node.right, ast.Group) and node.right.delim == "[":
            raise UnsupportedNotation("unsupported LaTeX construct: expectation E[...]")
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
        matches = (bound.size_name is not None and _size_of(den) == bound.size_name) or (
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


def _letters_chain(node: ast.Node) -> str | None:
    """``PE`` written as juxtaposed italic letters on a left-hand side: the word, else None."""
    if isinstance(node, ast.BinOp) and node.op == "juxt":
        left, right = _letters_chain(node.left), _letters_chain(node.right)
        return None if left is None or right is None else left + right
    if isinstance(node, ast.Sym) and node.kind == "letter" and not node.accents:
        return node.name
    return None


def _size_of(node: ast.Node) -> str | None:
    if isinstance(node, ast.Sym):
        return python_name(base_name(node))
    if isinstance(node, ast.Script) and isinstance(node.base, ast.Sym) and node.sup is None:
        text = script_text(node.sub)
        return None if text is None else python_name(join(base_name(node.base), text))
    return None


def _const_text(base: str, exponent: ir.Const) -> str:
    value = float(base) ** exponent.value
    return repr(value) if value != int(value) or abs(value) > 1e15 else str(int(value))
