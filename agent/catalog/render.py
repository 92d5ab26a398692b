"""Render catalog components into Python source.

``render(name, **params)`` gives the definitions of one component (no import lines);
``render_module(names, params)`` assembles several, with the components they depend on, into one
importable module: merged imports first (isort order), then definitions, dependencies first.

Template context: every parameter of the component (defaults, then the variant's ``fixed`` values,
then the caller's), ``class_name`` (the main symbol), ``cite`` (the metadata's paper locations
updated with the caller's ``cite`` dict) and, for each slot parameter ``p``, the class name of the
component it names as ``p`` and that component's traits as ``p_traits``. Templates render with
``StrictUndefined``: a missing variable is an error, never an empty string.
"""

from __future__ import annotations

import ast
import functools
import keyword
import sys
import types
from collections.abc import Iterable, Mapping
from typing import Any

import jinja2

from agent.catalog.registry import CatalogBug, components_dir, get
from agent.errors import UserError
from agent.types import Component

_RESERVED = ("class_name", "cite")


def _py(value: Any) -> str:
    """A Python literal for ``value`` (lists become tuples: no mutable defaults)."""
    if isinstance(value, list):
        value = tuple(value)
    return repr(value)


def _fail(message: str) -> None:
    """Called by a template that refuses its parameters (e.g. a position kind it cannot use)."""
    raise UserError(message)


@functools.cache
def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(components_dir())),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        autoescape=False,
    )
    env.filters["py"] = _py
    env.globals["fail"] = _fail
    return env


def _check_value(component: Component, name: str, value: Any) -> Any:
    param = component.params[name]
    default = param.default
    if param.slot is not None:
        if not isinstance(value, str):
            raise UserError(f"{component.name}: parameter {name} names a component (a string)")
        if not value and not param.optional:
            raise UserError(f"{component.name}: parameter {name} needs a {param.slot!r} component")
    elif isinstance(default, bool):
        if not isinstance(value, bool):
            raise UserError(f"{component.name}: parameter {name} must be true or false, got {value!r}")
    elif isinstance(default, int):
        if isinstance(value, bool) or not isinstance(value, int):
            raise UserError(f"{component.name}: parameter {name} must be an integer, got {value!r}")
    elif isinstance(default, float):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise UserError(f"{component.name}: parameter {name} must be a number, got {value!r}")
        value = float(value)
    elif isinstance(default, str) and not isinstance(value, str):
        raise UserError(f"{component.name}: parameter {name} must be a string, got {value!r}")
    elif isinstance(default, list) and not isinstance(value, (list, tuple)):
        raise UserError(f"{component.name}: parameter {name} must be a list, got {value!r}")
    if param.choices is not None and value not in param.choices:
        choices = ", ".join(repr(c) for c in param.choices)
        raise UserError(f"{component.name}: parameter {name}={value!r} is not one of {choices}")
    return value


def resolve_params(component: Component, params: Mapping[str, Any]) -> dict[str, Any]:
    """The parameter values a component renders with: defaults, variant pins, then ``params``.

    Raises:
        UserError: an unknown parameter, a pinned one, or a value of the wrong type.
    """
    values: dict[str, Any] = {name: p.default for name, p in component.params.items()}
    values.update(component.fixed)
    for name, value in params.items():
        if name in _RESERVED:
            continue
        if name in component.fixed:
            raise UserError(f"{component.name}: parameter {name} is fixed to {component.fixed[name]!r}")
        if name not in component.params:
            known = ", ".join(sorted(list(component.params) + list(_RESERVED))) or "none"
            raise UserError(f"{component.name}: unknown parameter {name!r} (parameters: {known})")
        values[name] = _check_value(component, name, value)
    return values


def dependencies(component: Component, params: Mapping[str, Any] | None = None) -> list[str]:
    """Components that must be defined before ``component`` rendered with ``params``."""
    values = resolve_params(component, params or {})
    deps = list(component.requires)
    for name, param in component.params.items():
        if param.slot is not None and values[name] and values[name] not in deps:
            deps.append(values[name])
    return deps


def _class_name(component: Component, params: Mapping[str, Any]) -> str:
    name = params.get("class_name", component.symbol)
    if not isinstance(name, str) or not name.isidentifier() or keyword.iskeyword(name):
        raise UserError(f"{component.name}: class_name {name!r} is not a Python identifier")
    return name


def _deep_traits(name: str, every: Mapping[str, Mapping[str, Any]], seen: frozenset[str] = frozenset()) -> list[str]:
    """Traits of component ``name`` and of every component in its slots, as rendered with ``every``."""
    if name in seen:
        return []
    component = get(name)
    traits = list(component.traits)
    values = resolve_params(component, every.get(name, {}))
    for param_name, param in component.params.items():
        if param.slot is not None and values[param_name]:
            traits += [t for t in _deep_traits(values[param_name], every, seen | {name}) if t not in traits]
    return traits


def _context(component: Component, params: Mapping[str, Any], symbols: Mapping[str, str],
             every: Mapping[str, Mapping[str, Any]] | None = None) -> dict[str, Any]:
    values = resolve_params(component, params)
    context: dict[str, Any] = dict(values)
    for name, param in component.params.items():
        if param.slot is None:
            continue
        filler_name = values[name]
        if not filler_name:
            context[name], context[f"{name}_traits"], context[f"{name}_deep_traits"] = "", [], []
            continue
        filler = get(filler_name)
        if filler.slot != param.slot:
            raise UserError(
                f"{component.name}: parameter {name} needs a {param.slot!r} component; "
                f"{filler_name} fills {filler.slot!r}"
            )
        context[name] = symbols.get(filler_name, filler.symbol)
        context[f"{name}_traits"] = list(filler.traits)
        # traits anywhere below the slot ("depth": a block whose attention needs its layer index)
        context[f"{name}_deep_traits"] = _deep_traits(filler_name, every or {})
    cite = params.get("cite", {})
    if not isinstance(cite, Mapping):
        raise UserError(f"{component.name}: cite must be a mapping of labels to paper locations")
    unknown = sorted(set(cite) - set(component.cite))
    if unknown:
        raise UserError(f"{component.name}: unknown cite label(s) {', '.join(unknown)}")
    # A namespace, not a dict: ``cite.values`` must be the label "values", never dict.values.
    context["cite"] = types.SimpleNamespace(**{**component.cite, **{k: str(v) for k, v in cite.items()}})
    context["class_name"] = _class_name(component, params)
    return context


def _render(component: Component, params: Mapping[str, Any], symbols: Mapping[str, str],
            every: Mapping[str, Mapping[str, Any]] | None = None) -> str:
    context = _context(component, params, symbols, every)
    template = _environment().get_template(component.template)
    try:
        source = template.render(**context)
    except jinja2.UndefinedError as exc:
        raise CatalogBug(f"{component.template}: {exc}") from exc
    source = source.strip("\n") + "\n"
    try:
        ast.parse(source)
    except SyntaxError as exc:
        raise CatalogBug(f"{component.template} rendered invalid Python: {exc}") from exc
    return source


def render(name: str, **params: Any) -> str:
    """The definitions (classes/functions, no imports) of component ``name``.

    Args:
        name: a catalog component.
        **params: template parameters; ``class_name`` renames the main symbol, ``cite`` updates the
            paper locations quoted in comments. Slot parameters name other components.

    Raises:
        UserError: unknown component or parameter, or a bad value.
    """
    return _render(get(name), params, {})


def _order(names: Iterable[str], params: Mapping[str, Mapping[str, Any]]) -> list[str]:
    order: list[str] = []

    def visit(name: str, chain: tuple[str, ...]) -> None:
        if name in order:
            return
        if name in chain:
            raise CatalogBug(f"dependency cycle: {' -> '.join(chain + (name,))}")
        component = get(name)
        for dep in dependencies(component, params.get(name, {})):
            visit(dep, chain + (name,))
        order.append(name)

    for name in names:
        visit(name, ())
    return order


def _import_key(line: str) -> tuple[int, int, str, str]:
    node = ast.parse(line).body[0]
    module = node.module if isinstance(node, ast.ImportFrom) else node.names[0].name
    root = (module or "").split(".")[0]
    section = 0 if root == "__future__" else 1 if root in sys.stdlib_module_names else 2
    return section, int(isinstance(node, ast.ImportFrom)), (module or "").lower(), line


def _member_key(alias: str) -> tuple[int, str, str]:
    name = alias.split(" as ")[0]
    kind = 0 if name.isupper() and len(name) > 1 else 1 if name[:1].isupper() else 2
    return kind, name.lower(), alias


def _bound_name(alias: ast.alias) -> str:
    return alias.asname or alias.name.split(".")[0]


def used_names(source: str) -> set[str]:
    """Names a piece of code reads (``F`` in ``F.relu``, ``torch`` in ``torch.ones``)."""
    return {node.id for node in ast.walk(ast.parse(source)) if isinstance(node, ast.Name)}


def merge_imports(lines: Iterable[str], used: set[str] | None = None) -> list[str]:
    """Merge import lines into isort order: stdlib, then third party; ``import`` before ``from``.

    ``from m import a`` and ``from m import b`` become ``from m import a, b``; with ``used``, imports
    binding none of those names are dropped (a template's optional branch may not need them).
    """
    plain: set[str] = set()
    members: dict[str, set[str]] = {}
    for line in lines:
        tree = ast.parse(line.strip())
        if len(tree.body) != 1 or not isinstance(tree.body[0], (ast.Import, ast.ImportFrom)):
            raise CatalogBug(f"not an import line: {line!r}")
        node = tree.body[0]
        names = [a for a in node.names if used is None or _bound_name(a) in used]
        if not names:
            continue
        if isinstance(node, ast.Import):
            for alias in names:
                plain.add(f"import {alias.name}" + (f" as {alias.asname}" if alias.asname else ""))
        else:
            members.setdefault(node.module or "", set()).update(
                a.name + (f" as {a.asname}" if a.asname else "") for a in names
            )
    merged = list(plain)
    merged += [f"from {m} import {', '.join(sorted(n, key=_member_key))}" for m, n in members.items()]
    merged.sort(key=_import_key)
    out: list[str] = []
    previous = None
    for line in merged:
        section = _import_key(line)[0]
        if previous is not None and section != previous:
            out.append("")
        out.append(line)
        previous = section
    return out


def render_module(
    names: Iterable[str],
    params: Mapping[str, Mapping[str, Any]] | None = None,
    *,
    docstring: str | None = None,
) -> str:
    """One importable Python module defining ``names`` and everything they depend on.

    Args:
        names: catalog components; slot parameters and ``requires`` pull in further components
            (rendered with their defaults unless ``params`` names them).
        params: per component name, its template parameters (see :func:`render`).
        docstring: an optional module docstring placed first.

    Raises:
        UserError: unknown component or parameter, parameters for a component not rendered, or two
            components defining the same top-level name.
    """
    params = dict(params or {})
    names = list(names)
    order = _order(names, params)
    stray = sorted(set(params) - set(order))
    if stray:
        raise UserError(f"parameters given for {', '.join(stray)}, which the module does not render")
    components = [get(name) for name in order]
    symbols = {c.name: _class_name(c, params.get(c.name, {})) for c in components}
    bodies = [_render(c, params.get(c.name, {}), symbols, params) for c in components]
    defined: dict[str, str] = {}
    for component, body in zip(components, bodies, strict=True):
        for node in ast.parse(body).body:
            if isinstance(node, (ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
                if node.name in defined:
                    raise UserError(
                        f"{component.name} and {defined[node.name]} both define {node.name}; "
                        "pass class_name to rename one"
                    )
                defined[node.name] = component.name
    used = set().union(*(used_names(b) for b in bodies))
    imports = merge_imports((line for c in components for line in c.imports), used)
    parts = []
    if docstring:
        parts.append('"""' + docstring.strip().replace('"""', "'''") + '\n"""\n')
    parts.append("\n".join(imports) + "\n")
    source = "\n\n".join(parts) + "\n\n" + "\n\n\n".join(b.rstrip("\n") for b in bodies) + "\n"
    try:
        ast.parse(source)
    except SyntaxError as exc:  # pragma: no cover - each body parses alone, so this is a join bug
        raise CatalogBug(f"assembled module is invalid Python: {exc}") from exc
    return source
