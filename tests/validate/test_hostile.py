"""Hostile code: every attack is contained and reported, the host is unharmed, validate returns.

One validation run serves all hostile modules (tests/fixtures/validate/hostile) with short limits.
"""

from __future__ import annotations

import json
import os
import shutil
import socketserver
import threading
import time
import uuid
from pathlib import Path

import pytest

from agent.types import ValidateOptions
from agent.validate import validate_project
from agent.validate.cgroup import SandboxCgroup
from agent.validate.sandbox import namespace_flags
from tests.validate.conftest import by_target
from tests.validate.mutants import FIXTURES

SECRET = f"sk-ant-test-{uuid.uuid4().hex}"
TOKEN = f"ghp_{uuid.uuid4().hex}"


class _Recorder(socketserver.BaseRequestHandler):
    hits: list[bytes] = []

    def handle(self) -> None:
        _Recorder.hits.append(self.request.recv(1024))


def _pids_cgroup_available() -> bool:
    group = SandboxCgroup.create(8, 64 * 1024 * 1024)
    try:
        return group.pids
    finally:
        group.remove()


def _marker_processes(marker: str) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and entry.name != str(os.getpid()):
            try:
                if marker.encode() in (entry / "cmdline").read_bytes():
                    found.append(int(entry.name))
            except OSError:
                pass
    return found


def _children() -> list[int]:
    me = str(os.getpid())
    kids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                status = (entry / "status").read_text()
            except OSError:
                continue
            if f"\nPPid:\t{me}\n" in status:
                kids.append(int(entry.name))
    return kids


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory):
    if not namespace_flags()[0]:
        pytest.skip("no namespaces here (unshare unavailable): the hostile suite needs the full sandbox")
    server = socketserver.TCPServer(("127.0.0.1", 0), _Recorder)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    port = server.server_address[1]
    root = tmp_path_factory.mktemp("hostile") / "project"
    shutil.copytree(FIXTURES / "hostile", root)
    marker = f"p2c-daemon-{uuid.uuid4().hex[:12]}"
    outside = Path("/tmp") / f"p2c-hostile-{uuid.uuid4().hex[:12]}"
    text = (root / "paper2code.toml").read_text()
    text = text.replace("port = 9", f"port = {port}").replace("p2c-daemon-marker", marker)
    text = text.replace("/tmp/p2c-hostile-write", str(outside))
    fork_bomb = _pids_cgroup_available()
    if not fork_bomb:  # without a pids cgroup a fork bomb would hurt the machine until the timeout
        start = text.index('[[module]]\nname = "fork_bomb"')
        text = text[:start] + text[text.index("[[module]]", start + 10):]
    (root / "paper2code.toml").write_text(text)
    old = {k: os.environ.get(k) for k in ("ANTHROPIC_API_KEY", "GITHUB_TOKEN", "OPENAI_API_KEY")}
    os.environ.update(ANTHROPIC_API_KEY=SECRET, GITHUB_TOKEN=TOKEN, OPENAI_API_KEY=SECRET)
    started = time.perf_counter()
    try:
        report = validate_project(root, checks=["static", "shapes"], options=ValidateOptions(
            timeout_s=3, memory_mb=1024, max_pids=64, output_cap_bytes=1 << 20))
    finally:
        for key, value in old.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        server.shutdown()
        server.server_close()
    wall = time.perf_counter() - started
    yield {"report": report, "results": by_target(report), "wall": wall, "marker": marker, "outside": outside,
           "fork_bomb": fork_bomb}
    if outside.exists():
        outside.unlink()


def test_validate_returns_a_report_quickly(hostile) -> None:
    report = hostile["report"]
    assert report.passed is False
    assert hostile["wall"] < 120
    sandbox = report.environment["sandbox"]
    assert sandbox["network_isolated"] and sandbox["pid_namespace"] and sandbox["readonly_filesystem"]
    assert report.environment["network_isolated"] is True


def test_static_scan_flags_the_attacks(hostile) -> None:
    static = hostile["results"]["hostile"]["static"]
    assert static.status == "fail"
    assert "import socket" in static.detail and "os.fork()" in static.detail


@pytest.mark.parametrize("name", ["infinite_loop", "sleep_forever"])
def test_endless_forward_times_out(hostile, name: str) -> None:
    shapes = hostile["results"][name]["shapes"]
    assert shapes.status == "timeout" and "3s" in shapes.detail
    assert shapes.seconds < 15


def test_sleep_at_import_times_out_and_skips_the_rest(hostile) -> None:
    results = hostile["results"]["sleep_on_import"]
    assert results["import"].status == "timeout"
    assert results["shapes"].status == "skip"


def test_memory_bomb_is_killed_at_the_limit(hostile) -> None:
    shapes = hostile["results"]["memory_bomb"]["shapes"]
    assert shapes.status == "error"
    assert "memory" in shapes.detail.lower()


def test_fork_bomb_is_contained(hostile) -> None:
    if not hostile["fork_bomb"]:
        pytest.skip("no pids cgroup on this machine: the fork bomb was not run")
    shapes = hostile["results"]["fork_bomb"]["shapes"]
    assert shapes.status == "timeout"
    assert hostile["report"].environment["sandbox"]["cgroup_pids"] is True


def test_results_cannot_be_forged_through_the_workers_pipes(hostile) -> None:
    shapes = hostile["results"]["forge_result"]["shapes"]
    assert shapes.status == "fail" and "Permission denied" in shapes.detail, shapes.detail
    assert "written" not in shapes.detail
    assert all(r.detail != "forged" for r in hostile["report"].checks)


def test_a_crash_is_reported_and_the_run_goes_on(hostile) -> None:
    shapes = hostile["results"]["segfault"]["shapes"]
    assert shapes.status == "error" and "SIGSEGV" in shapes.detail
    assert hostile["results"]["sleep_on_import"]["import"].status == "timeout"  # the next module still ran


def test_output_flood_is_capped(hostile) -> None:
    shapes = hostile["results"]["output_flood"]["shapes"]
    assert shapes.status == "error" and "output flood" in shapes.detail
    assert len(shapes.detail) < 8000


def test_no_network_to_the_host(hostile) -> None:
    shapes = hostile["results"]["phone_home"]["shapes"]
    assert shapes.status == "fail"
    assert "Connection refused" in shapes.detail or "unreachable" in shapes.detail
    assert _Recorder.hits == []


def test_secrets_never_reach_the_sandbox(hostile) -> None:
    shapes = hostile["results"]["steal_secrets"]["shapes"]
    assert shapes.status == "fail" and "environment secrets: {}" in shapes.detail
    dumped = json.dumps(hostile["report"].to_dict())
    assert SECRET not in dumped and TOKEN not in dumped


def test_writes_outside_the_scratch_copy_fail(hostile) -> None:
    shapes = hostile["results"]["write_outside"]["shapes"]
    assert shapes.status == "fail" and "Read-only file system" in shapes.detail
    assert not hostile["outside"].exists()


def test_a_lingering_child_does_not_stall_the_check(hostile) -> None:
    shapes = hostile["results"]["lingering_child"]["shapes"]
    assert shapes.status == "pass" and shapes.seconds < 3, shapes.detail


def test_the_host_is_left_clean(hostile) -> None:
    assert hostile["results"]["daemon"]["shapes"].status == "pass"
    assert _marker_processes(hostile["marker"]) == []  # the double-forked daemon died with its check
    assert _children() == []  # every sandbox process was reaped
    cgroups = Path("/sys/fs/cgroup/pids")
    if cgroups.is_dir():
        assert not list(cgroups.rglob(f"p2c-validate-{os.getpid()}-*"))
    assert hostile["report"].environment["worker_starts"] == 1  # timeouts did not cost a restart


@pytest.mark.slow
def test_cpu_time_limit(tmp_path: Path) -> None:
    """A busy loop hits RLIMIT_CPU (here 5 CPU-seconds) long before its generous wall limit."""
    if not namespace_flags()[0]:
        pytest.skip("no namespaces here")
    root = tmp_path / "project"
    shutil.copytree(FIXTURES / "hostile" / "evil", root / "evil")
    (root / "paper2code.toml").write_text(
        '[project]\nname = "cpu"\n\n[[module]]\nname = "spin"\ntarget = "evil.model:InfiniteLoop"\n'
        'inputs = { x = "b d" }\ndims = { d = 4 }\n')
    report = validate_project(root, checks=["shapes"], options=ValidateOptions(timeout_s=120, cpu_factor=0.0))
    shapes = by_target(report)["spin"]["shapes"]
    assert shapes.status == "timeout" and "CPU-time limit" in shapes.detail, shapes.detail
