"""All git access, in one class (GitPython).

An implementation folder is its own repository, or a folder inside an existing one; then every
operation is limited to that folder, so the user's other work is never staged, committed or
undone. paper2code's commits carry the trailer ``Generated-by: paper2code``; :meth:`GitRepo.undo_last`
only undoes such a commit, and only on a clean tree. The private folder ``.paper2code/`` (response
cache, run state) and ``__pycache__`` folders are never committed. Every git failure becomes one
:class:`agent.errors.UserError` line.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from agent.errors import UserError
from agent.types import CommitInfo

TRAILER_KEY = "Generated-by"
EMPTY_TREE = "4b825dc642cb6eb9a060e54bf8d69288fbee4904"
FALLBACK_IDENTITY = ("paper2code", "paper2code@localhost")
HAND_EDITS_MESSAGE = "Hand edits (committed before paper2code's next change)"

T = TypeVar("T")


def _git_errors(method: Callable[..., T]) -> Callable[..., T]:
    """Turn GitPython's exceptions into one-line UserErrors."""

    @functools.wraps(method)
    def wrapper(self: GitRepo, *args: Any, **kwargs: Any) -> T:
        import git

        try:
            return method(self, *args, **kwargs)
        except git.GitCommandError as exc:
            command = exc.command[1] if isinstance(exc.command, list) and len(exc.command) > 1 else exc.command
            stderr = [line.strip() for line in str(exc.stderr or "").strip().strip("'").splitlines() if line.strip()]
            flagged = [line.split(":", 1)[1].strip() for line in stderr if line.startswith(("fatal:", "error:"))]
            reason = (flagged or stderr or [f"exit status {exc.status}"])[0]
            raise UserError(f"git {command} failed in {self.root}: {reason}") from None
        except git.GitError as exc:
            raise UserError(f"git failed in {self.root}: {type(exc).__name__}: {exc}") from None

    return wrapper


class GitRepo:
    """The git history of one implementation folder."""

    PRIVATE = (".paper2code",)

    def __init__(self, path: str | Path, *, create: bool = True, verify: bool = False) -> None:
        """Open the repository holding ``path``, or create one there.

        Args:
            path: the implementation folder (must exist).
            create: make a new repository when ``path`` is in none; otherwise raise UserError.
            verify: run the repository's commit hooks (off by default: our commits are automatic).
        """
        try:
            import git
        except ImportError as exc:  # GitPython raises ImportError when the git executable is missing
            raise UserError(f"git is not usable: {' '.join(str(exc).split())[:160]}") from None
        self.root = Path(path).resolve()
        if not self.root.is_dir():
            raise UserError(f"{path}: not a folder")
        self.verify = verify
        try:
            self.repo = git.Repo(self.root, search_parent_directories=True)
        except git.InvalidGitRepositoryError:
            if not create:
                raise UserError(f"{self.root}: not inside a git repository") from None
            try:
                self.repo = git.Repo.init(self.root)
            except git.GitCommandError as exc:
                raise UserError(f"git init failed in {self.root}: {str(exc.stderr).strip()[:160]}") from None
        if self.repo.bare or self.repo.working_tree_dir is None:
            raise UserError(f"{self.root}: inside a bare git repository")
        self.toplevel = Path(self.repo.working_tree_dir).resolve()
        self.rel = self.root.relative_to(self.toplevel).as_posix()

    # ------------------------------------------------------------------ helpers

    def _pathspec(self) -> list[str]:
        prefix = "" if self.rel == "." else f"{self.rel}/"
        # git refuses a pathspec (even an exclude) naming a path .gitignore ignores; ignored ones need none
        excludes = [f":(exclude){prefix}{p}" for p in self.PRIVATE if not self._ignored(f"{prefix}{p}")]
        excludes.append(f":(exclude,glob){prefix}**/__pycache__/**")
        return [self.rel, *excludes]

    def _ignored(self, relative: str) -> bool:
        """Whether ``relative`` (from the top of the work tree) is ignored by a .gitignore."""
        status, _, _ = self.repo.git.check_ignore("-q", "--", relative, with_extended_output=True,
                                                  with_exceptions=False)
        return status == 0

    def _identity_env(self) -> dict[str, str]:
        """Author/committer variables for a machine with no git identity configured."""
        reader = self.repo.config_reader()
        env: dict[str, str] = {}
        name = os.environ.get("GIT_AUTHOR_NAME") or reader.get_value("user", "name", default="")
        email = os.environ.get("GIT_AUTHOR_EMAIL") or reader.get_value("user", "email", default="")
        if not name:
            env.update(GIT_AUTHOR_NAME=FALLBACK_IDENTITY[0], GIT_COMMITTER_NAME=FALLBACK_IDENTITY[0])
        if not email:
            env.update(GIT_AUTHOR_EMAIL=FALLBACK_IDENTITY[1], GIT_COMMITTER_EMAIL=FALLBACK_IDENTITY[1])
        return env

    def _has_head(self) -> bool:
        try:
            self.repo.head.commit  # noqa: B018 - raises ValueError on an unborn branch
        except ValueError:
            return False
        return True

    def _commit(self, message: str) -> str | None:
        self.repo.git.add("-A", "--", *self._pathspec())
        staged = self.repo.git.diff("--cached", "--name-only", "--", *self._pathspec())
        if not staged.strip():
            return None
        args = ["-q", "-m", message]
        if not self.verify:
            args.append("--no-verify")
        with self.repo.git.custom_environment(**self._identity_env()):
            if self.rel == ".":
                self.repo.git.commit(*args)
            else:  # commit only our folder, whatever else the user has staged
                self.repo.git.commit(*args, "--only", "--", *self._pathspec())
        return self.repo.head.commit.hexsha

    @staticmethod
    def is_ours(message: str) -> bool:
        """Whether a commit message carries paper2code's trailer."""
        return any(line.startswith(f"{TRAILER_KEY}: paper2code") for line in message.splitlines())

    def _info(self, commit: Any) -> CommitInfo:
        message = str(commit.message)
        return CommitInfo(
            sha=commit.hexsha,
            summary=message.splitlines()[0] if message else "",
            ours=self.is_ours(message),
            date=commit.committed_datetime.isoformat(),
        )

    # ------------------------------------------------------------------ public

    @_git_errors
    def commit_all(self, message: str, *, trailer: str = "paper2code") -> str | None:
        """Commit every change in the folder as paper2code; returns the sha, or None if nothing changed."""
        if not message.strip():
            raise UserError("a commit needs a message")
        if not trailer.startswith("paper2code"):
            raise ValueError("the trailer value must start with 'paper2code'")
        return self._commit(f"{message.strip()}\n\n{TRAILER_KEY}: {trailer}\n")

    @_git_errors
    def commit_user_changes(self, message: str = HAND_EDITS_MESSAGE) -> str | None:
        """Commit the user's own edits separately (no trailer, so undo never removes them)."""
        return self._commit(message.strip() + "\n")

    @_git_errors
    def is_dirty(self) -> bool:
        """Whether the folder has uncommitted changes (untracked files included)."""
        status = self.repo.git.status("--porcelain", "--untracked-files=all", "--", *self._pathspec())
        return bool(status.strip())

    @_git_errors
    def undo_last(self) -> CommitInfo:
        """Undo paper2code's last commit, restoring the files it changed; returns that commit.

        Refuses (UserError) when there is no commit, when the last commit is not ours, when it is
        the first commit, when it is already on a remote branch, or when the folder is dirty.
        """
        if not self._has_head():
            raise UserError("nothing to undo: the repository has no commits yet")
        head = self.repo.head.commit
        info = self._info(head)
        if not info.ours:
            raise UserError(f"the last commit {head.hexsha[:8]} ({info.summary!r}) was not made by paper2code; "
                            "refusing to undo it")
        if self.is_dirty():
            raise UserError(f"{self.root} has uncommitted changes; commit or discard them before undo")
        if not head.parents:
            raise UserError(f"the last commit {head.hexsha[:8]} is the first one; there is nothing to go back to")
        if self.repo.git.branch("-r", "--contains", head.hexsha).strip():
            raise UserError(f"commit {head.hexsha[:8]} is already pushed to a remote; refusing to undo it")
        parent = head.parents[0]
        changed = sorted({p for d in parent.diff(head) for p in (d.a_path, d.b_path) if p})
        existed = [p for p in changed if _in_tree(parent.tree, p)]
        added = [p for p in changed if p not in existed]
        self.repo.git.reset("-q", "--soft", parent.hexsha)
        if existed:
            self.repo.git.checkout(parent.hexsha, "--", *existed)
        if added:
            self.repo.git.rm("-q", "-f", "--ignore-unmatch", "--", *added)
        return info

    @_git_errors
    def diff(self, n: int = 1) -> str:
        """The diff of the last ``n`` commits in the folder; ``n=0``: uncommitted changes."""
        if n < 0:
            raise UserError("diff: n must be 0 or more")
        if not self._has_head():
            return ""
        if n == 0:
            return self.repo.git.diff("HEAD", "--", *self._pathspec())
        count = int(self.repo.git.rev_list("--count", "HEAD"))
        base = f"HEAD~{n}" if n < count else EMPTY_TREE
        return self.repo.git.diff(base, "HEAD", "--", *self._pathspec())

    @_git_errors
    def file_log(self, relative: str, n: int = 50) -> list[CommitInfo]:
        """The last ``n`` commits that changed ``relative`` (a path inside the folder), newest first."""
        if not self._has_head():
            return []
        path = relative if self.rel == "." else f"{self.rel}/{relative}"
        return [self._info(c) for c in self.repo.iter_commits("HEAD", max_count=n, paths=[path])]

    @_git_errors
    def log(self, n: int = 20) -> list[CommitInfo]:
        """The folder's last ``n`` commits, newest first."""
        if not self._has_head():
            return []
        paths = [] if self.rel == "." else [self.rel]
        return [self._info(c) for c in self.repo.iter_commits("HEAD", max_count=n, paths=paths)]


def _in_tree(tree: Any, path: str) -> bool:
    try:
        tree[path]
    except KeyError:
        return False
    return True
