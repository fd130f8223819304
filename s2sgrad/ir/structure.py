"""The structure the verifier checks of an op (`OpDef.structure` in opcodes.py):
each function of an op says what is wrong with its operands, results and
regions, or None when the op is well formed; opcodes.py gives each opcode its
check.
"""

from .infer import _svd_results


def _counts(n_operands, n_results):
    """Exactly (or at least, for a `+` count such as '2+') so many operands and results."""

    def check(op):
        for what, have, want in (
            ("operands", len(op.operands), n_operands),
            ("results", len(op.results), n_results),
        ):
            if want is None:
                continue
            at_least = isinstance(want, str)
            n = int(want.rstrip("+")) if at_least else want
            if have < n or not at_least and have != n:
                return f"{op.opcode} has {have} {what}, expected {want}"
        if op.regions:
            return f"{op.opcode} has regions"
        return None

    return check


def _call_counts(n):
    """A NumPy call: one result, at most its n operand parameters (any when it has none)."""

    def check(op):
        if len(op.results) != 1 or op.regions:
            return f"{op.opcode} has {len(op.results)} results, expected 1"
        if n and len(op.operands) > n:
            return f"{op.opcode} has {len(op.operands)} operands, expected at most {n}"
        return None

    return check


def _check_if(op):
    if len(op.operands) != 1 or len(op.regions) != 2:
        return "if needs one condition and two regions"
    for r in op.regions:
        if r.args or len(r.yields) != len(op.results):
            return "each region of an if takes no arguments and yields one value a result"
    return None


def _check_for(op):
    if len(op.regions) != 1 or len(op.operands) < 3:
        return "for needs start, stop, step and one region"
    body = op.regions[0]
    n = len(op.operands) - 3
    if len(body.args) != n + 1 or len(body.yields) != n or len(op.results) != n:
        return (
            f"for carries {n} values: its body takes {len(body.args)} arguments (index "
            f"first), yields {len(body.yields)}, and it has {len(op.results)} results"
        )
    return None


def _check_while(op):
    if len(op.regions) != 2:
        return "while needs a condition region and a body region"
    cond, body = op.regions
    n = len(op.operands)
    if (
        len(cond.args) != n
        or len(body.args) != n
        or len(body.yields) != n
        or len(op.results) != n
        or len(cond.yields) != 1
    ):
        return f"while carries {n} values: its regions and results disagree"
    return None


def _check_closure(op):
    if len(op.regions) != 1 or len(op.results) != 1 or op.operands:
        return "closure has one region, no operands and one result"
    return None


def _check_svd_results(op):
    """np.linalg.svd: one operand; U, s, Vh, or s alone when compute_uv=False."""
    return _counts(1, _svd_results(op.attr_dict))(op)
