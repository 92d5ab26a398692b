"""Report renderers: JSON (versioned DESIGN.md shape), JUnit XML, the rich table."""

from __future__ import annotations

import io
import json
import xml.etree.ElementTree as ET

from rich.console import Console

from agent.types import CheckResult, ValidationReport
from agent.validate.report import render_table, to_json, to_junit

REPORT = ValidationReport(
    passed=False,
    checks=[
        CheckResult("static", "proj", "pass", "no dangerous calls found", 0.01),
        CheckResult("shapes", "attention", "fail", "output has shape (16,) but 'b n d' means (1, 1, 16) [ones]", 0.2),
        CheckResult("gradcheck", "attention", "timeout", "wall-clock limit of 3s reached\n--- output ---\nx", 3.0),
        CheckResult("causal", "attention", "skip", "not listed", 0.0),
        CheckResult("smoke_train", "training", "error", "the check process died", 1.5),
    ],
    environment={"torch": "2.x", "device": "cpu", "network_isolated": True, "worker_starts": 1, "wall_seconds": 5.0,
                 "sandbox": {"network_isolated": True, "pid_namespace": True, "problems": []}},
    profile={"attention": {"parameters": 1088}},
)


def test_json_shape() -> None:
    data = json.loads(to_json(REPORT))
    assert set(data) >= {"passed", "checks", "environment", "profile", "schema_version"}
    assert data["schema_version"] == 1 and data["passed"] is False
    assert set(data["checks"][0]) == {"name", "target", "status", "detail", "seconds"}
    assert data["profile"]["attention"]["parameters"] == 1088


def test_junit_has_one_testcase_per_check() -> None:
    root = ET.fromstring(to_junit(REPORT))
    suite = root.find("testsuite")
    assert suite.get("tests") == "5" and suite.get("failures") == "1" and suite.get("errors") == "2"
    assert suite.get("skipped") == "1"
    cases = suite.findall("testcase")
    assert [(c.get("classname"), c.get("name")) for c in cases][1] == ("paper2code.attention", "shapes")
    assert cases[1].find("failure") is not None
    assert cases[2].find("error").get("type") == "timeout"
    assert cases[3].find("skipped") is not None


def test_table_shows_status_and_detail_without_markup_errors() -> None:
    buffer = io.StringIO()
    render_table(REPORT, Console(file=buffer, width=160, color_system=None))
    text = buffer.getvalue()
    assert "FAILED" in text and "shapes" in text and "[ones]" in text and "timeout" in text
    assert "network isolated" in text
