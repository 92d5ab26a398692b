"""LLM settings: defaults, then ``[tool.paper2code]`` (its LLM keys) and ``[tool.paper2code.llm]``
in pyproject.toml, then ``[llm]`` in paper2code.toml, then ``P2C_*`` environment variables (each
later source wins).

Example ``paper2code.toml``::

    [llm]
    model = "claude-sonnet-4-6"
    max_cost_usd = 2.0
    prices = { "my-local-model" = [0.0, 0.0, 0.0, 0.0] }   # USD per MTok: in, out, cache read, cache write

A key that is unknown, or a value of the wrong type, is a :class:`agent.errors.UserError` naming the
file (or variable) and the key.
"""

from __future__ import annotations

import dataclasses
import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from agent.errors import UserError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

DEFAULT_ANTHROPIC_MODEL = "claude-sonnet-4-6"


@dataclass
class LLMConfig:
    """Settings of the LLM-backed steps. ``sources`` tells where each non-default value came from."""

    llm: str | None = None  # default --llm spec; None: "anthropic" when ANTHROPIC_API_KEY is set, else offline
    model: str = DEFAULT_ANTHROPIC_MODEL  # model for a bare "anthropic" spec
    max_tokens: int = 16000  # per response
    max_steps: int = 40  # agent-loop steps per run
    max_repairs: int = 3  # repair rounds after validation
    max_cost_usd: float = 5.0  # per run; the run stops once spent
    max_retries: int = 4  # the SDK's own retries on 408/409/429/5xx/529 (backoff honours retry-after)
    stream_retries: int = 2  # our retries of a stream that breaks mid-way
    retry_backoff_s: float = 2.0  # first pause before a stream retry (doubles each time)
    timeout_s: float = 600.0  # per HTTP request
    stream: bool = True  # stream responses (needed for long outputs)
    temperature: float | None = None  # None: the provider's default
    send_pdf: bool = True  # Anthropic: send a PDF paper as a document block
    cache: bool = True  # on-disk response cache (--no-cache turns it off)
    cache_dir: str | None = None  # default: <output folder>/.paper2code/cache
    prices: dict[str, list[float]] = field(default_factory=dict)  # model -> USD/MTok [in, out, cr, cw]
    sources: dict[str, str] = field(default_factory=dict, repr=False)

    def describe(self) -> dict[str, Any]:
        """Non-secret settings as a plain dict (for logs and ``--json``)."""
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self) if f.name != "sources"}


ENV_VARS: dict[str, str] = {
    "P2C_LLM": "llm",
    "P2C_MODEL": "model",
    "P2C_MAX_TOKENS": "max_tokens",
    "P2C_MAX_STEPS": "max_steps",
    "P2C_MAX_REPAIRS": "max_repairs",
    "P2C_MAX_COST_USD": "max_cost_usd",
    "P2C_MAX_RETRIES": "max_retries",
    "P2C_STREAM_RETRIES": "stream_retries",
    "P2C_RETRY_BACKOFF_S": "retry_backoff_s",
    "P2C_TIMEOUT_S": "timeout_s",
    "P2C_STREAM": "stream",
    "P2C_TEMPERATURE": "temperature",
    "P2C_SEND_PDF": "send_pdf",
    "P2C_CACHE": "cache",
    "P2C_CACHE_DIR": "cache_dir",
}

_FIELD_TYPES: dict[str, type] = {
    "llm": str,
    "model": str,
    "max_tokens": int,
    "max_steps": int,
    "max_repairs": int,
    "max_cost_usd": float,
    "max_retries": int,
    "stream_retries": int,
    "retry_backoff_s": float,
    "timeout_s": float,
    "stream": bool,
    "temperature": float,
    "send_pdf": bool,
    "cache": bool,
    "cache_dir": str,
    "prices": dict,
}


def load_config(
    directory: str | Path | None = None,
    *,
    env: Mapping[str, str] | None = None,
    extra_files: list[Path] | None = None,
) -> LLMConfig:
    """Read the settings that apply in ``directory`` (default: the current directory).

    Args:
        directory: where to look for ``pyproject.toml`` and ``paper2code.toml``.
        env: environment variables (default: ``os.environ``).
        extra_files: more ``paper2code.toml`` files read after those in ``directory``
            (e.g. the manifest of the implementation being edited).
    """
    base = Path(directory) if directory is not None else Path.cwd()
    env = os.environ if env is None else env
    config = LLMConfig()
    pyproject = base / "pyproject.toml"
    if pyproject.is_file():
        section = _read_toml(pyproject).get("tool", {}).get("paper2code", {})
        if isinstance(section, dict):
            # LLM keys may sit in [tool.paper2code] itself (other stages own its other keys) ...
            table = section.get("llm")
            shared = {k: v for k, v in section.items() if k in _FIELD_TYPES}
            if isinstance(table, dict):
                del shared["llm"]
            _apply(config, shared, f"{pyproject} [tool.paper2code]")
            # ... or in [tool.paper2code.llm], where every key must be an LLM setting.
            if isinstance(table, dict):
                _apply(config, table, f"{pyproject} [tool.paper2code.llm]")
    for path in [base / "paper2code.toml", *(extra_files or [])]:
        if path.is_file():
            table = _read_toml(path).get("llm")
            if table is not None:
                _apply(config, table, f"{path} [llm]")
    for var, key in ENV_VARS.items():
        raw = env.get(var)
        if raw is not None and raw != "":
            setattr(config, key, _coerce_env(key, raw, var))
            config.sources[key] = var
    _check(config)
    return config


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise UserError(f"{path}: cannot read TOML: {exc}") from None


def _apply(config: LLMConfig, table: Any, where: str) -> None:
    if not isinstance(table, dict):
        raise UserError(f"{where}: expected a table")
    for key, value in table.items():
        if key not in _FIELD_TYPES:
            known = ", ".join(sorted(_FIELD_TYPES))
            raise UserError(f"{where}: unknown key {key!r} (known: {known})")
        setattr(config, key, _coerce_toml(key, value, where))
        config.sources[key] = where


def _coerce_toml(key: str, value: Any, where: str) -> Any:
    kind = _FIELD_TYPES[key]
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if kind is dict:
        return _check_prices(value, f"{where}: {key}")
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise UserError(f"{where}: {key} must be {kind.__name__}, got {value!r}")
    return value


def _coerce_env(key: str, raw: str, var: str) -> Any:
    kind = _FIELD_TYPES[key]
    if kind is bool:
        lowered = raw.strip().lower()
        if lowered in ("1", "true", "yes", "on"):
            return True
        if lowered in ("0", "false", "no", "off"):
            return False
        raise UserError(f"{var}={raw!r} is not a boolean (use 1/0, true/false)")
    if kind in (int, float):
        try:
            return kind(raw)
        except ValueError:
            raise UserError(f"{var}={raw!r} is not {'an integer' if kind is int else 'a number'}") from None
    return raw


def _check_prices(value: Any, where: str) -> dict[str, list[float]]:
    if not isinstance(value, dict):
        raise UserError(f"{where} must be a table of model = [input, output, cache_read, cache_write]")
    prices: dict[str, list[float]] = {}
    for model, row in value.items():
        ok = isinstance(row, list) and len(row) == 4
        ok = ok and all(isinstance(x, (int, float)) and not isinstance(x, bool) and x >= 0 for x in row)
        if not ok:
            raise UserError(f"{where}.{model} must be 4 non-negative numbers (USD per MTok: in, out, cr, cw)")
        prices[str(model)] = [float(x) for x in row]
    return prices


def _check(config: LLMConfig) -> None:
    for key in ("max_tokens", "max_steps"):
        if getattr(config, key) < 1:
            raise UserError(f"{key} must be at least 1 (set by {config.sources.get(key, 'default')})")
    for key in ("max_repairs", "max_retries", "stream_retries", "max_cost_usd", "retry_backoff_s"):
        if getattr(config, key) < 0:
            raise UserError(f"{key} must not be negative (set by {config.sources.get(key, 'default')})")
    if config.timeout_s <= 0:
        raise UserError(f"timeout_s must be positive (set by {config.sources.get('timeout_s', 'default')})")


def default_spec(config: LLMConfig, env: Mapping[str, str] | None = None) -> str:
    """The ``--llm`` spec to use when the user gave none: the configured one, else ``anthropic``
    when ``ANTHROPIC_API_KEY`` is set, else ``offline``."""
    env = os.environ if env is None else env
    if config.llm:
        return config.llm
    return "anthropic" if env.get("ANTHROPIC_API_KEY") else "offline"
