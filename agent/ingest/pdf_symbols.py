"""Symbol and font tables for reading math out of PDF spans (agent.ingest.pdf_math, pdf_latex)."""

from __future__ import annotations

import re

_GREEK = {
    "α": "alpha", "β": "beta", "γ": "gamma", "δ": "delta", "ϵ": "epsilon", "ε": "varepsilon",
    "ζ": "zeta", "η": "eta", "θ": "theta", "ϑ": "vartheta", "ι": "iota", "κ": "kappa",
    "λ": "lambda", "µ": "mu", "μ": "mu", "ν": "nu", "ξ": "xi", "π": "pi", "ϖ": "varpi", "ρ": "rho",
    "ϱ": "varrho", "ǫ": "epsilon", "σ": "sigma", "ς": "varsigma", "τ": "tau", "υ": "upsilon", "ϕ": "phi",
    "φ": "varphi", "χ": "chi", "ψ": "psi", "ω": "omega", "Γ": "Gamma", "∆": "Delta", "Δ": "Delta",
    "Θ": "Theta", "Λ": "Lambda", "Ξ": "Xi", "Π": "Pi", "Σ": "Sigma", "Υ": "Upsilon", "Φ": "Phi",
    "Ψ": "Psi", "Ω": "Omega",
}
_SYMBOLS = {
    "√": r"\sqrt", "∑": r"\sum", "∏": r"\prod", "∫": r"\int", "∮": r"\oint", "≤": r"\leq",
    "≥": r"\geq", "≠": r"\neq", "≈": r"\approx", "∼": r"\sim", "∝": r"\propto", "∈": r"\in",
    "∉": r"\notin", "⊂": r"\subset", "⊆": r"\subseteq", "∪": r"\cup", "∩": r"\cap", "×": r"\times",
    "·": r"\cdot", "⋅": r"\cdot", "∘": r"\circ", "◦": r"\circ", "⊙": r"\odot", "⊗": r"\otimes",
    "⊕": r"\oplus", "→": r"\to", "←": r"\leftarrow", "⇒": r"\Rightarrow", "⇐": r"\Leftarrow",
    "↦": r"\mapsto", "∞": r"\infty", "∂": r"\partial", "∇": r"\nabla", "∀": r"\forall",
    "∃": r"\exists", "‖": r"\|", "∥": r"\|", "⟨": r"\langle", "⟩": r"\rangle", "⌊": r"\lfloor",
    "⌋": r"\rfloor", "⌈": r"\lceil", "⌉": r"\rceil", "±": r"\pm", "∓": r"\mp", "−": "-",
    "…": r"\ldots", "⋯": r"\cdots", "⊤": r"\top", "⊺": r"\top", "′": "'", "∗": "*", "ℓ": r"\ell",
    "{": r"\{", "}": r"\}", "¬": r"\neg", "∧": r"\wedge", "∨": r"\vee", "≜": r"\triangleq",
    "≡": r"\equiv", "≪": r"\ll", "≫": r"\gg", "⋀": r"\bigwedge", "⋁": r"\bigvee", "⋃": r"\bigcup",
    "⋂": r"\bigcap", "ℝ": r"\mathbb{R}", "ℕ": r"\mathbb{N}", "ℤ": r"\mathbb{Z}", "ℂ": r"\mathbb{C}",
    "∅": r"\emptyset", "%": r"\%", "#": r"\#", "&": r"\&", "$": r"\$", "\\": r"\backslash",
}
_ACCENTS = {"ˆ": "hat", "^": "hat", "˜": "tilde", "~": "tilde", "¯": "bar", "˙": "dot", "⃗": "vec"}
_FUNCTIONS = {"max", "min", "exp", "log", "ln", "sin", "cos", "tan", "tanh", "sinh", "cosh", "lim",
              "arg", "det", "sup", "inf", "Pr", "dim", "ker", "deg", "gcd", "argmax", "argmin"}
_LIMIT_WORDS = {"max", "min", "lim", "arg", "sup", "inf", "argmax", "argmin"}
_WORDS = {"where", "if", "otherwise", "and", "for", "with", "s.t.", "subject", "to", "else", "when"}
_RELATIONS = {"=", "<", ">", r"\leq", r"\geq", r"\neq", r"\approx", r"\sim", r"\in", r"\to", r"\equiv",
              r"\triangleq", r"\propto", r"\Rightarrow", r"\leftarrow", r"\mapsto"}
_OPERATORS = set("=<>+·⋅×≤≥≠≈∈←→⊙⊗∼≡")
_MATH_CHARS = set("=+<>^_|/") | set(_SYMBOLS) | set(_GREEK)
_ROMAN_MATH = re.compile(r"CM(R|BX)\d|LMRoman\d+-(Regular|Bold)")
_ITALIC_MATH = re.compile(r"CMMI|LMMathItalic|MathItalic|STIXMath|Cambria", re.I)
_BOLD_MATH = re.compile(r"CMBX|CMMIB|LMRoman\d*-Bold|LMMathItalic\d*-Bold|CMBSY", re.I)
_BB_FONT = re.compile(r"MSBM|BBold|bbm|DSRom", re.I)
_CAL_FONT = re.compile(r"CMSY|LMMathSymbols|EUSM|rsfs", re.I)
