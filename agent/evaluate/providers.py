"""Two providers that calibrate the ResearchCodeBench adapter, registered as ``--llm`` kinds when the
adapter loads (they are of no use elsewhere):

* ``oracle:ROOT`` answers every masked snippet of the benchmark at ROOT with the original code, so a
  correct adapter scores 100%;
* ``empty`` answers nothing, so a correct adapter scores 0%.

The oracle knows which snippet it is asked for by finding, in the request, the masked file that
only that snippet produces; it reads nothing else of the prompt.
"""

from __future__ import annotations

import textwrap
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from agent.errors import LLMError, UserError
from agent.llm.base import blocks
from agent.llm.config import LLMConfig
from agent.llm.registry import register
from agent.types import LLMResponse, PaperBlock, ToolSpec, Usage


def _request_text(system: str, messages: list[dict[str, Any]]) -> str:
    parts = [system]
    for message in messages:
        parts += [str(b.get("text", "")) for b in blocks(message) if b.get("type") == "text"]
    return "\n".join(parts)


class OracleProvider:
    """Returns the original code of the snippet a request masks."""

    name = "oracle"
    model = "oracle"

    def __init__(self, root: str | Path) -> None:
        from agent.evaluate.rcb_tasks import load_tasks

        self.root = Path(root)
        self._answers = [(f.masked(s), textwrap.dedent("\n".join(s.code)).strip("\n"))
                         for task in load_tasks(self.root) for f, s in task.snippets()]

    def identity(self) -> dict[str, Any]:
        return {"provider": self.name, "root": str(self.root)}

    def complete(self, *, system: str, messages: list[dict[str, Any]], tools: list[ToolSpec], max_tokens: int,
                 paper: PaperBlock | None = None) -> LLMResponse:
        text = _request_text(system, messages)
        matches = [answer for masked, answer in self._answers if masked.strip("\n") in text]
        if not matches:
            raise LLMError(f"oracle: the request shows no masked snippet of the benchmark at {self.root}")
        return LLMResponse(text=f"```python\n{matches[0]}\n```", tool_calls=[], stop_reason="end_turn",
                           usage=Usage(), model=self.model)


class EmptyProvider:
    """Answers every request with nothing."""

    name = "empty"
    model = "empty"

    def identity(self) -> dict[str, Any]:
        return {"provider": self.name}

    def complete(self, *, system: str, messages: list[dict[str, Any]], tools: list[ToolSpec], max_tokens: int,
                 paper: PaperBlock | None = None) -> LLMResponse:
        return LLMResponse(text="", tool_calls=[], stop_reason="end_turn", usage=Usage(), model=self.model)


def _oracle(rest: str, config: LLMConfig, env: Mapping[str, str]) -> OracleProvider:
    if not rest:
        raise UserError("--llm oracle:ROOT: name the ResearchCodeBench checkout whose snippets it returns")
    return OracleProvider(rest)


def _empty(rest: str, config: LLMConfig, env: Mapping[str, str]) -> EmptyProvider:
    if rest:
        raise UserError(f"--llm empty takes no argument (got empty:{rest})")
    return EmptyProvider()


register("oracle", _oracle, cacheable=False)
register("empty", _empty, cacheable=False)
