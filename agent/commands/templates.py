"""``paper2code templates [list|show NAME]``: browse the verified component catalog."""

from __future__ import annotations

import json
import sys
from typing import Any

import click

from agent.errors import UserError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib


def _parse_param(text: str) -> tuple[str, Any]:
    """``key=value`` with a TOML value (``8``, ``0.1``, ``true``, ``"x"``, ``[1, 2]``); bare words are strings."""
    key, sep, raw = text.partition("=")
    key = key.strip()
    if not sep or not key.isidentifier():
        raise UserError(f"--param expects KEY=VALUE, got {text!r}")
    try:
        value = tomllib.loads(f"v = {raw.strip()}")["v"]
    except tomllib.TOMLDecodeError:
        value = raw.strip()
    return key, value


@click.group(name="templates", invoke_without_command=True)
@click.pass_context
def command(ctx: click.Context) -> int:
    """List or show the verified component catalog (default: list)."""
    if ctx.invoked_subcommand is None:
        return ctx.invoke(list_command)
    return 0


@command.command(name="list")
@click.option("--family", default=None, help="Only components of this family (attention, norm, ...).")
@click.option("--slot", default=None, help="Only components filling this slot.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
def list_command(family: str | None, slot: str | None, as_json: bool) -> int:
    """List catalog components: name, family, slot, summary."""
    from agent.catalog import all_components
    from agent.catalog.registry import FAMILIES

    if family is not None and family not in FAMILIES:
        raise UserError(f"unknown family {family!r}; families: {', '.join(FAMILIES)}")
    components = [
        c for c in all_components() if (family is None or c.family == family) and (slot is None or c.slot == slot)
    ]
    if as_json:
        rows = [
            {"name": c.name, "family": c.family, "slot": c.slot, "summary": c.summary, "symbol": c.symbol}
            for c in components
        ]
        click.echo(json.dumps(rows, indent=2))
        return 0
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"paper2code component catalog ({len(components)})")
    for column in ("name", "family", "slot", "summary"):
        table.add_column(column, overflow="fold")
    for c in components:
        table.add_row(c.name, c.family, c.slot, c.summary)
    Console().print(table)
    return 0


@command.command(name="show")
@click.argument("name")
@click.option("--param", "params", multiple=True, metavar="KEY=VALUE", help="Render with this template parameter.")
@click.option("--json", "as_json", is_flag=True, help="Print metadata and source as JSON.")
def show_command(name: str, params: tuple[str, ...], as_json: bool) -> int:
    """Show a component's metadata and its rendered source (defaults unless --param is given)."""
    from agent.catalog import get, render

    component = get(name)
    values = dict(_parse_param(p) for p in params)
    source = render(name, **values)
    if as_json:
        click.echo(json.dumps({**component.to_dict(), "source": source}, indent=2))
        return 0
    from rich.console import Console, Group
    from rich.panel import Panel
    from rich.syntax import Syntax
    from rich.table import Table

    info = Table.grid(padding=(0, 2))
    info.add_column(style="bold")
    info.add_column(overflow="fold")
    info.add_row("family / slot", f"{component.family} / {component.slot}")
    info.add_row("renders", f"{component.kind} {component.symbol}")
    info.add_row("paper", component.paper)
    info.add_row("interface", component.interface)
    info.add_row("imports", "; ".join(component.imports) or "-")
    info.add_row("verified", f"{component.reference.kind}: {component.reference.target}")
    info.add_row("cues", ", ".join(component.cues.phrases[:6]))
    parameters = Table("parameter", "default", "canonical / slot", "doc", title="template parameters")
    for p in component.params.values():
        parameters.add_row(p.name, repr(p.default), p.canonical or (f"slot {p.slot}" if p.slot else ""), p.doc)
    console = Console()
    console.print(Panel(Group(info, parameters), title=f"{component.name}: {component.summary}"))
    if console.is_terminal:
        console.print(Syntax(source, "python", theme="ansi_dark", word_wrap=True))
    else:  # piped: the exact source, uncropped
        click.echo(source, nl=False)
    return 0
