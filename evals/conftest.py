"""Hidden tests under evals/ run only through ``paper2code eval`` (against a generated package, with the
fixtures of agent/evaluate/hidden_conftest.py); pytest run on the repository must not collect them."""

collect_ignore_glob = ["*/cases/*"]
