"""Statements to typed-IR assignments: symbols, intermediates, functions, context calls.

:class:`Resolver` walks each parsed statement with the index letters found by
:func:`agent.equations.resolve.analyse` and decides what every symbol is: an input, an
intermediate from an earlier statement, a dimension size, or a call of an earlier compiled
equation from the context.
"""

from __future__ import annotations

from agent.equations import ast, ir
from agent.equations.astutil import describe, letters_chain
from agent.equations.exprs import ExpressionMixin
from agent.equations.names import base_name, join, python_name, script_text
from agent.equations.resolve import Analysis, _letter, index_candidates, walk
from agent.errors import UnsupportedNotation


class Resolver(ExpressionMixin):
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
        if isinstance(node, ast.BinOp) and node.op == "juxt" and letters_chain(node.left) is not None \
                and isinstance(node.right, ast.Num):
            return [python_name(f"{letters_chain(node.left)}{node.right.text}")], ()
        if isinstance(node, ast.BinOp) and node.op == "juxt" and letters_chain(node.left) is not None:
            word = letters_chain(node.left) or ""
            if letters_chain(node.right) is not None:
                return [python_name(word + (letters_chain(node.right) or ""))], ()
            if isinstance(node.right, ast.Script) and isinstance(node.right.base, ast.Sym):
                # PE_{(pos,2i)}: a word written in italics, with a subscript
                name, _, extra = self.symbol_parts(node.right)
                if not extra:
                    self._note(f"italic letters {word}{node.right.base.name} read as one name")
                    return [python_name(word + name)], ()
        if isinstance(node, ast.Script) and isinstance(node.sup, ast.Num) \
                and isinstance(node.base, ast.Sym | ast.Script):
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
        raise UnsupportedNotation(f"unsupported left-hand side ({describe(node)}): expected a symbol or a function "
                                  "such as f(x)")

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
        chain = letters_chain(sup)
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
                if text is None and isinstance(node.sub, ast.Rel) and node.sub.op == ":":
                    raise UnsupportedNotation("unsupported LaTeX construct: range subscript such as x_{1:t}")
                if text is None:
                    raise UnsupportedNotation(
                        "unsupported LaTeX construct: subscript that is neither a name nor an index")
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
                upper=bool(sym and sym.name[:1].isupper()),
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
