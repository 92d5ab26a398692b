"""The acceptance session, scripted through stdin: /set commits, /validate runs, /diff shows the change,
/undo restores the paper's value, /swap norm=rmsnorm gives a validated implementation using RMSNorm."""

from __future__ import annotations

import json

from tests.chat.helpers import clean, config_value, no_traceback, run_chat, subjects

SCRIPT = """/set d_model=64
/validate static,import
/diff
/undo
/swap norm=rmsnorm
/history
/quit
/set d_model=8
"""


def test_set_validate_diff_undo_swap(project):
    assert config_value(project, "model", "d_model") == "512"
    done = run_chat(project, SCRIPT)
    no_traceback(done.stdout, done.stderr)
    assert done.returncode == 0, done.stdout + done.stderr
    out = done.stdout

    # /set: config changed and committed (then undone); the commit is ours and names the request
    set_part = out.split("p2c> /set d_model=64", 1)[1].split("p2c> /validate", 1)[0]
    assert "d_model: 512 -> 64" in set_part
    assert "validation passed" in set_part and "committed" in set_part
    # /validate ran the two checks on every module
    validate_part = out.split("p2c> /validate static,import", 1)[1].split("p2c> /diff", 1)[0]
    assert "validation passed" in validate_part and "(static, import)" in validate_part
    # /diff shows the change of config.yaml
    diff_part = out.split("p2c> /diff", 1)[1].split("p2c> /undo", 1)[0]
    assert "-  d_model: 512" in diff_part and "+  d_model: 64" in diff_part
    # /undo restored the paper's value
    assert "undid" in out.split("p2c> /undo", 1)[1].split("p2c> /swap", 1)[0]
    assert config_value(project, "model", "d_model") == "512"

    # /swap norm=rmsnorm: re-rendered from the catalog, validated with the quick checks, committed
    swap_part = out.split("p2c> /swap norm=rmsnorm", 1)[1].split("p2c> /history", 1)[0]
    assert "norm: layer_norm -> rms_norm" in swap_part
    assert "validation passed" in swap_part and "(static, import, shapes)" in swap_part
    model = next(project.glob("*/model.py")).read_text(encoding="utf-8")
    assert "class RMSNorm(nn.Module)" in model and "class LayerNorm(" not in model
    plan = json.loads((project / "plan.json").read_text(encoding="utf-8"))
    assert {c["slot"]: c["component"] for c in plan["components"]}["norm"] == "rms_norm"
    manifest = (project / "paper2code.toml").read_text(encoding="utf-8")
    assert "model:RMSNorm" in manifest and "model:LayerNorm" not in manifest

    # history: generation, then only the swap (the /set was undone); nothing after /quit ran
    assert subjects(project) == ["chat: /swap norm: layer_norm to rms_norm",
                                 "Generate attention_is_all_you_need from ms.tex (offline)"]
    assert config_value(project, "model", "d_model") == "512"
    assert clean(project)
