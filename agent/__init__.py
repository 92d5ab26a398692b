"""paper2code: turn ML research papers into validated PyTorch Lightning / einops implementations.

The pipeline (see README.md and the types in :mod:`agent.types`)::

    paper ──ingest──▶ Paper ──plan──▶ Plan ──draft──▶ files ──validate──▶ ValidationReport

Heavy dependencies (torch, PyMuPDF, sympy) are imported inside the stages that need them, so
``import agent`` and ``paper2code --help`` stay fast.
"""

__version__ = "0.1.0"
