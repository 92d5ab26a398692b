"""Exceptions shared across the pipeline.

The command line maps :class:`UserError` (bad usage or bad input) to exit code 2 with one line
on stderr, and never prints a traceback for it.
"""


class Paper2CodeError(Exception):
    """Base class of every error paper2code raises on purpose."""


class UserError(Paper2CodeError):
    """Bad usage or bad input: reported as one line on stderr, exit code 2."""


class IngestError(UserError):
    """A paper could not be read (missing, empty, corrupt, hostile or too large)."""


class UnsupportedNotation(UserError):
    """The equation compiler met LaTeX it does not support; the message names the construct."""


class ManifestError(UserError):
    """A ``paper2code.toml`` manifest is missing, malformed, or names a bad key."""


class LLMError(UserError):
    """An LLM provider failed once its retries were spent (overloaded, rate limited, key rejected,
    unreachable, scripted responses exhausted). The message is one line naming the cause; the
    run's state (response cache, usage ledger, git history) is kept, so a re-run resumes."""
