"""benchmarks/attention_speed.py runs end to end (tiny sizes; the real figures come from running it)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "attention_speed.py"


def test_attention_speed_script_reports_a_ratio():
    args = ["--d-model", "32", "--heads", "2", "--d-ff", "64", "--batch", "2", "--seq", "8", "--reps", "3",
            "--warmup", "1", "--threads", "1", "--json"]
    result = subprocess.run([sys.executable, str(SCRIPT), *args], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["parameters"]["generated"] == data["parameters"]["torch"]  # the same layer size
    assert data["ratio_median"] > 0 and set(data["median_ms"]) == {"generated", "torch"}
