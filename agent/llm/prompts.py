"""Render the prompt templates in ``prompts/`` (Jinja2, ``StrictUndefined``).

``render("repair", failures=..., attempt=1, max_attempts=3, files=[...])`` renders
``prompts/repair.md.j2``. A missing variable raises :class:`PromptError` naming the template. The
filter ``untrusted(kind)`` wraps text from a paper or from executed code in an untrusted-data block.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from agent.errors import Paper2CodeError
from agent.llm.untrusted import wrap_untrusted
from agent.resources import prompts_dir

SUFFIX = ".md.j2"


class PromptError(Paper2CodeError):
    """A prompt template is missing or was rendered without a variable it needs (a bug)."""


@lru_cache(maxsize=1)
def _environment() -> Any:
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(prompts_dir())),
        undefined=jinja2.StrictUndefined,
        autoescape=False,
        keep_trailing_newline=True,
        trim_blocks=False,
    )
    env.filters["untrusted"] = lambda text, kind="data": wrap_untrusted(str(text).strip("\n"), kind=kind)
    return env


def template_names() -> list[str]:
    """The prompts that can be rendered (partials, whose names start with ``_``, excluded)."""
    return sorted(p.name[: -len(SUFFIX)] for p in prompts_dir().glob(f"*{SUFFIX}") if not p.name.startswith("_"))


def render(name: str, **variables: Any) -> str:
    """Render ``prompts/<name>.md.j2`` with ``variables``; the result is stripped."""
    import jinja2

    try:
        template = _environment().get_template(name + SUFFIX)
        return template.render(**variables).strip() + "\n"
    except jinja2.TemplateNotFound:
        raise PromptError(f"no prompt template {name + SUFFIX!r} in {prompts_dir()}") from None
    except jinja2.UndefinedError as exc:
        raise PromptError(f"prompt {name + SUFFIX}: {exc.message}") from None
