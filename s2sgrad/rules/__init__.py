"""The rules table, one module per family; importing this package registers them."""

from . import arith, indexing, linalg, lists, reductions, scan, shape, ufuncs  # noqa: F401  (registration)
from .registry import RULES, Rule, defrule

__all__ = ["RULES", "Rule", "defrule"]
