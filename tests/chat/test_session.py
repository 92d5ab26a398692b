"""The chat command's edges: bad folders and options (exit 2, one line), the transcript a later chat resumes,
free text offline (a clear request runs its command; anything else gets the list of what works offline)."""

from __future__ import annotations

import json
import shutil

from tests.chat.helpers import clean, config_value, git, no_traceback, run_chat, subjects


def test_bad_folder_and_options_exit_2_with_one_line(project, tmp_path):
    for folder, args, expected in [
        (tmp_path / "missing", [], "no such folder"),
        (tmp_path, [], "no paper2code.toml"),
        (project, ["--llm", "nonsense"], "not a provider spec"),
        (project, ["--checks", "shapes,bogus"], "unknown check 'bogus'"),
        (project, ["--llm", "anthropic"], "ANTHROPIC_API_KEY is not set"),
    ]:
        done = run_chat(folder, "/quit\n", *args)
        assert done.returncode == 2, (args, done.stdout, done.stderr)
        assert expected in done.stderr and len(done.stderr.strip().splitlines()) == 1
        assert "Traceback" not in done.stderr
    bare = tmp_path / "bare"
    shutil.copytree(project, bare)
    (bare / "plan.json").unlink()
    done = run_chat(bare, "/quit\n")
    assert done.returncode == 2 and "not a generated folder (no plan.json)" in done.stderr
    (bare / "plan.json").write_text("{not json", encoding="utf-8")
    done = run_chat(bare, "/quit\n")
    assert done.returncode == 2 and "plan.json: cannot read" in done.stderr


def test_transcript_is_kept_and_resumed(project):
    first = run_chat(project, "/set num_heads=4\n/plan num_heads\n", "--checks", "static")
    no_traceback(first.stdout, first.stderr)
    assert first.returncode == 0 and "resuming" not in first.stdout
    path = project / ".paper2code" / "chat.jsonl"
    entries = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    assert [(e["role"], e["text"][:16]) for e in entries] == [
        ("user", "/set num_heads=4"), ("assistant", "committed: num_h"), ("user", "/plan num_heads"),
        ("assistant", "num_heads = 4 (a")]
    assert entries[1]["commit"] == git(project, "rev-parse", "HEAD").strip() and entries[1]["kind"] == "command"
    second = run_chat(project, "/history\n")
    assert "resuming: 2 earlier turn(s) in this folder, the last: '/plan num_heads'" in second.stdout
    assert len(path.read_text(encoding="utf-8").splitlines()) == 6
    assert clean(project)  # the transcript is private: never committed, never dirty


def test_free_text_offline(project):
    script = ("set the dropout to 0.2\n"
              "set the learning rate to 1e-3\n"
              "why is warmup 4000?\n"
              "tell me a story about attention\n"
              "use RMSNorm instead of LayerNorm\n")
    done = run_chat(project, script, "--checks", "static")
    no_traceback(done.stdout, done.stderr)
    assert done.returncode == 0
    out = done.stdout
    assert "→ /set dropout=0.2" in out and config_value(project, "model", "dropout") == "0.2"
    # the schedule gives this paper's learning rate: the value is recorded, and chat says why config.yaml differs
    assert "→ /set learning_rate=1e-3" in out
    assert "note: config.yaml keeps learning_rate: 1.0 (assumed: the schedule gives the learning rate itself" in out
    assert "→ /plan warmup_steps" in out and "warmup_steps = 4000  (source: paper)" in out
    assert "We used $warmup\\_steps=4000$." in out  # the paper's own sentence
    story = out.split("p2c> tell me a story about attention", 1)[1].split("p2c>", 1)[0]
    assert "offline, free text works only when it clearly maps to a command" in story
    assert "'use RMSNorm instead of LayerNorm'" in story and "--llm anthropic" in story
    assert "→ /swap norm=rms_norm" in out
    assert subjects(project)[:3] == ["chat: /swap norm: layer_norm to rms_norm", "chat: /set learning_rate=1e-3",
                                     "chat: /set dropout=0.2"]
