"""Dead code elimination: ops whose results nothing uses are removed (every op
of the closed set is pure)."""

from ..ir.core import Function, Region


def run(fn):
    return fn.with_body(_region(fn.body, set()))


def _region(region, live_out):
    live = set(region.yields) | live_out
    kept = []
    for op in reversed(region.ops):
        if not any(r in live for r in op.results):
            continue
        kept.append(op)
        live.update(op.operands)
        for r in op.regions:
            live.update(r.yields)
    return Region(region.args, tuple(reversed(kept)), region.yields)


__all__ = ["run", "Function"]
