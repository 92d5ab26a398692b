"""Fixtures of the LLM tests: fake provider servers on 127.0.0.1 and an environment that points
the real SDKs at them."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from agent.llm.config import LLMConfig
from tests.llm.fake_anthropic import FakeAnthropic
from tests.llm.fake_openai import FakeOpenAI

API_KEY = "sk-ant-test-0123456789-SECRET-abcdef"
OPENAI_KEY = "sk-openai-test-9876543210-SECRET"


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """No key, endpoint or config of the machine running the tests leaks into them."""
    for var in ("ANTHROPIC_API_KEY", "ANTHROPIC_AUTH_TOKEN", "ANTHROPIC_BASE_URL", "ANTHROPIC_PROFILE",
                "OPENAI_API_KEY", "OPENAI_BASE_URL", "P2C_CACHE_DIR", "P2C_MODEL", "P2C_LLM"):
        monkeypatch.delenv(var, raising=False)


@pytest.fixture
def fake_anthropic() -> Iterator[FakeAnthropic]:
    server = FakeAnthropic().start()
    yield server
    server.stop()


@pytest.fixture
def fake_openai() -> Iterator[FakeOpenAI]:
    server = FakeOpenAI().start()
    yield server
    server.stop()


@pytest.fixture
def anthropic_env(fake_anthropic: FakeAnthropic) -> dict[str, str]:
    return {"ANTHROPIC_API_KEY": API_KEY, "ANTHROPIC_BASE_URL": fake_anthropic.url}


@pytest.fixture
def config() -> LLMConfig:
    """Fast retries: the SDK's backoff is cut short by retry-after-ms, ours by a zero pause."""
    return LLMConfig(max_retries=2, stream_retries=2, retry_backoff_s=0.0, timeout_s=20.0)
