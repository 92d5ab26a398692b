"""GitRepo in real temporary repositories."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from agent.errors import UserError
from agent.repo import GitRepo


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True).stdout


@pytest.fixture
def no_git_identity(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A machine with no git identity or global configuration (as on a fresh CI box)."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    monkeypatch.delenv("GIT_CONFIG_GLOBAL", raising=False)
    for var in ("GIT_AUTHOR_NAME", "GIT_AUTHOR_EMAIL", "GIT_COMMITTER_NAME", "GIT_COMMITTER_EMAIL"):
        monkeypatch.delenv(var, raising=False)


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def test_init_commit_log_diff_and_private_files(tmp_path, no_git_identity):
    impl = tmp_path / "impl"
    write(impl / "pkg" / "model.py", "x = 1\n")
    write(impl / ".paper2code" / "cache" / "ab.json", "{}")
    write(impl / "pkg" / "__pycache__" / "model.cpython-311.pyc", "junk")
    repo = GitRepo(impl)
    assert (impl / ".git").is_dir() and repo.is_dirty()
    sha = repo.commit_all("Draft from the offline catalog")
    assert sha and not repo.is_dirty()
    assert repo.commit_all("Nothing changed") is None
    assert git(impl, "ls-files").split() == ["pkg/model.py"]
    message = git(impl, "log", "-1", "--format=%B")
    assert message.startswith("Draft from the offline catalog") and "Generated-by: paper2code" in message
    assert git(impl, "log", "-1", "--format=%an <%ae>").strip() == "paper2code <paper2code@localhost>"
    write(impl / "pkg" / "model.py", "x = 2\n")
    assert "+x = 2" in repo.diff(0)
    repo.commit_all("Repair: shapes")
    [newest, first] = repo.log()
    assert (newest.summary, newest.ours, first.sha) == ("Repair: shapes", True, sha)
    assert "-x = 1" in repo.diff(1) and "new file mode" in repo.diff(5)  # 5 > history: from the empty tree


def test_undo_restores_and_removes_files(tmp_path, no_git_identity):
    repo = GitRepo(tmp_path)
    write(tmp_path / "model.py", "v1\n")
    base = repo.commit_all("Draft")
    write(tmp_path / "model.py", "v2\n")
    write(tmp_path / "extra.py", "new\n")
    repo.commit_all("Chat turn: add extra")
    undone = repo.undo_last()
    assert undone.summary == "Chat turn: add extra"
    assert (tmp_path / "model.py").read_text() == "v1\n" and not (tmp_path / "extra.py").exists()
    assert git(tmp_path, "rev-parse", "HEAD").strip() == base and not repo.is_dirty()
    with pytest.raises(UserError, match="is the first one"):
        repo.undo_last()


def test_undo_refuses_dirty_tree_and_foreign_commits(tmp_path, no_git_identity):
    repo = GitRepo(tmp_path)
    write(tmp_path / "model.py", "v1\n")
    repo.commit_all("Draft")
    write(tmp_path / "model.py", "v2\n")
    repo.commit_all("Turn 1")
    write(tmp_path / "model.py", "hand edit\n")
    with pytest.raises(UserError, match="uncommitted changes"):
        repo.undo_last()
    assert repo.commit_user_changes() is not None
    assert repo.log()[0].ours is False
    with pytest.raises(UserError, match="was not made by paper2code; refusing"):
        repo.undo_last()
    assert (tmp_path / "model.py").read_text() == "hand edit\n"


def test_undo_refuses_a_pushed_commit(tmp_path, no_git_identity):
    remote = tmp_path / "remote.git"
    git(tmp_path, "init", "-q", "--bare", str(remote))
    work = tmp_path / "work"
    work.mkdir()
    repo = GitRepo(work)
    write(work / "a.py", "1\n")
    repo.commit_all("Draft")
    write(work / "a.py", "2\n")
    repo.commit_all("Turn")
    git(work, "remote", "add", "origin", str(remote))
    git(work, "push", "-q", "origin", "HEAD:refs/heads/main")
    git(work, "fetch", "-q", "origin")
    with pytest.raises(UserError, match="already pushed"):
        repo.undo_last()


def test_folder_inside_an_existing_repository(tmp_path, no_git_identity):
    outer = tmp_path / "project"
    outer.mkdir()
    git(outer, "init", "-q")
    write(outer / "notes.txt", "user's own work\n")
    git(outer, "add", "notes.txt")  # staged by the user, not ours to commit
    impl = outer / "generated" / "attention"
    write(impl / "model.py", "x = 1\n")
    repo = GitRepo(impl)
    assert repo.toplevel == outer.resolve() and repo.rel == "generated/attention"
    repo.commit_all("Draft")
    assert git(outer, "show", "--name-only", "--format=", "HEAD").split() == ["generated/attention/model.py"]
    assert "A  notes.txt" in git(outer, "status", "--porcelain")
    write(outer / "elsewhere.txt", "untracked elsewhere\n")
    assert not repo.is_dirty()  # only our folder counts
    write(impl / "model.py", "x = 2\n")
    repo.commit_all("Turn")
    repo.undo_last()
    assert (impl / "model.py").read_text() == "x = 1\n" and (outer / "elsewhere.txt").exists()
    assert [c.summary for c in repo.log()] == ["Draft"]


def test_errors_are_user_errors(tmp_path, no_git_identity):
    with pytest.raises(UserError, match="not a folder"):
        GitRepo(tmp_path / "missing")
    with pytest.raises(UserError, match="not inside a git repository"):
        GitRepo(tmp_path, create=False)
    repo = GitRepo(tmp_path)
    assert repo.log() == [] and repo.diff() == ""
    with pytest.raises(UserError, match="no commits yet"):
        repo.undo_last()
    write(tmp_path / "a.py", "1\n")
    repo.commit_all("Draft")
    (tmp_path / ".git" / "index.lock").write_text("")  # another git process holds the index
    write(tmp_path / "a.py", "2\n")
    with pytest.raises(UserError) as caught:
        repo.commit_all("Turn")
    assert str(caught.value).startswith("git add failed in") and "index.lock" in str(caught.value)
