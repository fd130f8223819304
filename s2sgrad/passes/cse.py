"""Common subexpression elimination: a pure op equal to an earlier one in the
same region (same opcode, operands and attributes) is replaced by it. The
mul rule of `w * w` yields `g * w` twice; this computes it once.

`only`: a set of values, the only ones merged (into an equal earlier op, `w * u` equal
to `u * w` too: IEEE + and * commute), a later pass's cleanup of the ops it made:
passes/negation.py's `d_b * x` for the `d_b * (-x)` it folds."""

from ..ir.core import TEMP_HINTS, Region, substitute_op
from ..ir.opcodes import OPS, draws, memory

# ops whose point is a new array (zeros an adjoint accumulates into, a copy): two stay
# two, each its own memory (merged, two loop variables or two gradients handed back would
# be one array, which a write into one changes for both)
_FRESH = frozenset(
    {"zeros", "zeros_like", "ones", "ones_like", "full", "full_like", "empty", "empty_like", "copy"}
)


def run(fn, only=None):
    return fn.with_body(_region(fn.body, only))


def _region(region, only=None):
    seen, mapping, ops, consts = {}, {}, [], {}
    # an array a write starts from stays its own: merged, the write would have to copy it
    written = {o.operands[0] for o in region.ops if memory(o) == "write"}
    for op in region.ops:
        op = substitute_op(op, mapping)
        d = OPS[op.opcode]
        if op.opcode == "const":
            if op.result.hint in TEMP_HINTS:
                consts[op.result] = ("const", repr(op.attr("value")), op.result.type)
            ops.append(op)
            continue
        # Pure ops only (a tape op or a draw has an effect, and each tape is its own list;
        # a call given a generator may draw from it: two calls draw twice), and no
        # literals: constants are inlined where they are used (named ones stay), and
        # tuple/list displays (shapes) read best where they are used. (Control flow has
        # regions; gates have several results; no `gradients` op is left by now.) The
        # gradients handed back (tag out:) are each their own array: two np.copy(g) stay two.
        # A list built with append is a mutable object of its own: two `[]` stay two, and
        # so do two new arrays (_FRESH).
        if (
            op.regions
            or d.effect is not None
            or d.literal
            or len(op.results) != 1
            or (only is None and op.tag.startswith("out:"))
            or op.result in written
            or draws(op)
            or op.result.type.kind == "dynlist"
            or op.opcode in _FRESH
        ):
            ops.append(op)
            continue
        key = (
            op.opcode,
            tuple([consts.get(v, v) for v in op.operands]),
            _hashable(op.attrs) if op.attrs else (),
        )
        mine = only is None or op.result in only
        earlier = seen.get(key)
        if earlier is None and only is not None and op.opcode in _COMMUTE:
            earlier = seen.get((key[0], key[1][::-1], key[2]))
        if mine and earlier is not None and _same_name(earlier, op.result):
            mapping[op.result] = earlier
            continue
        seen[key] = op.result
        ops.append(op)
    yields = tuple(mapping.get(v, v) for v in region.yields)
    return Region(region.args, tuple(ops), yields)


_COMMUTE = ("add", "mul")


def _same_name(earlier, later):
    """Merge only where the generated code keeps reading truthfully: a temporary
    into anything, or two versions of one variable (`d_w` twice for `w * w`);
    not `d_x` into `d_a` just because both are `g * a`."""
    return later.hint in TEMP_HINTS or later.hint == earlier.hint


def _hashable(attrs):
    return tuple((k, repr(v)) for k, v in attrs)
