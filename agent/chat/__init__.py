"""``paper2code chat``: refine a generated implementation in conversation, one validated commit per change.

Modules: :mod:`~agent.chat.session` (the state: folder, plan, paper, git, transcript, ledger),
:mod:`~agent.chat.commands` (the slash commands and their registry), :mod:`~agent.chat.changes` (plan
edits: /set, /swap), :mod:`~agent.chat.replan` and :mod:`~agent.chat.merge` (render a changed plan into
the folder, keeping hand edits), :mod:`~agent.chat.offline_intents` (free text to commands, no LLM),
:mod:`~agent.chat.llm_turn` (free text to the model, bounded repair), :mod:`~agent.chat.explain`
(/explain N), :mod:`~agent.chat.transcript` (``.paper2code/chat.jsonl``), :mod:`~agent.chat.render`
(rich output) and :mod:`~agent.chat.repl` (input and the loop).
"""
