"""What LLM calls cost: a price table, a per-run :class:`UsageLedger` saved as JSON, and
:class:`MeteredProvider`, which records every call and stops a run at its cost limit.

Prices are USD per million tokens: (input, output, cache read, cache write). Cache writes are
priced at 1.25x input and cache reads at 0.1x input (Anthropic's 5-minute cache). A model with no
known price (a local server, an unknown name) costs 0.0 and is listed as unpriced.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from agent.errors import LLMError
from agent.llm.base import LLMProvider
from agent.types import LLMResponse, PaperBlock, ToolSpec, Usage

Price = tuple[float, float, float, float]


def usage_path(out_dir: str | Path) -> Path:
    """Where a run's ledger is saved: ``<out_dir>/.paper2code/usage.json`` (never committed)."""
    return Path(out_dir) / ".paper2code" / "usage.json"


def _anthropic(inp: float, out: float) -> Price:
    return (inp, out, round(inp * 0.1, 6), round(inp * 1.25, 6))


# Longest matching prefix wins. Public list prices; override with [llm] prices in configuration.
PRICES: dict[str, Price] = {
    "claude-opus-4-0": _anthropic(15.0, 75.0),
    "claude-opus-4-1": _anthropic(15.0, 75.0),
    "claude-opus-4-2025": _anthropic(15.0, 75.0),
    "claude-opus-": _anthropic(5.0, 25.0),
    "claude-sonnet-": _anthropic(3.0, 15.0),
    "claude-3-7-sonnet": _anthropic(3.0, 15.0),
    "claude-3-5-sonnet": _anthropic(3.0, 15.0),
    "claude-haiku-": _anthropic(1.0, 5.0),
    "claude-3-5-haiku": _anthropic(0.8, 4.0),
    "gpt-4o-mini": (0.15, 0.60, 0.075, 0.0),
    "gpt-4o": (2.50, 10.0, 1.25, 0.0),
    "gpt-4.1-nano": (0.10, 0.40, 0.025, 0.0),
    "gpt-4.1-mini": (0.40, 1.60, 0.10, 0.0),
    "gpt-4.1": (2.0, 8.0, 0.50, 0.0),
}


def price_for(model: str, overrides: dict[str, list[float]] | None = None) -> Price | None:
    """The price row of ``model`` (an exact override first, then the longest known prefix)."""
    if overrides and model in overrides:
        row = overrides[model]
        return (row[0], row[1], row[2], row[3])
    matches = [prefix for prefix in PRICES if model.startswith(prefix)]
    return PRICES[max(matches, key=len)] if matches else None


def cost_usd(model: str, usage: Usage, overrides: dict[str, list[float]] | None = None) -> float:
    """USD cost of ``usage`` for ``model`` (0.0 when the model has no price)."""
    price = price_for(model, overrides)
    if price is None:
        return 0.0
    tokens = (usage.input_tokens, usage.output_tokens, usage.cache_read_tokens, usage.cache_write_tokens)
    return sum(n * p for n, p in zip(tokens, price)) / 1e6


@dataclass
class CallRecord:
    """One call as the ledger keeps it."""

    provider: str
    model: str
    usage: Usage
    cached: bool
    seconds: float
    priced: bool = True
    label: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "provider": self.provider,
            "model": self.model,
            "cached": self.cached,
            "priced": self.priced,
            "seconds": round(self.seconds, 3),
            "label": self.label,
            **self.usage.to_dict(),
        }


@dataclass
class UsageLedger:
    """Usage of every call in a run; ``total`` sums them. Saved as JSON in the output folder."""

    calls: list[CallRecord] = field(default_factory=list)

    @property
    def total(self) -> Usage:
        total = Usage()
        for call in self.calls:
            total = total + call.usage
        return total

    def record(self, call: CallRecord) -> None:
        self.calls.append(call)

    def to_dict(self) -> dict[str, Any]:
        total = self.total
        return {
            "calls": [c.to_dict() for c in self.calls],
            "total": {**total.to_dict(), "calls": len(self.calls), "cached_calls": self.cached_calls},
            "unpriced_models": sorted({c.model for c in self.calls if not c.priced and not c.cached}),
        }

    @property
    def cached_calls(self) -> int:
        return sum(1 for c in self.calls if c.cached)

    def save(self, path: str | Path) -> Path:
        """Write the ledger as JSON (atomically) and return the path."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        tmp.write_text(json.dumps(self.to_dict(), indent=2) + "\n", encoding="utf-8")
        os.replace(tmp, path)
        return path

    @classmethod
    def load(cls, path: str | Path) -> UsageLedger:
        """Read a saved ledger (to keep accounting across a resumed run)."""
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        calls = []
        for row in data.get("calls", []):
            usage = Usage(**{k: row[k] for k in Usage.__dataclass_fields__ if k in row})
            calls.append(
                CallRecord(
                    provider=row["provider"],
                    model=row["model"],
                    usage=usage,
                    cached=row["cached"],
                    seconds=row.get("seconds", 0.0),
                    priced=row.get("priced", True),
                    label=row.get("label", ""),
                )
            )
        return cls(calls=calls)

    def summary(self) -> str:
        """A short table of the calls and their total, for the end of a run."""
        rows = [("#", "model", "input", "output", "cache rd", "cache wr", "USD", "")]
        for i, c in enumerate(self.calls, 1):
            note = "cached" if c.cached else ("unpriced" if not c.priced else "")
            rows.append((str(i), c.model, *_numbers(c.usage), note))
        total = self.total
        rows.append(("", "total", *_numbers(total), f"{len(self.calls)} calls, {self.cached_calls} cached"))
        widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
        return "\n".join("  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip() for row in rows)


def _numbers(usage: Usage) -> tuple[str, str, str, str, str]:
    return (
        str(usage.input_tokens),
        str(usage.output_tokens),
        str(usage.cache_read_tokens),
        str(usage.cache_write_tokens),
        f"{usage.cost_usd:.4f}",
    )


class MeteredProvider:
    """Wraps a provider: records each call in a ledger and refuses calls once the run has spent
    ``max_cost_usd`` (raising :class:`agent.errors.LLMError`)."""

    def __init__(
        self,
        inner: LLMProvider,
        ledger: UsageLedger,
        *,
        max_cost_usd: float | None = None,
        prices: dict[str, list[float]] | None = None,
    ) -> None:
        self.inner = inner
        self.ledger = ledger
        self.max_cost_usd = max_cost_usd
        self.prices = prices or {}
        self.name = inner.name
        self.model = inner.model
        self.label = ""  # set by the caller to tag the next calls ("plan", "draft", ...)

    def identity(self) -> dict[str, Any]:
        return _identity(self.inner)

    def complete(
        self,
        *,
        system: str,
        messages: list[dict[str, Any]],
        tools: list[ToolSpec],
        max_tokens: int,
        paper: PaperBlock | None = None,
    ) -> LLMResponse:
        spent = self.ledger.total.cost_usd
        if self.max_cost_usd is not None and spent >= self.max_cost_usd:
            raise LLMError(f"cost limit reached: ${spent:.2f} spent of max_cost_usd ${self.max_cost_usd:.2f}")
        start = time.monotonic()
        response = self.inner.complete(
            system=system, messages=messages, tools=tools, max_tokens=max_tokens, paper=paper
        )
        model = response.model or self.model
        self.ledger.record(
            CallRecord(
                provider=self.name,
                model=model,
                usage=response.usage,
                cached=response.cached,
                seconds=time.monotonic() - start,
                priced=response.cached or price_for(model, self.prices) is not None,
                label=self.label,
            )
        )
        return response


def _identity(provider: Any) -> dict[str, Any]:
    identity = getattr(provider, "identity", None)
    return identity() if callable(identity) else {"provider": provider.name, "model": provider.model}
