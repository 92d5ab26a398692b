"""Land a changed plan: render the project from it, merge into the folder, validate, commit.

Used by ``/set`` and ``/swap`` (and by the offline intents that map to them). Edits made by hand are
committed first and kept through the change (see :mod:`agent.chat.merge`); a change that fails the
quick checks is rolled back.
"""

from __future__ import annotations

from agent.chat.merge import Snapshot, apply_updates, plan_updates, update_marker
from agent.chat.session import ChatSession, Outcome
from agent.types import Plan


def land_plan(session: ChatSession, new_plan: Plan, request: str, lines: list[str],
              names: list[str] | None = None) -> Outcome:
    """Render ``new_plan`` into the session's folder and land it as one commit naming ``request``;
    ``names``: hyperparameters set, whose value config.yaml should now show."""
    from agent.chat.changes import config_notes
    from agent.draft.project import render_files

    session.commit_hand_edits()
    paper = session.paper
    with session.busy("rendering ..."):
        _, base = render_files(session.plan, paper)
        _, fresh = render_files(new_plan, paper)
    updates = plan_updates(session.folder, base, fresh, pristine=session.rendered_only)
    for line in lines:
        session.say(f"  {line}")
    for note in config_notes(fresh.get("config.yaml", ""), new_plan, names or []):
        session.say(f"  note: {note}", "yellow")
    if set(updates) <= {"plan.json"} and updates:
        session.say("  (recorded in plan.json; no generated file uses this setting)", "dim")
    snapshot = Snapshot(session.folder)
    apply_updates(session.folder, updates, snapshot)
    body = "\n".join(lines)
    outcome = session.land(snapshot, f"chat: {request}\n\n{body}")
    if outcome.committed:
        update_marker(session.folder, fresh)
    return outcome
