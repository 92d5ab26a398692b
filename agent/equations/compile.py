"""The public entry: LaTeX in, a verified :class:`agent.types.CompiledEquation` out.

parse (tokens, parser) -> meaning (resolve, meaning) -> shapes (shapes, typecheck) ->
source (lower, source) -> exec -> numeric check (reference, verify).
"""

from __future__ import annotations

from typing import Any

from agent.equations import ir
from agent.equations.meaning import Resolver
from agent.equations.names import python_name
from agent.equations.resolve import analyse
from agent.equations.shapes import RankInference, hint_letters, name_dims, nodes, parse_shapes_option
from agent.equations.source import input_shape, output_shapes, render
from agent.equations.statements import parse_statements
from agent.equations.typecheck import Typer
from agent.equations.verify import all_dims, verify
from agent.errors import UnsupportedNotation, UserError
from agent.types import CompiledEquation


def _normalise_hints(shapes: dict[str, str] | None) -> dict[str, str]:
    if not shapes:
        return {}
    text = "; ".join(f"{k}={v}" for k, v in shapes.items())
    return parse_shapes_option(text)


def build_program(
    latex: str,
    shapes: dict[str, str] | None = None,
    context: list[CompiledEquation] | None = None,
    name: str | None = None,
) -> tuple[ir.Program, list[str]]:
    """Parse, resolve and type ``latex``; returns the typed program and the notes gathered."""
    if not isinstance(latex, str) or not latex.strip():
        raise UserError("empty equation")
    statements, notes = parse_statements(latex)
    for stmt in statements:
        notes += stmt.notes
    analysis = analyse(statements)
    hints = _normalise_hints(shapes)
    size_names = set().union(*(hint_letters(v) for v in hints.values())) if hints else set()
    resolver = Resolver(analysis, context, size_names, notes)
    assigns = [resolver.statement(s) for s in statements]
    symbols = resolver.symbols
    unknown = sorted(set(hints) - set(symbols))
    if unknown:
        raise UserError(f"shape given for {unknown[0]}, which is not an input of the equation "
                        f"(inputs: {', '.join(symbols) or 'none'})")
    typer = Typer(symbols, analysis.bounds, notes)
    for key, hint in hints.items():
        typer.apply_hint(symbols[key], hint)
    callee_letters: dict[int, dict[str, ir.Dim]] = {}
    for key, (eq, hint) in resolver.callee_hints.items():
        if symbols[key].hint is None:
            typer.apply_hint(symbols[key], hint, callee_letters.setdefault(id(eq), {}))
            for dim in symbols[key].dims:
                dim.hard = False
    RankInference(symbols, assigns).run()
    for info in symbols.values():
        typer.make_dims(info)
    for assign in assigns:
        typer.statement(assign)

    inputs = [i.name for i in sorted(symbols.values(),
                                     key=lambda i: (i.function_arg is None, i.function_arg or 0, i.order))]
    outputs: list[str] = []
    for k, assign in enumerate(assigns):
        later = {n.name for b in assigns[k + 1:] for n in nodes(b.value) if isinstance(n, ir.Local)}
        for target in assign.targets:
            if k == len(assigns) - 1 or target not in later:
                outputs = [o for o in outputs if o != target] + [target]
    last = assigns[-1].targets
    sizes = {n.name: typer.size_dim(n.name) for a in assigns for n in nodes(a.value) if isinstance(n, ir.Size)}
    fname = python_name(name) if name else (resolver.function_name or last[0])
    program = ir.Program(
        name=fname, statements=assigns, symbols=symbols, inputs=inputs, outputs=outputs, sizes=sizes,
        index_dims=typer.index_dims, locals={k: v[0] for k, v in typer.local_tys.items()}, notes=notes,
        latex=latex,
    )
    if fname in inputs:
        raise UnsupportedNotation(f"the function name {fname} is also one of its inputs")
    name_dims(all_dims(program), reserved=set(program.index_dims) | set(inputs) | set(program.locals))
    return program, notes


def compile_equation(
    latex: str,
    shapes: dict[str, str] | None = None,
    *,
    context: list[CompiledEquation] | None = None,
    name: str | None = None,
) -> CompiledEquation:
    """Compile a LaTeX equation (or system) into a torch function and check it numerically.

    Args:
        latex: the equation, as written in the paper (macros expanded).
        shapes: einops-style shape hints by input name (``{"Q": "... n d_k"}``); LaTeX names work too.
        context: earlier compiled equations this one may call by name (``\\lambda``, ``\\mathrm{RMS}(a)``).
        name: the function name; by default the left-hand side's function or symbol.

    Raises:
        UnsupportedNotation: the equation uses LaTeX the compiler does not support (named in the message).
        UserError: the shape hints are inconsistent with the equation.
    """
    program, notes = build_program(latex, shapes, context, name)
    source = render(program, latex, notes)
    namespace: dict[str, Any] = {}
    exec(compile(source, f"<equation {program.name}>", "exec"), namespace)
    fn = namespace[program.name]
    fn.__source__ = source
    try:
        check = verify(program, fn)
    except Exception as exc:  # the generated code failed to run: report, do not crash
        check = None
        notes.append(f"verification failed to run: {type(exc).__name__}: {exc}")
    shapes_out = {n: input_shape(program.symbols[n]) for n in program.inputs}
    result = CompiledEquation(
        name=program.name,
        latex=latex,
        source=source,
        inputs=list(program.inputs),
        shapes=shapes_out,
        verified=bool(check and check.verified),
        max_error=check.max_error if check else None,
        output_shape=", ".join(output_shapes(program)),
        notes=notes + (check.notes if check else []),
        fn=fn,
    )
    return result
