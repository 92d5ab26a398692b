"""Drafting an implementation: rendering files from templates or a model, and the edit formats a
model uses to change them (:mod:`agent.draft.edits`)."""
