"""The pieces of chat, in process: offline intents, plan edits, the three-way render merge, completion,
and plan.json/paper.json read back so that rendering them again gives the files on disk."""

from __future__ import annotations

import pytest

from agent.chat.changes import parse_value, resolve_component, resolve_name, set_hyperparameters, swap_components
from agent.chat.merge import Snapshot, apply_updates, plan_updates
from agent.chat.offline_intents import interpret
from agent.chat.planio import load_paper, load_plan
from agent.errors import UserError


@pytest.fixture(scope="module")
def plan(generated_project):
    return load_plan(generated_project)


@pytest.fixture(scope="module")
def paper(generated_project):
    return load_paper(generated_project)


@pytest.mark.parametrize("text, command", [
    ("use RMSNorm instead of LayerNorm", "/swap norm=rms_norm"),
    ("Replace layer norm with RMS norm.", "/swap norm=rms_norm"),
    ("use rotary embeddings", "/swap position=rotary_position"),
    ("use pre-norm", "/swap block=pre_norm_encoder_block decoder_block=pre_norm_decoder_block"),
    ("use swiglu instead of relu", "/swap ffn=swiglu"),
    ("set the learning rate to 3e-4", "/set learning_rate=3e-4"),
    ("change d_model to 256", "/set d_model=256"),
    ("use 8 heads", "/set num_heads=8"),
    ("use a learning rate of 1e-3", "/set learning_rate=1e-3"),
    ("warmup = 2000", "/set warmup_steps=2000"),
    ("add dropout to the attention weights", "/set attention_dropout=0.1"),
    ("add 20% dropout", "/set dropout=0.2"),
    ("remove dropout", "/set dropout=0.0"),
    ("why is warmup 4000?", "/plan warmup_steps"),
    ("why layer norm?", "/plan norm"),
    ("the loss doesn't go down", "/validate smoke_train"),
    ("the loss is stuck", "/validate smoke_train"),
    ("explain equation (2)", "/explain 2"),
    ("undo that", "/undo"),
    ("what changed?", "/diff"),
    ("tell me a story about attention", None),
    ("use the force", None),
    ("make it better", None),
    ("use GQA instead of LayerNorm", None),  # different slots: not a clear request
])
def test_offline_intents(plan, text, command):
    assert interpret(text, plan) == command


def test_names_and_values(plan):
    assert resolve_name("lr", plan) == "learning_rate"
    assert resolve_name("Learning rate", plan) == "learning_rate"
    assert resolve_name("d-model", plan) == "d_model"
    with pytest.raises(UserError, match="did you mean d_model"):
        resolve_name("d_modle", plan)
    assert parse_value("3e-4") == 3e-4 and parse_value("1_000") == 1000 and parse_value("true") is True
    assert parse_value("'adamw'") == "adamw"
    assert resolve_component("RMSNorm") == "rms_norm" and resolve_component("rope") == "rotary_position"
    with pytest.raises(UserError, match="could mean"):
        resolve_component("pre_norm")


def test_set_records_the_change_and_keeps_the_paper_value(plan):
    new, lines = set_hyperparameters(plan, [("d_model", "64"), ("attention_dropout", "0.1")])
    assert lines[0] == "d_model: 512 -> 64"
    hp = new.hyperparameters["d_model"]
    assert hp.value == 64 and hp.evidence.startswith("set in chat") and hp.alternatives[0]["value"] == 512
    assert new.hyperparameters["attention_dropout"].value == 0.1
    assert plan.hyperparameters["d_model"].value == 512  # the input plan is untouched
    refused = [
        ([("d_model", "64.5")], "whole number"),
        ([("dropout", "1.5")], "plausible range"),
        ([("d_model", "512")], "already 512"),
        ([("nonsense", "1")], "unknown hyperparameter"),
        ([("d_model", "100")], "does not divide into num_heads=8"),  # the checks' tiny preset would not see it
        ([("d_model", "65"), ("num_heads", "5")], "must be even"),  # sinusoidal positions pair the features
    ]
    for pairs, message in refused:
        with pytest.raises(UserError, match=message):
            set_hyperparameters(plan, pairs)
    new, _ = set_hyperparameters(plan, [("d_model", "66"), ("num_heads", "6")])
    assert new.hyperparameters["num_heads"].value == 6


def test_swap_rewires_blocks_equations_and_defaults(plan, paper):
    new, lines = swap_components(plan, paper, [("block", "pre_norm_encoder_block"),
                                               ("decoder_block", "pre_norm_decoder_block"), ("norm", "rmsnorm")])
    slots = {c.slot: c for c in new.components}
    assert lines == ["block: post_norm_encoder_block -> pre_norm_encoder_block",
                     "decoder_block: post_norm_decoder_block -> pre_norm_decoder_block", "norm: layer_norm -> rms_norm"]
    assert slots["model"].params["norm"] == "rms_norm"  # pre-norm stacks end with a final norm
    assert slots["block"].params["norm"] == "rms_norm" and slots["decoder_block"].params["norm"] == "rms_norm"
    assert "default of rms_norm" in new.hyperparameters["norm_eps"].evidence
    with pytest.raises(UserError, match="fills the slot 'norm', not 'ffn'"):
        swap_components(plan, paper, [("ffn", "rms_norm")])
    with pytest.raises(UserError, match="already layer_norm"):
        swap_components(plan, paper, [("norm", "LayerNorm")])


def test_rendering_the_saved_plan_gives_the_files_on_disk(generated_project, plan, paper):
    from agent.draft.project import render_files

    _, files = render_files(plan, paper)
    for relative, text in files.items():
        assert (generated_project / relative).read_text(encoding="utf-8") == text, relative


def test_three_way_render_merge(tmp_path):
    base = {"a.py": "x = 1\ny = 2\nz = 3\n", "b.py": "b = 1\n", "c.py": "c = 1\n", "old.py": "o = 1\n"}
    new = {"a.py": "x = 1\ny = 20\nz = 3\n", "b.py": "b = 2\n", "c.py": "c = 1\n", "new.py": "n = 1\n"}
    disk = {"a.py": "# mine\nx = 1\ny = 2\nz = 3\n", "b.py": "b = 1\n", "c.py": "c = 100\n", "old.py": "o = 1\n"}
    for name, text in disk.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    updates = plan_updates(tmp_path, base, new)
    assert updates == {"a.py": "# mine\nx = 1\ny = 20\nz = 3\n", "b.py": "b = 2\n", "new.py": "n = 1\n",
                       "old.py": None}  # c.py: edited by hand, untouched by the change, kept
    snapshot = Snapshot(tmp_path)
    apply_updates(tmp_path, updates, snapshot)
    assert not (tmp_path / "old.py").exists() and (tmp_path / "new.py").is_file()
    assert snapshot.changed() == ["a.py", "b.py", "new.py", "old.py"]
    snapshot.restore()
    assert {p.name: p.read_text(encoding="utf-8") for p in tmp_path.iterdir()} == disk
    (tmp_path / "a.py").write_text("x = 1\ny = 5\nz = 3\n", encoding="utf-8")
    with pytest.raises(UserError, match="conflicts with edits made since generation in a.py"):
        plan_updates(tmp_path, base, new)
    assert (tmp_path / "b.py").read_text(encoding="utf-8") == "b = 1\n"  # nothing written


def test_completion(project):
    from agent.chat.repl import completions
    from agent.chat.session import ChatSession

    session = ChatSession(project)
    assert completions(session, "/sw") == ["/swap"]
    assert completions(session, "/swap no") == ["norm="]
    assert completions(session, "/swap norm=r") == ["norm=rms_norm"]
    assert completions(session, "/set d_mod") == ["d_model="]
    assert completions(session, "/show conf") == ["config.yaml"]
    assert completions(session, "/validate sha") == ["shapes"]
    assert completions(session, "/explain ") == ["1", "2", "3"]
    assert completions(session, "free text") == []


def test_plain_reader_joins_continued_lines_and_ends_at_eof(project):
    import io

    from rich.console import Console

    from agent.chat.repl import PlainReader
    from agent.chat.session import ChatSession

    console = Console(file=io.StringIO(), width=120)
    session = ChatSession(project, console=console)
    reader = PlainReader(session, io.StringIO("use rotary \\\nembeddings\n\n/quit\n"))
    assert reader.read() == "use rotary \nembeddings"
    assert reader.read() == ""
    assert reader.read() == "/quit"
    assert reader.read() is None
    assert "p2c> use rotary \n... embeddings" in console.file.getvalue()
