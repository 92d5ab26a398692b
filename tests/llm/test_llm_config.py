"""LLM configuration: defaults < pyproject.toml < paper2code.toml < environment."""

from __future__ import annotations

import pytest

from agent.errors import UserError
from agent.llm.config import DEFAULT_ANTHROPIC_MODEL, default_spec, load_config


def test_defaults(tmp_path):
    config = load_config(tmp_path, env={})
    assert config.model == DEFAULT_ANTHROPIC_MODEL and config.cache and config.stream
    assert config.sources == {}


def test_precedence(tmp_path):
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "x"\n[tool.paper2code.llm]\nmodel = "from-pyproject"\nmax_steps = 7\n'
        'max_cost_usd = 1\ntemperature = 0.2\n')
    (tmp_path / "paper2code.toml").write_text('[project]\nname = "impl"\n[llm]\nmax_steps = 9\n'
                                              'prices = { "local" = [0, 0, 0, 0] }\n')
    config = load_config(tmp_path, env={"P2C_MAX_STEPS": "11", "P2C_CACHE": "0", "P2C_CACHE_DIR": "/tmp/c"})
    assert config.model == "from-pyproject" and config.max_cost_usd == 1.0 and config.temperature == 0.2
    assert config.max_steps == 11 and config.cache is False and config.cache_dir == "/tmp/c"
    assert config.prices == {"local": [0.0, 0.0, 0.0, 0.0]}
    assert config.sources["max_steps"] == "P2C_MAX_STEPS"
    assert config.sources["model"].endswith("[tool.paper2code.llm]")
    assert load_config(tmp_path, env={}).max_steps == 9


def test_top_level_tool_section(tmp_path):
    (tmp_path / "pyproject.toml").write_text(
        '[tool.paper2code]\nllm = "openai:qwen@http://localhost:8000/v1"\nmax_repairs = 5\n'
        'ingest_max_pages = 10  # owned by another stage: ignored here\n')
    config = load_config(tmp_path, env={})
    assert config.llm == "openai:qwen@http://localhost:8000/v1" and config.max_repairs == 5


def test_extra_manifest_file(tmp_path):
    impl = tmp_path / "impl"
    impl.mkdir()
    (impl / "paper2code.toml").write_text('[llm]\nmodel = "claude-haiku-4-5"\n')
    assert load_config(tmp_path, env={}, extra_files=[impl / "paper2code.toml"]).model == "claude-haiku-4-5"


@pytest.mark.parametrize("text, message", [
    ("[llm]\nmodle = 'x'\n", "unknown key 'modle'"),
    ("[llm]\nmax_steps = 'many'\n", "max_steps must be int"),
    ("[llm]\nmax_steps = 0\n", "max_steps must be at least 1"),
    ("[llm]\nprices = { m = [1, 2] }\n", "4 non-negative numbers"),
    ("[llm\n", "cannot read TOML"),
])
def test_bad_files(tmp_path, text, message):
    (tmp_path / "paper2code.toml").write_text(text)
    with pytest.raises(UserError, match=message):
        load_config(tmp_path, env={})


@pytest.mark.parametrize("var, value, message", [
    ("P2C_MAX_STEPS", "ten", "not an integer"),
    ("P2C_MAX_COST_USD", "$5", "not a number"),
    ("P2C_STREAM", "maybe", "not a boolean"),
    ("P2C_MAX_COST_USD", "-1", "must not be negative"),
])
def test_bad_environment(tmp_path, var, value, message):
    with pytest.raises(UserError, match=message):
        load_config(tmp_path, env={var: value})


def test_default_spec(tmp_path):
    config = load_config(tmp_path, env={})
    assert default_spec(config, env={}) == "offline"
    assert default_spec(config, env={"ANTHROPIC_API_KEY": "k"}) == "anthropic"
    assert default_spec(load_config(tmp_path, env={"P2C_LLM": "scripted:x.json"}), env={}) == "scripted:x.json"
