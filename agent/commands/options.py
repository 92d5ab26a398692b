"""Option parsing shared by the subcommands."""

from __future__ import annotations

from agent.errors import UserError


def split_names(value: str | None, option: str) -> list[str] | None:
    """``"a, b"`` -> ``["a", "b"]`` for a comma-separated option; None when the option was not given."""
    if value is None:
        return None
    names = [n.strip() for n in value.split(",") if n.strip()]
    if not names:
        raise UserError(f"{option} needs at least one name")
    return names
