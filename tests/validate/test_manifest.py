"""Manifest parsing: the fixtures load; every mistake is a ManifestError naming the key."""

from __future__ import annotations

from pathlib import Path

import pytest

from agent.errors import ManifestError
from agent.validate.manifest import load_manifest

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "validate"

BASE = """
[project]
name = "demo"

[[module]]
name = "attention"
target = "pkg.model:Attention"
init = { d_model = 16 }
inputs = { x = "b n d" }
dims = { d = 16 }
output = "b n d"
properties = ["batch_independent", "causal"]
"""


def write(tmp_path: Path, text: str) -> Path:
    (tmp_path / "paper2code.toml").write_text(text)
    return tmp_path


def test_fixture_manifests_load() -> None:
    block = load_manifest(FIXTURES / "block")
    assert [m.name for m in block.modules] == ["block", "lm"]
    lm = block.modules[1]
    assert lm.inputs[0].dtype == "long" and lm.inputs[0].high == 16
    assert lm.max_dims == {"n": 32} and lm.seq_dim == "n"
    assert block.training is not None and block.training.max_steps == 60 and block.training.loss_drop == 0.5
    attention = load_manifest(FIXTURES / "attention" / "paper2code.toml")
    assert attention.modules[0].reference == "causal_mha.ref:attention"


def test_catalog_style_keys_and_llm_section(tmp_path: Path) -> None:
    text = BASE + 'integer_inputs = { x = 100 }\nmethod = "encode"\n' \
        'modules = { position = { target = "pkg.pos:Rotary", init = { head_dim = 8 } } }\n' \
        '\n[llm]\nmodel = "claude-sonnet-4-6"\n\n[validate]\nchecks = ["compile"]\ntimeout = 30\n'
    manifest = load_manifest(write(tmp_path, text))
    module = manifest.modules[0]
    assert module.inputs[0].dtype == "long" and module.inputs[0].high == 100
    assert module.method == "encode"
    assert module.submodules[0].arg == "position" and module.submodules[0].init == {"head_dim": 8}
    assert manifest.extra_checks == ["compile"] and manifest.timeout_s == 30.0


@pytest.mark.parametrize(
    ("change", "fragment"),
    [
        (lambda t: t.replace('target = "pkg.model:Attention"', 'target = "pkg.model.Attention"'), "'target'"),
        (lambda t: t.replace('inputs = { x = "b n d" }', 'inpts = { x = "b n d" }'), "'inpts'"),
        (lambda t: t.replace('output = "b n d"', 'output = "b n c"'), "axis 'c'"),
        (lambda t: t.replace('inputs = { x = "b n d" }', 'inputs = { x = "b (n d" }'), "'inputs.x'"),
        (lambda t: t.replace('"causal"]', '"causual"]'), "'causual'"),
        (lambda t: t.replace('dims = { d = 16 }', 'dims = { d = 0 }'), "'dims'"),
        (lambda t: t.replace('dims = { d = 16 }', 'dims = { d = 16, n = 4 }'), "to vary"),
        (lambda t: t.replace('name = "demo"', 'title = "demo"'), "[project] name"),
        (lambda t: t + "\n[training]\nmodule = \"pkg.m:Lit\"\n", "'datamodule'"),
        (lambda t: t + '\n[training]\nmodule = "pkg.m:Lit"\ndatamodule = "pkg.d:D"\nloss_drop = 1.5\n', "'loss_drop'"),
        (lambda t: t + "\n[validate]\nchecks = [\"speed\"]\n", "'speed'"),
        (lambda t: t + "\n[surprise]\nx = 1\n", "'surprise'"),
        (lambda t: t + "\n[[module]]\nname = \"attention\"\ntarget = \"a.b:C\"\ninputs = { x = \"b\" }\n", "twice"),
    ],
)
def test_errors_name_the_key(tmp_path: Path, change, fragment: str) -> None:
    with pytest.raises(ManifestError) as info:
        load_manifest(write(tmp_path, change(BASE)))
    message = str(info.value)
    assert fragment in message, message
    assert "\n" not in message


def test_missing_and_malformed_files(tmp_path: Path) -> None:
    with pytest.raises(ManifestError, match="no paper2code.toml"):
        load_manifest(tmp_path)
    with pytest.raises(ManifestError, match="not valid TOML"):
        load_manifest(write(tmp_path, "[project\nname = 1"))
    with pytest.raises(ManifestError, match="nothing to validate"):
        load_manifest(write(tmp_path, '[project]\nname = "x"\n'))


def test_causal_needs_a_sequence_axis(tmp_path: Path) -> None:
    text = BASE.replace('inputs = { x = "b n d" }', 'inputs = { x = "b d" }')
    text = text.replace('output = "b n d"', 'output = "b d"')
    with pytest.raises(ManifestError, match="seq_dim"):
        load_manifest(write(tmp_path, text))
