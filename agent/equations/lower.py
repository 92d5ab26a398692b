"""Typed IR to readable, standalone torch + einops source (one function).

Contractions are ``einsum`` calls whose patterns name the axes; broadcasting that needs new or
permuted axes is a ``rearrange``; means are ``.mean``; long operands are hoisted into named
temporaries. Scalars may be Python numbers or 0-d tensors, so torch functions receive
``torch.as_tensor(...)`` where an argument may be a plain number.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from agent.equations import ir

TORCH_FN = {
    "exp": "torch.exp", "log": "torch.log", "log2": "torch.log2", "log10": "torch.log10", "sqrt": "torch.sqrt",
    "tanh": "torch.tanh", "sin": "torch.sin", "cos": "torch.cos", "tan": "torch.tan", "sinh": "torch.sinh",
    "cosh": "torch.cosh", "abs": "torch.abs", "erf": "torch.special.erf", "sigmoid": "torch.sigmoid",
    "relu": "torch.relu", "gelu": "torch.nn.functional.gelu", "silu": "torch.nn.functional.silu",
    "softplus": "torch.nn.functional.softplus", "normal_cdf": "torch.special.ndtr", "sign": "torch.sign",
}
MATH_FN = {"exp": "math.exp", "log": "math.log", "log2": "math.log2", "log10": "math.log10", "sqrt": "math.sqrt",
           "tanh": "math.tanh", "sin": "math.sin", "cos": "math.cos", "tan": "math.tan", "sinh": "math.sinh",
           "cosh": "math.cosh", "abs": "abs", "erf": "math.erf"}
PREC = {"atom": 100, "^": 90, "neg": 80, "*": 70, "/": 70, "+": 60, "-": 60}


@dataclass
class Code:
    text: str
    prec: int = 100
    kind: str = "tensor"  # "py" (a Python number), "scalar" (number or 0-d tensor), "tensor"


def label_of(dim: ir.Dim) -> str:
    return dim.find().name or f"d{dim.find().id}"


class Labels:
    """Distinct einops axis labels within one pattern."""

    def __init__(self, reserved: set[str] | None = None) -> None:
        self.used: set[str] = set(reserved or ())
        self.by_key: dict[object, str] = {}

    def get(self, key: object, base: str) -> str:
        if key in self.by_key:
            return self.by_key[key]
        name, k = base, 2
        while name in self.used:
            name, k = f"{base}{k}", k + 1
        self.used.add(name)
        self.by_key[key] = name
        return name


def batch_tokens(batch: tuple) -> list[str]:
    return ["..." if b == ir.ELLIPSIS else label_of(b) for b in batch]


class Lowerer:
    """Emit the body of one function for a typed program."""

    def __init__(self, program: ir.Program) -> None:
        self.program = program
        self.lines: list[str] = []
        self.names: set[str] = set(program.inputs) | set(program.sizes) | set(program.locals)
        self.index_letters = set(program.index_dims)
        self.temps: list[tuple[str, str]] = []  # (name, base) of hoisted temporaries
        self.tensorized = scalars_under_torch_calls(program)  # converted once with torch.as_tensor

    # -- helpers ---------------------------------------------------------------------------------
    def temp(self, base: str, code: Code, at: int | None = None) -> Code:
        name, k = base, 2
        while name in self.names:
            name, k = f"{base}{k}", k + 1
        self.names.add(name)
        self.temps.append((name, base))
        self.lines.insert(len(self.lines) if at is None else at, f"{name} = {code.text}")
        return Code(name, 100, code.kind)

    def renumber(self) -> None:
        """Number temporaries in the order they are defined (``weights`` before ``weights2``)."""
        mapping: dict[str, str] = {}
        for base in dict.fromkeys(b for _, b in self.temps):
            names = [n for n, b in self.temps if b == base]
            order = sorted(names, key=lambda n: next(i for i, x in enumerate(self.lines) if x.startswith(f"{n} = ")))
            fresh = [base] + [f"{base}{k}" for k in range(2, len(names) + 1)]
            mapping.update({old: new for old, new in zip(order, fresh, strict=True) if old != new})
        if not mapping:
            return
        pattern = re.compile(r"(?<![.\w])(" + "|".join(map(re.escape, mapping)) + r")\b")
        for i, line in enumerate(self.lines):
            parts = line.split('"')
            parts[::2] = [pattern.sub(lambda m: mapping[m.group(1)], p) for p in parts[::2]]
            self.lines[i] = '"'.join(parts)

    def fit(self, code: Code, node: ir.Expr, limit: int = 40, at: int | None = None) -> Code:
        """Hoist a long operand into a named temporary so lines stay readable."""
        if len(code.text) <= limit or code.text.isidentifier():
            return code
        return self.temp(hoist_name(node), code, at)

    def operand(self, code: Code, base: str, limit: int = 48) -> Code:
        if code.text.startswith("einsum("):  # no einsum nested in another
            return self.temp(base, code)
        if code.prec == 100 and (code.text.isidentifier() or len(code.text) <= limit):
            return code
        if len(code.text) <= limit and code.prec >= 90:
            return code
        return self.temp(base, code)

    def tokens(self, ty: ir.Ty, labels: Labels, pos_keys: list[object] | None = None) -> list[str]:
        out = batch_tokens(ty.batch) + list(ty.idx)
        keys = pos_keys or [("pos", id(ty), k) for k in range(ty.rank)]
        out += [labels.get(key, label_of(d)) for key, d in zip(keys, ty.pos, strict=True)]
        return out

    def align(self, code: Code, child: ir.Ty, res: ir.Ty) -> Code:
        """Insert unit axes / permute so ``child`` broadcasts against ``res`` under torch's rules."""
        if not child.idx and not child.pos and not child.batch:
            return code
        labels = Labels(set(child.idx) | set(res.idx) | self.index_letters)
        src_pos = [labels.get(("p", k), label_of(d)) for k, d in enumerate(child.pos)]
        src_core = list(child.idx) + src_pos
        dst_core = [x if x in child.idx else "1" for x in res.idx] + ["1"] * (res.rank - child.rank) + src_pos
        batch = batch_tokens(child.batch)
        if not batch:
            while dst_core and dst_core[0] == "1":
                dst_core.pop(0)
        if dst_core == src_core:
            return code
        pattern = f"{' '.join(batch + src_core)} -> {' '.join(batch + dst_core)}"
        return Code(f'rearrange({code.text}, "{pattern}")', 100, "tensor")

    @staticmethod
    def paren(code: Code, prec: int, right: bool = False) -> str:
        if code.prec < prec or (right and code.prec == prec):
            return f"({code.text})"
        return code.text

    def as_tensor(self, code: Code) -> str:
        return code.text if code.kind == "tensor" else f"torch.as_tensor({code.text})"

    def kind_of(self, ty: ir.Ty | None, *codes: Code) -> str:
        if ty is not None and (ty.batch or ty.idx or ty.pos):
            return "tensor"
        if any(c.kind == "tensor" for c in codes):
            return "tensor"
        if all(c.kind == "py" for c in codes):
            return "py"
        return "scalar"

    # -- statements ------------------------------------------------------------------------------
    def statement(self, stmt: ir.Assign) -> None:
        value = self.expr(stmt.value)
        vty = stmt.value.ty
        assert vty is not None and stmt.ty is not None
        if stmt.letters and tuple(vty.idx) != tuple(stmt.letters):
            labels = Labels(set(vty.idx))
            pos = [labels.get(("p", k), label_of(d)) for k, d in enumerate(vty.pos)]
            batch = batch_tokens(vty.batch)
            src = " ".join(batch + list(vty.idx) + pos)
            dst = " ".join(batch + list(stmt.letters) + pos)
            value = Code(f'rearrange({value.text}, "{src} -> {dst}")')
        if len(stmt.targets) > 1:
            self.lines.append(f"{', '.join(stmt.targets)} = torch.chunk({value.text}, {len(stmt.targets)}, dim=-1)")
        else:
            self.lines.append(f"{stmt.targets[0]} = {value.text}")
        self.names.update(stmt.targets)

    # -- expressions -----------------------------------------------------------------------------
    def expr(self, node: ir.Expr) -> Code:
        method = getattr(self, "_" + type(node).__name__.lower())
        result: Code = method(node)
        return result

    def _input(self, node: ir.Input) -> Code:
        if node.name in self.tensorized:
            return Code(node.name, 100, "tensor")
        return Code(node.name, 100, self.kind_of(node.ty) if node.ty and not node.ty.is_scalar() else "scalar")

    def _local(self, node: ir.Local) -> Code:
        return Code(node.name, 100, self.kind_of(node.ty) if node.ty and not node.ty.is_scalar() else "scalar")

    def _const(self, node: ir.Const) -> Code:
        if node.text == "math.pi":
            return Code("math.pi", 100, "py")
        value = node.value
        text = str(int(value)) if value == int(value) and abs(value) < 1e15 else repr(value)
        return Code(text, 100 if value >= 0 else PREC["neg"], "py")

    def _size(self, node: ir.Size) -> Code:
        return Code(node.name, 100, "py")

    def _binary(self, node: ir.Binary) -> Code:
        a = self.expr(node.left)
        mark = len(self.lines)
        b = self.expr(node.right)
        assert node.ty is not None and node.left.ty is not None and node.right.ty is not None
        a = self.align(a, node.left.ty, node.ty)
        b = self.align(b, node.right.ty, node.ty)
        if len(a.text) + len(b.text) > 80:
            b = self.fit(b, node.right)
            a = self.fit(a, node.left, at=mark)
        kind = self.kind_of(node.ty, a, b)
        if node.op == "^":
            if a.kind == "py" and b.kind == "py" and isinstance(node.right, ir.Const) and node.right.value == 0.5:
                return Code(f"math.sqrt({a.text})", 100, "py")
            return Code(f"{self.paren(a, 91)} ** {self.paren(b, 90)}", 90, kind)
        prec = PREC[node.op]
        return Code(f"{self.paren(a, prec)} {node.op} {self.paren(b, prec, right=True)}", prec, kind)

    def _neg(self, node: ir.Neg) -> Code:
        a = self.expr(node.body)
        return Code(f"-{self.paren(a, PREC['neg'])}", PREC["neg"], a.kind)

    def _product(self, node: ir.Product) -> Code:
        if node.kind == "scale":
            return self._binary(with_ty(ir.Binary("*", node.left, node.right), node))
        return self.einsum_product(node)

    def einsum_product(self, node: ir.Product) -> Code:
        assert node.ty is not None
        left, right = node.left, node.right
        a_ty, b_ty = left.ty, right.ty
        assert a_ty is not None and b_ty is not None
        # A transposed matrix is read in its stored order: the einsum pattern does the transpose.
        a_node, a_swap = (left.body, True) if isinstance(left, ir.Transpose) and a_ty.rank == 2 else (left, False)
        b_node, b_swap = (right.body, True) if isinstance(right, ir.Transpose) and b_ty.rank == 2 else (right, False)
        labels = Labels(set(a_ty.idx) | set(b_ty.idx) | self.index_letters)
        ra, rb = a_ty.rank, b_ty.rank
        a_keys: list[object] = [("a", k) for k in range(ra)]
        b_keys: list[object] = [("b", k) for k in range(rb)]
        if node.kind in ("matmul", "dot"):
            b_keys[0] = a_keys[-1]  # the contracted axis
        a_tokens = self.tokens(a_ty, labels, a_keys)
        b_tokens = self.tokens(b_ty, labels, b_keys)
        out_tokens = self.tokens(node.ty, labels, self._out_keys(node.kind, ra, rb, a_keys, b_keys))
        if a_swap:
            a_tokens[-2], a_tokens[-1] = a_tokens[-1], a_tokens[-2]
        if b_swap:
            b_tokens[-2], b_tokens[-1] = b_tokens[-1], b_tokens[-2]
        a = self.operand(self.expr(a_node), hoist_name(a_node))
        b = self.operand(self.expr(b_node), hoist_name(b_node))
        pattern = f"{' '.join(a_tokens)}, {' '.join(b_tokens)} -> {' '.join(out_tokens)}"
        return Code(f'einsum({a.text}, {b.text}, "{pattern}")', 100, "tensor")

    @staticmethod
    def _out_keys(kind: str, ra: int, rb: int, a_keys: list[object], b_keys: list[object]) -> list[object]:
        if kind == "dot":
            return []
        if kind == "outer":
            return [a_keys[0], b_keys[0]]
        return a_keys[:-1] + b_keys[1:]

    def _transpose(self, node: ir.Transpose) -> Code:
        a = self.expr(node.body)
        assert node.ty is not None
        if node.ty.rank == 2:
            return Code(f"{self.paren(a, 100)}.transpose(-1, -2)", 100, "tensor")
        return a

    def _call(self, node: ir.Call) -> Code:
        assert node.ty is not None
        if node.fn == "log" and isinstance(node.args[0], ir.Call) and node.args[0].fn == "softmax":
            inner = node.args[0]
            return self._axis_call(with_ty(ir.Call("log_softmax", inner.args, inner.axis), inner))
        if node.fn in ("softmax", "log_softmax", "layer_norm", "rms_norm"):
            return self._axis_call(node)
        args = [self.align(self.expr(a), a.ty, node.ty) for a in node.args]  # type: ignore[arg-type]
        kind = self.kind_of(node.ty, *args)
        if node.fn in ("maximum", "minimum"):
            if kind == "py":
                return Code(f"{node.fn[:3]}({args[0].text}, {args[1].text})", 100, "py")
            return Code(f"torch.{node.fn}({self.as_tensor(args[0])}, {self.as_tensor(args[1])})", 100, kind)
        (arg,) = args
        if node.fn == "swish":
            assert node.param is not None
            beta = self.align(self.expr(node.param), node.param.ty, node.ty)  # type: ignore[arg-type]
            x = self.operand(arg, "x_in", limit=20)
            return Code(f"{self.paren(x, 70)} * torch.sigmoid({self.paren(beta, 70)} * {self.paren(x, 70)})", 70,
                        "tensor" if kind == "tensor" else "scalar")
        if arg.kind == "py" and node.fn in MATH_FN:
            return Code(f"{MATH_FN[node.fn]}({arg.text})", 100, "py")
        return Code(f"{TORCH_FN[node.fn]}({self.as_tensor(arg)})", 100, "tensor" if kind == "py" else kind)

    def _axis_call(self, node: ir.Call) -> Code:
        ty = node.args[0].ty
        assert ty is not None
        arg = self.fit(self.expr(node.args[0]), node.args[0], limit=70)
        dim = -1 if node.axis is None else self.axis_index(ty, node.axis)
        if node.fn == "layer_norm":
            x = self.operand(arg, "x_in", limit=20)
            return Code(f"torch.nn.functional.layer_norm({x.text}, {self.paren(x, 100)}.shape[-1:])", 100, "tensor")
        if node.fn == "rms_norm":
            x = self.operand(arg, "x_in", limit=20)
            return Code(f"{self.paren(x, 70)} * torch.rsqrt({self.paren(x, 100)}.pow(2).mean(-1, keepdim=True) + 1e-6)",
                        70, "tensor")
        fn = "torch.softmax" if node.fn == "softmax" else "torch.log_softmax"
        return Code(f"{fn}({arg.text}, dim={dim})", 100, "tensor")

    @staticmethod
    def axis_index(ty: ir.Ty, letter: str) -> int:
        return -(len(ty.idx) - ty.idx.index(letter) + ty.rank)

    def _reduce(self, node: ir.Reduce) -> Code:
        letters = [node.letter]
        body = node.body
        while node.op == "sum" and not node.mean and isinstance(body, ir.Reduce) and body.op == "sum" \
                and not body.mean:
            letters.append(body.letter)
            body = body.body
        factors = self.factors(body) if node.op == "sum" and not node.mean else []
        tensors = [f for f in factors if f.ty is not None and not f.ty.is_scalar()]
        if node.op == "sum" and not node.mean and len(tensors) >= 2:
            return self.einsum_sum(node, body, factors, letters)
        assert body.ty is not None
        code = self.fit(self.expr(body), body, limit=60)
        dims = [self.axis_index(body.ty, x) for x in letters]
        dim_text = str(dims[0]) if len(dims) == 1 else "(" + ", ".join(map(str, dims)) + ")"
        method = {"sum": "sum", "prod": "prod", "max": "amax", "min": "amin"}[node.op]
        if node.mean:
            method = "mean"
        if code.kind != "tensor":
            code = Code(f"torch.as_tensor({code.text})")
        return Code(f"{self.paren(code, 100)}.{method}(dim={dim_text})", 100, "tensor")

    def factors(self, node: ir.Expr) -> list[ir.Expr]:
        if isinstance(node, ir.Binary) and node.op == "*" or (isinstance(node, ir.Product) and node.kind == "scale"):
            return self.factors(node.left) + self.factors(node.right)  # type: ignore[union-attr]
        return [node]

    def einsum_sum(self, node: ir.Reduce, body: ir.Expr, factors: list[ir.Expr], letters: list[str]) -> Code:
        assert body.ty is not None and node.ty is not None
        labels = Labels(set(body.ty.idx) | self.index_letters)
        pos_keys: list[object] = [("p", k) for k in range(body.ty.rank)]
        operands: list[str] = []
        patterns: list[str] = []
        scalars: list[Code] = []
        for factor in factors:
            fty = factor.ty
            assert fty is not None
            code = self.expr(factor)
            if fty.is_scalar():
                scalars.append(code)
                continue
            keys = pos_keys[len(pos_keys) - fty.rank:] if fty.rank else []
            patterns.append(" ".join(self.tokens(fty, labels, keys)))
            operands.append(self.operand(code, hoist_name(factor)).text)
        out_ty = ir.Ty(body.ty.batch, tuple(x for x in body.ty.idx if x not in letters), body.ty.pos)
        out = " ".join(self.tokens(out_ty, labels, pos_keys))
        text = f'einsum({", ".join(operands)}, "{", ".join(patterns)} -> {out}")'
        for s in scalars:
            text = f"{self.paren(s, 70)} * {text}"
        return Code(text, 70 if scalars else 100, "tensor")

    def _norm(self, node: ir.Norm) -> Code:
        a = self.expr(node.body)
        assert node.body.ty is not None
        if node.body.ty.rank == 0:
            return Code(f"torch.abs({self.as_tensor(a)})", 100, "tensor")
        if node.p == "F":
            return Code(f"torch.linalg.matrix_norm({a.text})", 100, "tensor")
        order = {"2": "", "1": ", ord=1", "inf": ", ord=math.inf"}[node.p]
        return Code(f"torch.linalg.vector_norm({a.text}, dim=-1{order})", 100, "tensor")

    def _concat(self, node: ir.Concat) -> Code:
        assert node.ty is not None
        parts = []
        for part in node.parts:
            assert part.ty is not None
            target = ir.Ty(part.ty.batch, node.ty.idx, part.ty.pos)
            parts.append(self.fit(self.align(self.expr(part), part.ty, target), part, limit=30).text)
        return Code(f"torch.cat([{', '.join(parts)}], dim=-1)", 100, "tensor")

    def _bind(self, node: ir.Bind) -> Code:
        return self.expr(node.body)

    def _calleq(self, node: ir.CallEq) -> Code:
        args = [self.fit(self.expr(a), a).text for a in node.args]
        call = Code(f"{node.eq.name}({', '.join(args)})", 100, "tensor")
        return self.temp(node.eq.name.rstrip("_") + "_out", call) if len(call.text) > 40 else call



HOIST_NAMES = {"softmax": "weights", "log_softmax": "log_weights", "sigmoid": "gate", "layer_norm": "normed",
               "rms_norm": "normed", "exp": "expo", "relu": "act", "gelu": "act", "silu": "act", "swish": "act",
               "tanh": "act", "softplus": "act"}


def hoist_name(node: ir.Expr) -> str:
    """A readable name for a temporary holding ``node``."""
    if isinstance(node, ir.Call):
        return HOIST_NAMES.get(node.fn, f"{node.fn}_out")
    if isinstance(node, ir.Product):
        return "proj" if node.kind == "matmul" else "prod"
    if isinstance(node, ir.Reduce):
        return "mean" if node.mean else {"sum": "total", "prod": "product", "max": "peak", "min": "low"}[node.op]
    if isinstance(node, ir.Norm):
        return "norm"
    if isinstance(node, ir.Concat):
        return "cat"
    if isinstance(node, ir.CallEq):
        return node.eq.name.rstrip("_") + "_out"
    if isinstance(node, ir.Transpose | ir.Neg | ir.Bind):
        return hoist_name(node.body)
    return "z"


def scalars_under_torch_calls(program: ir.Program) -> list[str]:
    """Scalar inputs to convert once with ``torch.as_tensor`` so that torch functions get tensors.

    One per torch-function argument made only of scalars (the first scalar input in it): the rest of
    that argument's arithmetic then produces a tensor by itself.
    """
    chosen: list[str] = []

    def leaves(node: ir.Expr) -> tuple[list[str], bool]:
        names: list[str] = []
        has_tensor = False
        stack = [node]
        while stack:
            cur = stack.pop()
            if isinstance(cur, ir.Input | ir.Local) and cur.ty is not None:
                if not cur.ty.is_scalar():
                    has_tensor = True
                elif isinstance(cur, ir.Input):
                    names.append(cur.name)
            stack += [v for v in _children(cur)]
        return names, has_tensor

    for stmt in program.statements:
        stack = [stmt.value]
        while stack:
            node = stack.pop()
            if isinstance(node, ir.Call | ir.Norm | ir.Reduce):
                args = node.args if isinstance(node, ir.Call) else [node.body]
                for arg in args:
                    names, has_tensor = leaves(arg)
                    if names and not has_tensor and not set(names) & set(chosen):
                        chosen.append(sorted(names, key=program.inputs.index)[0])
            stack += [v for v in _children(node)]
    return [name for name in program.inputs if name in chosen]


def _children(node: ir.Expr) -> list[ir.Expr]:
    out: list[ir.Expr] = []
    for value in vars(node).values():
        if isinstance(value, ir.Expr):
            out.append(value)
        elif isinstance(value, list):
            out += [v for v in value if isinstance(v, ir.Expr)]
    return out


def with_ty(node: ir.Expr, like: ir.Expr) -> ir.Expr:
    """``node`` typed as ``like`` (for rewritten nodes: log(softmax) -> log_softmax)."""
    node.ty = like.ty
    return node
