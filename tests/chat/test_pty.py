"""A chat on a pseudo-terminal (pexpect): the prompt_toolkit input with completion, hand edits kept apart
from paper2code's changes, /undo's refusals, and Ctrl-D ending the chat with exit 0."""

from __future__ import annotations

import sys

import pytest

from tests.chat.helpers import chat_env, config_value, subjects

pexpect = pytest.importorskip("pexpect")
PROMPT = "p2c>"


def test_terminal_session(project, tmp_path):
    env = chat_env({"TERM": "xterm", "PROMPT_TOOLKIT_NO_CPR": "1"})
    log = tmp_path / "pty.log"
    child = pexpect.spawn(sys.executable, ["-m", "agent", "chat", str(project), "--checks", "static"],
                          cwd=str(tmp_path), env=env, encoding="utf-8", timeout=120, dimensions=(40, 120))
    with open(log, "w", encoding="utf-8") as handle:
        child.logfile_read = handle
        child.expect(PROMPT)
        child.send("/sw\t")  # Tab completes the command (the screen shows the rest of its name) ...
        child.expect("ap")
        child.send(" norm=rms\t")  # ... and the component of the slot
        child.expect("_norm")
        child.send("\r")
        child.expect("norm: layer_norm -> rms_norm")
        child.expect("committed")
        child.expect(PROMPT)

        model_py = next(project.glob("*/model.py"))
        model_py.write_text(model_py.read_text(encoding="utf-8") + "# my own note\n", encoding="utf-8")
        child.send("/undo\r")  # a hand edit since the last commit: refused, nothing touched
        child.expect("changed by hand")
        child.expect(PROMPT)

        child.send("/set d_model=64\r")  # the hand edit is committed first, separately
        child.expect("committed your edits separately")
        child.expect("d_model: 512 -> 64")
        child.expect("committed")
        child.expect(PROMPT)
        child.send("/diff\r")
        child.expect(r"\+  d_model: 64")
        child.expect(PROMPT)
        child.send("/undo\r")
        child.expect("undid")
        child.expect(PROMPT)
        child.send("/undo\r")  # the last commit is now the user's: refused
        child.expect("was not made by paper2code")
        child.expect(PROMPT)
        child.sendeof()
        child.expect(pexpect.EOF)
        child.close()
    text = log.read_text(encoding="utf-8")
    assert child.exitstatus == 0, text[-2000:]
    assert "Traceback" not in text and "internal error" not in text
    assert subjects(project) == ["Hand edits (committed before paper2code's next change)",
                                 "chat: /swap norm: layer_norm to rms_norm",
                                 "Generate attention_is_all_you_need from ms.tex (offline)"]
    model = model_py.read_text(encoding="utf-8")
    assert "# my own note" in model and "class RMSNorm(" in model
    assert config_value(project, "model", "d_model") == "512"
