"""Assemble the generated ``equations.py`` and ``references.py`` from their parts.

``references.py`` gathers the catalog's trusted reference functions (``*.ref.py``: torch built-ins
holding a module's own weights) that the manifest's ``reference =`` entries point at; a function
called ``reference`` is renamed after its file so that several can live in one module.
``equations.py`` gathers the paper's equations compiled by :mod:`agent.equations`, each function's
docstring quoting the LaTeX and the equation number.
"""

from __future__ import annotations

import ast
import io
import keyword
import logging
import re
import textwrap
import tokenize
from dataclasses import dataclass, field

from agent.catalog import get
from agent.catalog.registry import components_dir
from agent.catalog.render import merge_imports
from agent.types import Component, PlannedEquation

log = logging.getLogger(__name__)


@dataclass
class CompiledFunction:
    """One function of equations.py."""

    name: str
    inputs: list[str]
    number: str | None
    latex: str
    role: str
    implemented_by: str | None
    section: str | None
    source: str  # the function definition (no imports)
    outputs: list[str] = field(default_factory=list)  # names of the returned values (a system returns several)
    select: str = ""  # subscript picking one output of a system ("[4]"), set when a test links it


def _stem(component: Component) -> str:
    return (component.reference_file or component.name).removesuffix(".py").removesuffix(".ref")


def reference_function_name(component: Component, function: str) -> str:
    """The name the reference ``function`` of ``component`` has in the generated references.py."""
    stem = _stem(component)
    if function == "reference":
        return f"{stem}_reference"
    if function.startswith("_"):
        return f"_{stem}{function}"
    return function


def _rename(source: str, names: dict[str, str]) -> str:
    """``source`` with every NAME token in ``names`` renamed (strings and comments untouched)."""
    lines = source.splitlines(keepends=True)
    edits: list[tuple[int, int, int, str]] = []
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type == tokenize.NAME and token.string in names:
            (row, col), (_, end) = token.start, token.end
            edits.append((row, col, end, names[token.string]))
    for row, col, end, new in sorted(edits, reverse=True):
        line = lines[row - 1]
        lines[row - 1] = line[:col] + new + line[end:]
    return "".join(lines)


def _split(source: str) -> tuple[list[str], str | None, str]:
    """(import lines, module docstring, the rest) of a small Python file."""
    tree = ast.parse(source)
    lines = source.splitlines()
    imports: list[str] = []
    docstring = ast.get_docstring(tree)
    drop: set[int] = set()
    for node in tree.body:
        is_doc = (node is tree.body[0] and isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)
                  and isinstance(node.value.value, str))
        if isinstance(node, (ast.Import, ast.ImportFrom)) or is_doc:
            if not is_doc:
                imports.append(ast.get_source_segment(source, node) or "")
            drop.update(range(node.lineno - 1, (node.end_lineno or node.lineno)))
    rest = "\n".join(line for i, line in enumerate(lines) if i not in drop).strip("\n")
    return imports, docstring, rest


def render_references(components: list[str], header: str) -> str | None:
    """references.py for ``components`` (those with a reference file), or None when none has one."""
    files: dict[str, Component] = {}
    for name in components:
        component = get(name)
        if component.reference_file and component.reference_file not in files:
            files[component.reference_file] = component
    if not files:
        return None
    imports: list[str] = []
    bodies: list[str] = []
    listing: list[str] = []
    for filename in sorted(files):
        component = files[filename]
        source = (components_dir() / filename).read_text(encoding="utf-8")
        tree = ast.parse(source)
        functions = [n.name for n in tree.body if isinstance(n, ast.FunctionDef)]
        renamed = _rename(source, {f: reference_function_name(component, f) for f in functions})
        file_imports, docstring, rest = _split(renamed)
        imports += file_imports
        first = (docstring or filename).strip().splitlines()[0].rstrip(".")
        listing.append(f"- {filename}: {first}")
        bodies.append(rest)
    doc = header.strip() + "\n\nFrom paper2code's catalog:\n\n" + "\n".join(
        textwrap.fill(line, width=116, subsequent_indent="  ") for line in listing)
    text = '"""' + doc + '\n"""\n\n' + "\n".join(merge_imports(imports)) + "\n\n\n"
    return text + "\n\n\n".join(bodies) + "\n"


def _function_inputs(source: str, name: str) -> list[str]:
    tree = ast.parse(source)
    node = next(n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == name)
    return [a.arg for a in node.args.args + node.args.kwonlyargs]


def _outputs(source: str, name: str) -> list[str]:
    """The names the docstring's Returns section gives the function's outputs."""
    tree = ast.parse(source)
    node = next(n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == name)
    doc = ast.get_docstring(node) or ""
    names: list[str] = []
    inside = False
    for line in doc.splitlines():
        if not line.strip():
            continue
        if not line[0].isspace():  # a section header ("Returns:", "Notes:") at the docstring's margin
            inside = line.strip() == "Returns:"
            continue
        match = re.match(r"\s+(\w+):", line)
        if inside and match:
            names.append(match.group(1))
    return names


def _label(eq: PlannedEquation) -> str:
    if eq.number:
        return f"Eq. ({eq.number}) of the paper"
    where = f" ({eq.section})" if eq.section else ""
    return f"An unnumbered equation of the paper{where}"


def _compiled_source(eq: PlannedEquation) -> str | None:
    if eq.source:
        return eq.source
    if not eq.compiled:
        return None
    try:
        from agent.equations import compile_equation

        return compile_equation(eq.latex).source
    except Exception as exc:  # the plan said it compiled; a failure now is reported, not fatal
        log.warning("equation %s does not compile: %s", eq.number, exc)
        return None


def compiled_functions(equations: list[PlannedEquation]) -> tuple[list[CompiledFunction], list[str]]:
    """The verified compiled equations of the plan as functions of equations.py, plus import lines."""
    functions: list[CompiledFunction] = []
    imports: list[str] = []
    used: set[str] = set()
    for eq in equations:
        if not (eq.compiled and eq.verified):
            continue
        source = _compiled_source(eq)
        if source is None:
            continue
        wanted = eq.function or ""
        if keyword.iskeyword(wanted):  # e.g. an equation defining lambda: the function is lambda_
            source = source.replace(f"def {wanted}(", f"def {wanted}_(", 1)
            wanted += "_"
        try:
            tree = ast.parse(source)
        except SyntaxError as exc:
            log.warning("equation %s: the compiled source does not parse (%s); left out", eq.number, exc)
            continue
        defs = [n for n in tree.body if isinstance(n, ast.FunctionDef)]
        if len(defs) != 1:
            continue
        original = defs[0].name
        name = wanted if wanted.isidentifier() else original
        base, k = name, 2
        while name in used:
            name, k = f"{base}_{k}", k + 1
        used.add(name)
        file_imports, _, body = _split(source)
        body = _rename(body, {original: name}) if name != original else body
        marker = re.search(r'(r?""")Compiled from the LaTeX', body)
        if marker:
            body = body[: marker.end(1)] + f"{_label(eq)}, compiled from the LaTeX" + body[marker.end():]
        else:
            body = f"# {_label(eq)}\n{body}"
        imports += file_imports
        functions.append(CompiledFunction(name, _function_inputs(body, name), eq.number, eq.latex, eq.role,
                                          eq.implemented_by, eq.section, body, _outputs(body, name)))
    return functions, imports


def render_equations(functions: list[CompiledFunction], imports: list[str], header: str) -> str | None:
    """equations.py, or None when the plan has no verified compiled equation."""
    if not functions:
        return None
    text = '"""' + header.strip() + '\n"""\n\n' + "\n".join(merge_imports(imports)) + "\n\n\n"
    return text + "\n\n\n".join(f.source.strip("\n") for f in functions) + "\n"
