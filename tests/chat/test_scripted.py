"""The acceptance session, scripted through stdin: /set commits, /diff shows the change, /undo restores the
paper's value, /swap norm=rmsnorm gives an implementation using RMSNorm that /validate proves.

Changes run the static check only (``--checks static``) and one /validate runs the executed checks in the
sandbox: each sandboxed validation costs seconds, and the suite's time budget is small."""

from __future__ import annotations

import json

from tests.chat.helpers import clean, config_value, no_traceback, run_chat, subjects

SCRIPT = """/set d_model=64
/diff
/undo
/swap norm=rmsnorm
/validate shapes
/history
/quit
/set d_model=8
"""


def test_set_validate_diff_undo_swap(project):
    assert config_value(project, "model", "d_model") == "512"
    done = run_chat(project, SCRIPT, "--checks", "static")
    no_traceback(done.stdout, done.stderr)
    assert done.returncode == 0, done.stdout + done.stderr
    out = done.stdout

    # /set: config changed and committed (then undone); the commit is ours and names the request
    set_part = out.split("p2c> /set d_model=64", 1)[1].split("p2c> /diff", 1)[0]
    assert "d_model: 512 -> 64" in set_part
    assert "validation passed: 1/1 checks pass (static)" in set_part and "committed" in set_part
    # /diff shows the change of config.yaml
    diff_part = out.split("p2c> /diff", 1)[1].split("p2c> /undo", 1)[0]
    assert "-  d_model: 512" in diff_part and "+  d_model: 64" in diff_part
    # /undo restored the paper's value
    assert "undid" in out.split("p2c> /undo", 1)[1].split("p2c> /swap", 1)[0]
    assert config_value(project, "model", "d_model") == "512"

    # /swap norm=rmsnorm: re-rendered from the catalog, validated with the quick checks, committed
    swap_part = out.split("p2c> /swap norm=rmsnorm", 1)[1].split("p2c> /validate", 1)[0]
    assert "norm: layer_norm -> rms_norm" in swap_part and "committed" in swap_part
    # /validate: every module imports and keeps its shapes (RMSNorm among them)
    validate_part = out.split("p2c> /validate shapes", 1)[1].split("p2c> /history", 1)[0]
    assert "validation passed" in validate_part and "(shapes)" in validate_part
    assert "rms_norm" in validate_part and "layer_norm" not in validate_part
    model = next(project.glob("*/model.py")).read_text(encoding="utf-8")
    assert "class RMSNorm(nn.Module)" in model and "class LayerNorm(" not in model
    plan = json.loads((project / "plan.json").read_text(encoding="utf-8"))
    assert {c["slot"]: c["component"] for c in plan["components"]}["norm"] == "rms_norm"
    manifest = (project / "paper2code.toml").read_text(encoding="utf-8")
    assert "model:RMSNorm" in manifest and "model:LayerNorm" not in manifest
    # validation.json was rewritten for the swapped code and committed with it: it names the checks that ran
    validation = json.loads((project / "validation.json").read_text(encoding="utf-8"))
    assert validation["passed"] is True and {c["name"] for c in validation["checks"]} == {"static"}

    # history: generation, then only the swap (the /set was undone); nothing after /quit ran
    assert subjects(project) == ["chat: /swap norm: layer_norm to rms_norm",
                                 "Generate attention_is_all_you_need from ms.tex (offline)"]
    assert config_value(project, "model", "d_model") == "512"
    assert clean(project)
