"""``paper2code equation``: compile a LaTeX equation into verified torch code.

    paper2code equation 'LATEX' [--shapes "Q=... n d; K=... m d"] [--json]
    paper2code equation --from PAPER --number 3 [--context 2] [--shapes ...] [--json]

Exit 0 when the compiled function matched the element-wise reference, 1 when it compiled but
did not verify, 2 for unsupported notation or bad input (one line on stderr).
"""

from __future__ import annotations

import json
import sys

import click

from agent.errors import UserError


@click.command("equation")
@click.argument("latex", required=False)
@click.option("--shapes", default=None, help='Shape hints: "Q=... n d_k; K=... m d_k" (einops style).')
@click.option("--from", "paper", default=None, type=click.Path(path_type=str),
              help="Read the equation from a paper (PDF, LaTeX file/folder, arXiv archive).")
@click.option("--number", default=None, help="With --from: the printed equation number, e.g. 3.")
@click.option("--context", "context_numbers", multiple=True,
              help="With --from: equations (by number) this one may call, compiled first. Repeatable.")
@click.option("--name", default=None, help="Name of the generated function.")
@click.option("--json", "as_json", is_flag=True, help="Print the CompiledEquation as JSON.")
def command(latex: str | None, shapes: str | None, paper: str | None, number: str | None,
            context_numbers: tuple[str, ...], name: str | None, as_json: bool) -> int:
    """Compile LATEX (or equation --number of --from PAPER) and check it numerically."""
    from agent.equations import compile_equation, parse_shapes_option

    hints = parse_shapes_option(shapes)
    context = []
    if paper is not None:
        if latex is not None:
            raise UserError("give either LATEX or --from PAPER --number N, not both")
        if number is None:
            raise UserError("--from needs --number (the printed equation number)")
        source = _paper_equations(paper, [*context_numbers, number])
        for n in context_numbers:
            context.append(compile_equation(source[n], context=list(context)))
        latex = source[number]
    elif latex is None:
        raise UserError("give an equation in LaTeX, or --from PAPER --number N")
    elif number is not None or context_numbers:
        raise UserError("--number and --context need --from PAPER")
    result = compile_equation(latex, hints or None, context=context or None, name=name)
    if as_json:
        json.dump(result.to_dict(), sys.stdout, indent=2, ensure_ascii=False)
        sys.stdout.write("\n")
    else:
        click.echo(result.source, nl=False)
        click.echo("")
        shapes_line = ", ".join(f"{k}: ({v})" if v else f"{k}: scalar" for k, v in result.shapes.items())
        click.echo(f"# inputs: {shapes_line}")
        click.echo(f"# output: ({result.output_shape})" if result.output_shape else "# output: scalar")
        for note in result.notes:
            click.echo(f"# note: {note}")
        if result.verified:
            click.echo(f"# verified: matches the element-wise float64 reference (max error {result.max_error:.2g})")
        else:
            error = "n/a" if result.max_error is None else f"{result.max_error:.3g}"
            click.echo(f"# NOT verified: differs from the element-wise reference (max error {error})")
    return 0 if result.verified else 1


def _paper_equations(path: str, numbers: list[str]) -> dict[str, str]:
    from agent.ingest import load_paper

    paper = load_paper(path)
    found: dict[str, str] = {}
    for n in numbers:
        eq = paper.equation(n)
        if eq is None:
            printed = [e.number for e in paper.equations if e.number]
            listing = ", ".join(printed[:20]) + (" ..." if len(printed) > 20 else "") if printed else "none"
            raise UserError(f"{path}: no equation numbered {n} (numbered equations: {listing})")
        found[n] = eq.latex
    return found
