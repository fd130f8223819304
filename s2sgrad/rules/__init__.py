"""The rules table, one module per family; importing this package registers them."""

from . import arith, indexing, reductions, shape, ufuncs  # noqa: F401  (registration)
from .registry import NONDIFFERENTIABLE, RULES, STRUCTURAL, Rule, defrule, nondifferentiable

__all__ = ["RULES", "NONDIFFERENTIABLE", "STRUCTURAL", "Rule", "defrule", "nondifferentiable"]
