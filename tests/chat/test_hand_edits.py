"""Edits made by hand: committed separately before paper2code's change, merged into the re-rendered files,
a conflict refused with nothing changed, and a change that fails validation rolled back with its diff kept."""

from __future__ import annotations

from tests.chat.helpers import clean, config_value, git, no_traceback, run_chat, subjects

HAND = "Hand edits (committed before paper2code's next change)"


def _model(project):
    return next(project.glob("*/model.py"))


def test_hand_edit_merged_into_change(project):
    model = _model(project)
    text = model.read_text(encoding="utf-8")
    edited = text.replace('    """Multi-head', '    """My reading: multi-head', 1) + "\n\n# the user's own helper\n"
    assert edited != text
    model.write_text(edited, encoding="utf-8")
    done = run_chat(project, "/set d_model=64\n", "--checks", "static")
    no_traceback(done.stdout, done.stderr)
    assert done.returncode == 0
    assert "committed your edits separately" in done.stdout
    assert subjects(project)[:2] == ["chat: /set d_model=64", HAND]
    merged = model.read_text(encoding="utf-8")
    assert "My reading: multi-head" in merged and "# the user's own helper" in merged
    assert "d_model: int = 64" in merged and "d_model: int = 512" not in merged
    assert config_value(project, "model", "d_model") == "64"
    # the hand-edit commit holds only the user's lines; ours holds only the change
    assert "d_model" not in git(project, "show", "HEAD~1", "--format=", "--", model.relative_to(project).as_posix())
    assert clean(project)


def test_conflicting_hand_edit_refuses_the_change(project):
    config = project / "config.yaml"
    config.write_text(config.read_text(encoding="utf-8").replace("  d_model: 512", "  d_model: 256", 1),
                      encoding="utf-8")
    done = run_chat(project, "/set d_model=64\n/show config.yaml\n", "--checks", "static")
    no_traceback(done.stdout, done.stderr)
    assert done.returncode == 0
    assert "conflicts with edits made since generation in config.yaml" in done.stdout
    assert subjects(project)[0] == HAND  # the user's work is safe in git; nothing of ours was committed
    assert config_value(project, "model", "d_model") == "256"
    assert "d_model: int = 512" in _model(project).read_text(encoding="utf-8")
    assert clean(project)


def test_failed_validation_rolls_back_and_keeps_the_diff(project):
    data = next(project.glob("*/data.py"))
    data.write_text(data.read_text(encoding="utf-8") + "\ndef broken(:\n", encoding="utf-8")
    done = run_chat(project, "/set d_model=64\n/history\n", "--checks", "static")
    no_traceback(done.stdout, done.stderr)
    assert done.returncode == 0
    assert "validation FAILED" in done.stdout and "syntax error" in done.stdout
    assert "rolled back" in done.stdout
    assert subjects(project)[0] == HAND
    assert config_value(project, "model", "d_model") == "512"
    kept = (project / ".paper2code" / "rejected" / "001.diff").read_text(encoding="utf-8")
    assert "+  d_model: 64" in kept
    assert clean(project)


def test_files_only_paper2code_wrote_take_the_new_rendering(project):
    """A file nobody edited follows the new rendering even where another paper2code version rendered it
    differently (here: a line beside the change, reworded inside the generation commit)."""
    model = _model(project)
    lines = model.read_text(encoding="utf-8").splitlines(keepends=True)
    at = next(i for i, line in enumerate(lines) if "LayerNorm" in line)
    lines[at - 1] = lines[at - 1].rstrip("\n") + "  # rendered differently\n"
    model.write_text("".join(lines), encoding="utf-8")
    message = git(project, "log", "-1", "--format=%B")
    git(project, "commit", "-q", "--amend", "--no-verify", "-a", "-m", message)
    done = run_chat(project, "/swap norm=rmsnorm\n", "--checks", "static")
    no_traceback(done.stdout, done.stderr)
    assert "committed" in done.stdout, done.stdout
    text = model.read_text(encoding="utf-8")
    assert "class RMSNorm(" in text and "# rendered differently" not in text
    assert clean(project)
