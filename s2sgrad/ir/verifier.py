"""The IR verifier: SSA (one definition a value), dominance (defined before
use, in this region or an enclosing one), known opcodes, and each op's shape
as its definition states it (operand and result counts, regions' arguments
and yields, required attributes), result types by re-running the op's type
inference, and the invariants of the stage: after `unconnected` every x of a
`gradients` op reaches one of its ys; after the reverse transform no
`gradients` op is left; a loop tape has one push and one pop, and the pop
gives back as many values, of the same kinds, as the push appends (a tape
popped from an outer loop's tape is traced back to the tape made). On a
fault it prints the ops around it.

The out-of-SSA invariant (every read finds its value under its name) is
checked on the plan by verify_names.py.
"""

from ..errors import InternalError
from . import opcodes
from .printer import Names, print_op

# stages after which `gradients` ops may still be in the IR
BEFORE_TRANSFORM = ("lower", "shift", "attach", "unconnected")


def verify(fn, stage="?"):
    names = Names()
    for p in fn.params:
        names(p)
    defined = set(fn.params)
    expanded = not stage.startswith(BEFORE_TRANSFORM)
    _verify_region(fn.body, defined, set(), names, stage, expanded)
    if stage.startswith("unconnected"):
        _verify_connected(fn, names, stage)
    _verify_tapes(fn, names, stage)
    if len(fn.body.yields) != 1:
        raise InternalError(
            f"IR verifier after {stage}: {fn.name} yields "
            f"{len(fn.body.yields)} values, expected 1 (what it returns)"
        )
    return fn


def _fault(region, i, message, names, stage):
    lo, hi = max(0, i - 3), min(len(region.ops), i + 4)
    window = []
    for j in range(lo, hi):
        mark = ">>" if j == i else "  "
        window.append(f"  {mark} {print_op(region.ops[j], names)}")
    raise InternalError(f"IR verifier after {stage}: {message}\n" + "\n".join(window))


def _verify_region(region, defined, seen, names, stage, expanded):
    defined = set(defined) | set(region.args)
    for a in region.args:
        if a in seen:
            raise InternalError(
                f"IR verifier after {stage}: region argument {names(a)} defined twice"
            )
        seen.add(a)
    for i, op in enumerate(region.ops):
        d = opcodes.OPS.get(op.opcode)
        if d is None:
            _fault(region, i, f"unknown opcode {op.opcode!r}", names, stage)
        if expanded and op.opcode == "gradients":
            _fault(region, i, "a gradients op is left after the reverse transform", names, stage)
        problem = d.structure(op) if d.structure is not None else None
        if problem:
            _fault(region, i, problem, names, stage)
        missing = [k for k in d.required if op.attr(k, _MISSING) is _MISSING]
        if missing:
            _fault(region, i, f"{op.opcode} lacks attribute {missing[0]!r}", names, stage)
        for v in op.operands:
            if v not in defined:
                _fault(region, i, f"operand {names(v)} used before it is defined", names, stage)
        for r in op.regions:
            _verify_region(r, defined, seen, names, stage, expanded)
        for r in op.results:
            if r in seen or r in defined:
                _fault(region, i, f"{names(r)} defined twice", names, stage)
            seen.add(r)
            defined.add(r)
        if list(op.attrs) != sorted(op.attrs):
            _fault(region, i, "attributes not sorted", names, stage)
        wrong = _wrong_type(op, d)
        if wrong:
            _fault(region, i, wrong, names, stage)
    for v in region.yields:
        if v not in defined:
            raise InternalError(
                f"IR verifier after {stage}: yielded value {names(v)} is not defined"
            )


def _verify_connected(fn, names, stage):
    from ..passes import unconnected

    ops = fn.body.ops
    for i, op in enumerate(ops):
        if op.opcode == "gradients":
            left = unconnected.unconnected(ops[:i], op, fn.params)
            if left:
                n_ys = op.attr("n_ys")
                xs = ", ".join(names(op.operands[n_ys + k]) for k in left)
                _fault(
                    fn.body,
                    i,
                    f"gradients op keeps xs that reach none of its ys: {xs}",
                    names,
                    stage,
                )


def _verify_tapes(fn, names, stage):
    where, pushes, pops = {}, {}, {}
    made = set()

    def visit(region):
        for i, op in enumerate(region.ops):
            where[op] = (region, i)
            effect = opcodes.OPS[op.opcode].effect
            if effect == "new":
                made.update(op.results)
            elif effect == "update":
                if op.operands[0] in pushes:
                    _fault(
                        region, i, f"tape {names(op.operands[0])} has a second push", names, stage
                    )
                pushes[op.operands[0]] = op
            elif effect == "consume":
                if op.operands[0] in pops:
                    _fault(
                        region, i, f"tape {names(op.operands[0])} has a second pop", names, stage
                    )
                pops[op.operands[0]] = op
            for r in op.regions:
                visit(r)

    visit(fn.body)
    origin = {}  # a value popped -> what its push appended in its place
    for tape, pop in pops.items():
        push = pushes.get(tape)
        if push is not None and len(push.operands) == len(pop.results) + 1:
            origin.update(zip(pop.results, push.operands[1:]))
    for tape, pop in pops.items():
        t = tape
        while t in origin:
            t = origin[t]
        push = pushes.get(t)
        if t not in made or push is None:
            continue
        pushed = push.operands[1:]
        if len(pushed) != len(pop.results) or any(
            a.type.kind != b.type.kind for a, b in zip(pushed, pop.results)
        ):
            region, i = where[pop]
            _fault(
                region,
                i,
                f"this pop gives back {len(pop.results)} values; the push of "
                f"its tape appends {len(pushed)} (or of other kinds)",
                names,
                stage,
            )


_MISSING = object()


def _wrong_type(op, d):
    """What inference says the result is, when that disagrees with its type (each result's,
    when inference gives one type a result: np.linalg.eigh)."""
    if op.regions or d.infer is None:
        return None
    try:
        want = d.infer(tuple(v.type for v in op.operands), op.attr_dict)
    except Exception:  # inference needs what only the builder knew
        return None
    wants = want if isinstance(want, tuple) else (want,) if len(op.results) == 1 else ()
    for want, r in zip(wants, op.results):
        if want.kind == "array" and want.dtype is None and want.shape is None:
            continue  # inference knows nothing here
        if not _compatible(want, r.type):
            return f"{op.opcode} result has type {r.type}, its inference says {want}"
    return None


def _compatible(want, have):
    if want.kind != have.kind:
        return False
    if want.kind != "array":
        return True
    if want.dtype is not None and have.dtype is not None and want.dtype != have.dtype:
        return False
    if want.shape is not None and have.shape is not None:
        if len(want.shape) != len(have.shape):
            return False
        return all(
            a is None or b is None or a == b or isinstance(a, str) or isinstance(b, str)
            for a, b in zip(want.shape, have.shape)
        )
    return True
