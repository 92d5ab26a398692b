"""The equation compiler: LaTeX to verified torch / einops code.

>>> eq = compile_equation(r"\\mathrm{DyT}(\\mathbf{x}) = \\bm{\\gamma} * \\tanh(\\alpha \\mathbf{x}) + \\bm{\\beta}")
>>> eq.inputs, eq.verified
(['x', 'gamma', 'alpha', 'beta'], True)

See :func:`compile_equation`; DESIGN.md ("Equations API") states the naming and shape rules.
"""

from agent.equations.compile import compile_equation
from agent.equations.shapes import parse_shapes_option
from agent.errors import UnsupportedNotation

__all__ = ["UnsupportedNotation", "compile_equation", "parse_shapes_option"]
