"""``paper2code generate`` end to end: real papers through ingest, plan, draft, validate and commit.

Each paper is generated once per session (a real subprocess of the CLI); its own tests then run under
pytest in another subprocess. The papers come from ../shared/papers (skipped when absent, failed under
P2C_REQUIRE_SHARED=1).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import tomllib

from agent.repo import GitRepo
from tests.conftest import EXAMPLES, require_shared

# name -> (path parts under ../shared/papers, strings model.py must contain)
PAPERS = {
    "transformer": (("transformer",), ["class MultiHeadAttention", "class SinusoidalPositionalEncoding",
                                        "class PostNormEncoderBlock", "class PostNormDecoderBlock",
                                        "F.relu", "class Seq2SeqTransformer"]),
    "vit": (("vit", "paper.pdf"), ["class PatchEmbedding", "self.cls_token", "class VisionTransformer"]),
    "dyt": (("rcb", "DyT", "paper.tex"), ["class DyT", "torch.tanh(self.alpha * x)", "self.norm1 = DyT("]),
    "diff_transformer": (("rcb", "Diff-Transformer", "paper.tex"), ["class DifferentialAttention",
                                                                      "self.attention = DifferentialAttention("]),
    # mixture of experts in the ffn slot: its experts are SwiGLU (no self-reference), and grad_flow knows
    # routing from unused parameters
    "deepseek_v3": (("deepseek_v3",), ["class MixtureOfExperts", "SwiGLU(d_model=d_model, d_ff=d_ff",
                                       "self.ffn = MixtureOfExperts("]),
    # an unconditional diffusion model: the synthetic images' classes are a data setting, not the model's
    "gnn_variable_comm": (("gnn_variable_comm",), ["class UNetDenoiser", "class DiffusionModel"]),
}
pytestmark = pytest.mark.slow


def _cli(*args: str, cwd: Path | None = None, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "agent", *args], capture_output=True, text=True, cwd=cwd,
                          timeout=timeout)


@pytest.fixture(scope="session")
def generated(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, subprocess.CompletedProcess[str]]]:
    """Lazily generated projects: {name: (folder, completed CLI process)}."""
    return {}


def _generate(cache: dict, tmp_path_factory: pytest.TempPathFactory, name: str) -> tuple[Path, str]:
    if name not in cache:
        paper = require_shared(*PAPERS[name][0])
        out = tmp_path_factory.mktemp("generate") / name
        cache[name] = (out, _cli("generate", str(paper), "--out", str(out), "--device", "cpu"))
    out, result = cache[name]
    assert result.returncode == 0, f"exit {result.returncode}\n{result.stderr[-4000:]}"
    return out, result.stderr


def _package(out: Path) -> Path:
    return out / tomllib.loads((out / "paper2code.toml").read_text())["project"]["name"]


def _own_tests(out: Path) -> None:
    result = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-x"], cwd=out,
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]


def test_transformer_end_to_end(generated: dict, tmp_path_factory: pytest.TempPathFactory) -> None:
    out, stderr = _generate(generated, tmp_path_factory, "transformer")
    for stage in ("ingest", "plan", "draft", "validate", "commit"):
        assert f"✓ {stage}" in stderr, stderr
    report = json.loads((out / "validation.json").read_text())
    assert report["passed"] and any(c["name"] == "smoke_train" and c["status"] == "pass" for c in report["checks"])
    model = (_package(out) / "model.py").read_text()
    for text in PAPERS["transformer"][1]:
        assert text in model, text
    module = (_package(out) / "module.py").read_text()
    assert "label_smoothed_cross_entropy" in module and "transformer_lr" in module and "torch.optim.Adam" in module
    config = (out / "config.yaml").read_text()
    for line in ("d_model: 512  # source: paper", "num_layers: 6  # source: paper", "num_heads: 8  # source: paper",
                 "d_ff: 2048  # source: paper", "dropout: 0.1  # source: paper",
                 "label_smoothing: 0.1  # source: paper",
                 "adam_beta1: 0.9  # source: paper", "adam_beta2: 0.98  # source: paper",
                 "adam_eps: 1e-09  # source: paper", "warmup_steps: 4000  # source: paper",
                 'optimizer: "adam"  # source: paper'):
        assert line in config, line
    repo = GitRepo(out, create=False)
    log = repo.log()
    assert len(log) == 1 and log[0].ours and log[0].summary.startswith("Generate attention_is_all_you_need")
    assert "validation passed" in repo.repo.head.commit.message
    assert not repo.is_dirty()


def test_transformer_own_tests_pass(generated: dict, tmp_path_factory: pytest.TempPathFactory) -> None:
    out, _ = _generate(generated, tmp_path_factory, "transformer")
    _own_tests(out)


def test_transformer_trains_with_lightning_cli(generated: dict, tmp_path_factory: pytest.TempPathFactory,
                                               tmp_path: Path) -> None:
    """train.py reads config.yaml by default; overrides shrink the model so the run takes seconds."""
    out, _ = _generate(generated, tmp_path_factory, "transformer")
    command = [sys.executable, "train.py", "fit", "--trainer.max_steps", "3", "--trainer.limit_val_batches", "1",
               "--trainer.default_root_dir", str(tmp_path), "--trainer.enable_progress_bar", "false",
               "--model.d_model", "32", "--model.d_ff", "64", "--model.num_layers", "1", "--model.vocab_size", "16",
               "--data.num_batches", "4"]
    result = subprocess.run(command, cwd=out, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-4000:]
    assert "max_steps=3" in result.stderr or (tmp_path / "lightning_logs").is_dir()
    printed = subprocess.run([sys.executable, "train.py", "fit", "--print_config"], cwd=out, capture_output=True,
                             text=True, timeout=300)
    assert printed.returncode == 0, printed.stderr[-3000:]
    assert "warmup_steps: 4000" in printed.stdout and "vocab_size: 37000" in printed.stdout


@pytest.mark.parametrize("name", ["vit", "dyt", "diff_transformer", "deepseek_v3", "gnn_variable_comm"])
def test_acceptance_paper_validates(name: str, generated: dict, tmp_path_factory: pytest.TempPathFactory) -> None:
    out, _ = _generate(generated, tmp_path_factory, name)
    report = json.loads((out / "validation.json").read_text())
    assert report["passed"], [c for c in report["checks"] if c["status"] not in ("pass", "skip")]
    model = (_package(out) / "model.py").read_text()
    for text in PAPERS[name][1]:
        assert text in model, text
    _own_tests(out)


def test_vit_base_hyperparameters(generated: dict, tmp_path_factory: pytest.TempPathFactory) -> None:
    out, _ = _generate(generated, tmp_path_factory, "vit")
    config = (out / "config.yaml").read_text()
    for line in ("d_model: 768  # source: paper", "num_layers: 12  # source: paper", "num_heads: 12  # source: paper",
                 "d_ff: 3072  # source: paper", "patch_size: 16  # source: paper"):
        assert line in config, line


def test_bad_llm_spec_is_bad_input(tmp_path: Path) -> None:
    result = _cli("generate", str(EXAMPLES / "tiny_lm"), "--out", str(tmp_path / "x"), "--llm", "bogus")
    assert result.returncode == 2
    assert "not a provider spec" in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "x").exists()


def test_missing_paper_is_bad_input(tmp_path: Path) -> None:
    result = _cli("generate", str(tmp_path / "nope.pdf"), "--out", str(tmp_path / "x"))
    assert result.returncode == 2 and "no such file" in result.stderr and "Traceback" not in result.stderr


def test_refuses_a_folder_it_did_not_create(tmp_path: Path) -> None:
    out = tmp_path / "mine"
    out.mkdir()
    (out / "notes.txt").write_text("my work\n")
    result = _cli("generate", str(EXAMPLES / "tiny_lm"), "--out", str(out))
    assert result.returncode == 2 and "--force" in result.stderr, result.stderr
    assert sorted(p.name for p in out.iterdir()) == ["notes.txt"]
