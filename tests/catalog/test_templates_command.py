"""``paper2code templates list|show`` through the real command line."""

from __future__ import annotations

import json
import subprocess
import sys

from agent.catalog import all_components
from agent.cli import main


def test_list_json_names_every_component(capsys):
    assert main(["templates", "list", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [r["name"] for r in rows] == [c.name for c in all_components()]
    assert {"name", "family", "slot", "summary"} <= set(rows[0])


def test_list_table_and_filters(capsys):
    assert main(["templates"]) == 0
    out = capsys.readouterr().out
    assert "component catalog" in out and "rms_norm" in out
    assert main(["templates", "list", "--family", "loss", "--json"]) == 0
    assert {r["family"] for r in json.loads(capsys.readouterr().out)} == {"loss"}
    assert main(["templates", "list", "--slot", "lr_schedule", "--json"]) == 0
    assert {r["name"] for r in json.loads(capsys.readouterr().out)} == {"inverse_sqrt_warmup", "warmup_cosine"}


def test_show_renders_defaults_and_params(capsys):
    assert main(["templates", "show", "rms_norm"]) == 0
    out = capsys.readouterr().out
    assert "torch.nn.RMSNorm" in out and "class RMSNorm(nn.Module):" in out
    assert main(["templates", "show", "multi_head_attention", "--json", "--param", "d_model=64",
                 "--param", "position=rotary_position"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["name"] == "multi_head_attention" and data["reference"]["kind"] == "builtin"
    assert "d_model: int = 64" in data["source"] and "RotaryEmbedding(head_dim" in data["source"]


def test_bad_input_exits_2_with_one_line():
    for args, message in (
        (["templates", "show", "multihead_attention"], "did you mean multi_head_attention"),
        (["templates", "show", "rms_norm", "--param", "eps"], "KEY=VALUE"),
        (["templates", "show", "rms_norm", "--param", "epsilon=1"], "unknown parameter"),
        (["templates", "list", "--family", "optimizers"], "unknown family"),
    ):
        result = subprocess.run([sys.executable, "-m", "agent", *args], capture_output=True, text=True)
        assert result.returncode == 2, (args, result.stderr)
        assert message in result.stderr and "Traceback" not in result.stderr
        assert len(result.stderr.strip().splitlines()) == 1
