"""SEARCH/REPLACE edit blocks: parsing and applying them to real files."""

from __future__ import annotations

import pytest

from agent.draft.edits import EditBlock, EditError, apply_edits, parse_edit_blocks, replace_once
from agent.llm.prompts import render

MODEL = '''class FeedForward(nn.Module):
    def __init__(self, *, d_model: int, d_ff: int) -> None:
        super().__init__()
        self.w1 = nn.Linear(d_model, d_ff)
        self.w2 = nn.Linear(d_ff, d_model)

    def forward(self, x):
        return self.w2(torch.relu(self.w1(x)))  # eq. (2)
'''

REPLY = '''I will add dropout (§5.4).

pkg/model.py
```python
<<<<<<< SEARCH
        return self.w2(torch.relu(self.w1(x)))  # eq. (2)
=======
        return self.w2(self.dropout(torch.relu(self.w1(x))))  # eq. (2), §5.4
>>>>>>> REPLACE
```

<<<<<<< SEARCH
        self.w2 = nn.Linear(d_ff, d_model)
=======
        self.w2 = nn.Linear(d_ff, d_model)
        self.dropout = nn.Dropout(0.1)
>>>>>>> REPLACE

NOTES.md
<<<<<<< SEARCH
=======
# Notes
Dropout 0.1 (§5.4).
>>>>>>> REPLACE
'''


def project(tmp_path):
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "model.py").write_text(MODEL)
    return tmp_path


def test_parse_reply_with_fences_and_reused_path():
    blocks = parse_edit_blocks(REPLY)
    assert [b.path for b in blocks] == ["pkg/model.py", "pkg/model.py", "NOTES.md"]
    assert blocks[0].search == "        return self.w2(torch.relu(self.w1(x)))  # eq. (2)\n"
    assert blocks[2].search == "" and blocks[2].replace.startswith("# Notes")


def test_apply_exact_and_create(tmp_path):
    root = project(tmp_path)
    changed = apply_edits(root, parse_edit_blocks(REPLY))
    assert [p.name for p in changed] == ["model.py", "NOTES.md"]
    text = (root / "pkg" / "model.py").read_text()
    assert "self.dropout = nn.Dropout(0.1)" in text and "self.dropout(torch.relu" in text
    assert (root / "NOTES.md").read_text() == "# Notes\nDropout 0.1 (§5.4).\n"


def test_whitespace_tolerant_match_reindents():
    search = "def forward(self, x):   \n    return self.w2(torch.relu(self.w1(x)))  # eq. (2)\n"
    replace = "def forward(self, x):\n    h = torch.relu(self.w1(x))  # eq. (2)\n    return self.w2(h)\n"
    result = replace_once(MODEL, search, replace)
    expected = "    def forward(self, x):\n        h = torch.relu(self.w1(x))  # eq. (2)\n        return self.w2(h)\n"
    assert expected in result
    assert result.startswith("class FeedForward")


def test_not_found_gives_a_hint_and_writes_nothing(tmp_path):
    root = project(tmp_path)
    blocks = [EditBlock("NOTES.md", "", "new\n"),
              EditBlock("pkg/model.py", "        self.w2 = nn.Linear(d_ff, d_modle)\n", "x\n")]
    hint = r"edit 2 \(pkg/model.py\): SEARCH text not found.*closest lines \(from line 5\)"
    with pytest.raises(EditError, match=hint):
        apply_edits(root, blocks)
    assert not (root / "NOTES.md").exists()  # all or nothing
    assert (root / "pkg" / "model.py").read_text() == MODEL


@pytest.mark.parametrize("block, message", [
    (EditBlock("pkg/model.py", "        super().__init__()\n        self", "x"), None),
    (EditBlock("pkg/model.py", "nn.Linear", "x"), "matches 2 places"),
    (EditBlock("pkg/model.py", "", "x"), "SEARCH is empty but the file exists"),
    (EditBlock("pkg/missing.py", "a", "b"), "no such file"),
    (EditBlock("../escape.py", "", "x"), "'..' is refused"),
    (EditBlock(".git/hooks/pre-commit", "", "x"), "private"),
])
def test_edit_errors(tmp_path, block, message):
    root = project(tmp_path)
    if message is None:
        apply_edits(root, [block], dry_run=True)
        assert (root / "pkg" / "model.py").read_text() == MODEL  # dry run writes nothing
        return
    with pytest.raises(EditError, match=message):
        apply_edits(root, [block])


@pytest.mark.parametrize("text, message", [
    ("<<<<<<< SEARCH\na\n=======\nb\n>>>>>>> REPLACE\n", "without a file path"),
    ("f.py\n<<<<<<< SEARCH\na\n>>>>>>> REPLACE\n", "lacks its ======= divider"),
    ("f.py\n<<<<<<< SEARCH\na\n=======\nb\n", "lacks its >>>>>>> REPLACE"),
])
def test_malformed_blocks(text, message):
    with pytest.raises(EditError, match=message):
        parse_edit_blocks(text)


def test_prompt_example_parses_and_applies(tmp_path):
    prompt = render("edit_format")
    [block] = parse_edit_blocks(prompt)
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "model.py").write_text("    def forward(self, x):\n        return x + self.ff(x)\n")
    apply_edits(tmp_path, [block])
    assert "self.dropout(self.ff(x))" in (tmp_path / "pkg" / "model.py").read_text()
