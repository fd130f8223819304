"""Fault injection: each kind of fault the verifiers look for, put into real IR
(or a real out-of-SSA plan), and caught with a message that names it.

The IR verifier (ir/verifier.py) checks the IR after each stage; the
out-of-SSA verifier (ir/verify_names.py) checks that the generated function,
run on names, reads every value under its name. tests/conftest.py turns both
on for the whole suite.
"""

import textwrap
from pathlib import Path

import pytest

from s2sgrad import cli, out_of_ssa, transform
from s2sgrad.errors import InternalError
from s2sgrad.frontend import source as S
from s2sgrad.ir import types as T
from s2sgrad.ir.core import Op, Region, Value
from s2sgrad.ir.verifier import verify
from s2sgrad.ir.verify_names import check

SOURCE = """
import numpy as np

def f(x: "float64[n]", a: float, b: float):
    y = np.zeros(3)
    for i in range(3):
        a, b = b, a + b
        y[i] = a * b
    v = y[1:]
    return np.sum(np.sin(x) * y[0] + v)
"""


def build(tmp_path, wrt="x,a,b"):
    path = tmp_path / "case.py"
    path.write_text(textwrap.dedent(SOURCE))
    parsed = S.from_file(str(path), "f")
    types_ = cli.arg_types(parsed, None)
    return transform.build_ir(parsed, types_, cli.request_for(parsed, types_, wrt))


def first(fn, opcode):
    return next(op for op in fn.body.walk() if op.opcode == opcode)


def replace_op(fn, old, new):
    """fn with `old` (an op of its top-level body) replaced by `new`."""
    ops = tuple(new if op is old else op for op in fn.body.ops)
    return fn.with_body(Region(fn.body.args, ops, fn.body.yields))


def top(fn, opcode):
    return next(op for op in fn.body.ops if op.opcode == opcode)


# ---- the IR verifier ------------------------------------------------------------------------


def fault_unknown_opcode(fn):
    op = top(fn, "sin")
    return replace_op(fn, op, op.replace(opcode="sine")), "unknown opcode 'sine'"


def fault_use_before_def(fn):
    op = top(fn, "sin")
    ghost = Value("ghost", op.operands[0].type)
    return replace_op(fn, op, op.replace(operands=(ghost,))), "used before it is defined"


def fault_defined_twice(fn):
    a, b = [op for op in fn.body.ops if op.opcode == "mul"][:2]
    return replace_op(fn, b, b.replace(results=a.results)), "defined twice"


def fault_operand_count(fn):
    op = top(fn, "mul")
    return replace_op(fn, op, op.replace(operands=op.operands[:1])), "has 1 operands, expected 2"


def fault_region_arity(fn):
    op = top(fn, "for")
    body = op.regions[0]
    bad = Region(body.args, body.ops, body.yields[:-1])
    return replace_op(fn, op, op.replace(regions=(bad,))), "for carries"


def fault_missing_attribute(fn):
    op = top(fn, "index")
    attrs = tuple((k, v) for k, v in op.attrs if k != "key")
    return replace_op(fn, op, op.replace(attrs=attrs)), "lacks attribute 'key'"


def fault_wrong_type(fn):
    op = top(fn, "sin")
    res = Value(op.result.hint, T.array("int64", op.result.type.shape))
    mapping_fn = replace_op(fn, op, op.replace(results=(res,)))
    # keep the users pointing at the new result, so only the type is wrong
    from s2sgrad.ir.core import substitute

    body = substitute(mapping_fn.body, {op.result: res})
    return mapping_fn.with_body(body), "its inference says"


def fault_unsorted_attributes(fn):
    op = top(fn, "index")
    return replace_op(
        fn, op, op.replace(attrs=tuple(reversed(op.attrs)) + (("a", 1),))
    ), "attributes not sorted"


def fault_gradients_left(fn):
    op = top(fn, "sin")
    grads = Op("gradients", (op.result,), (Value("g", op.result.type),))
    ops = fn.body.ops + (grads,)
    return fn.with_body(Region(fn.body.args, ops, fn.body.yields)), "gradients op is left"


def fault_tape_arity(fn):
    """The loop's push appends one value more than its pop gives back."""
    push = first(fn, "push")
    longer = push.replace(operands=push.operands + (push.operands[-1],))

    def region(r):
        ops = []
        for op in r.ops:
            op = longer if op is push else op
            if op.regions:
                op = op.replace(regions=tuple(region(x) for x in op.regions))
            ops.append(op)
        return Region(r.args, tuple(ops), r.yields)

    return fn.with_body(region(fn.body)), "the push of its tape appends"


IR_FAULTS = [
    fault_unknown_opcode,
    fault_use_before_def,
    fault_defined_twice,
    fault_operand_count,
    fault_region_arity,
    fault_missing_attribute,
    fault_wrong_type,
    fault_unsorted_attributes,
    fault_gradients_left,
    fault_tape_arity,
]


def test_real_ir_passes(tmp_path):
    verify(build(tmp_path), "dce")


@pytest.mark.parametrize("inject", IR_FAULTS, ids=lambda f: f.__name__)
def test_ir_verifier_catches(inject, tmp_path):
    fn, message = inject(build(tmp_path))
    with pytest.raises(InternalError, match="IR verifier after dce") as e:
        verify(fn, "dce")
    assert message in str(e.value)
    assert ">>" in str(e.value) or "yielded" in str(e.value)  # the op, with its neighbours


def test_gradients_op_is_fine_before_the_transform(tmp_path):
    fn, _ = fault_gradients_left(build(tmp_path))
    verify(fn, "attach")


# ---- the out-of-SSA verifier ------------------------------------------------------------------


def plan_of(fn):
    return fn, out_of_ssa.run(fn)


def run_check(fn, plan):
    check(fn, plan, plan.shares, plan.web)


def test_real_plan_passes(tmp_path):
    run_check(*plan_of(build(tmp_path)))


def carried(fn):
    loop = top(fn, "for")
    return loop, loop.regions[0].args[1:]


def test_swap_under_one_name_is_caught(tmp_path):
    """The swap problem: a and b under one name."""
    fn, plan = plan_of(build(tmp_path))
    loop, (a, b, *_) = carried(fn)
    for v, r in list(plan.rep.items()):
        if r is plan.var(b):
            plan.rep[v] = plan.var(a)
    with pytest.raises(InternalError, match="is read where its name holds"):
        run_check(fn, plan)


def test_lost_copy_is_caught(tmp_path):
    """The lost-copy problem: the back edge's new b takes b's name while the old b
    is still to be read (by `y[i] = a * b` and by the copy into a)."""
    fn, plan = plan_of(build(tmp_path))
    loop, (a, b, *_) = carried(fn)
    new_b = loop.regions[0].yields[1]
    assert new_b not in plan.inlined and plan.var(new_b) is not plan.var(b)
    plan.rep[new_b] = plan.var(b)
    with pytest.raises(InternalError, match="b is read where its name holds another value"):
        run_check(fn, plan)


def test_in_place_write_under_a_live_view_is_caught(tmp_path):
    """`v = y[1:]`, then `y[0] = 0.0`, then v is read: the write must copy."""
    from s2sgrad.ir.core import substitute

    fn = build(tmp_path)
    view = top(fn, "index")
    y = view.operands[0]
    zero = Op("const", (), (Value("~c", T.PY_FLOAT),), attrs=(("value", 0.0),))
    w = Op("setitem", (y, zero.result), (Value("y", y.type),), attrs=(("key", (0,)),))
    pos = fn.body.ops.index(view) + 1
    rest = substitute(Region((), fn.body.ops[pos:], fn.body.yields), {y: w.result})
    ops = fn.body.ops[:pos] + (zero, w) + rest.ops
    fn = fn.with_body(Region(fn.body.args, ops, rest.yields))
    verify(fn, "dce")
    fn, plan = plan_of(fn)
    assert w not in plan.in_place  # out-of-SSA copies: v is still read
    run_check(fn, plan)
    plan.in_place.add(w)  # the fault
    for v, r in list(plan.rep.items()):
        if r is plan.var(w.result):
            plan.rep[v] = plan.var(y)
    with pytest.raises(InternalError, match="v is read after an in-place write changed its array"):
        run_check(fn, plan)


def test_inlining_past_a_write_is_caught(tmp_path):
    """`_d4 = d_y[i]; d_y[i] = 0.0; ... _d4 * b`: inlining the read past the write
    (which goes in place) would read the zeroed element."""
    fn, plan = plan_of(build(tmp_path))
    back = [op for op in fn.body.ops if op.opcode == "for"][1]
    read = next(op for op in back.regions[0].ops if op.opcode == "index")
    write = next(op for op in back.regions[0].ops if op.opcode == "setitem")
    assert write in plan.in_place and read.result not in plan.inlined
    plan.inlined.add(read.result)  # the fault
    with pytest.raises(InternalError, match="d_y is read where its name holds another value"):
        run_check(fn, plan)


def test_every_ir_fault_kind_is_listed():
    """The faults injected above, one per check of the IR verifier."""
    names = {f.__name__ for f in IR_FAULTS}
    assert len(names) == 10


def test_a_crash_inside_s2sgrad_is_an_internal_error(monkeypatch):
    """A raw exception from a stage (here a RecursionError) reaches the user as an
    InternalError that says it is a bug in s2sgrad."""
    import numpy as np

    import s2sgrad
    from s2sgrad import codegen

    def boom(*a, **k):
        raise RecursionError("maximum recursion depth exceeded")

    monkeypatch.setattr(codegen, "generate", boom)

    def f(x):
        return np.sum(x * x)

    with pytest.raises(InternalError, match="bug in s2sgrad") as e:
        s2sgrad.grad(f)(np.ones(3))
    assert isinstance(e.value.__cause__, RecursionError)


def test_a_result_written_into_a_live_array_is_caught(tmp_path):
    """dead_arrays (out_of_ssa._reuse) writes `d_a = np.multiply(d_c, b, out=_t1)` into a dead array;
    into one still read later (b, read by `d_b *= b`) the verifier must refuse."""
    path = Path(__file__).parent.parent / "golden" / "in_place_dying" / "input.py"
    parsed = S.from_file(str(path), "f")  # (the elementwise workload)
    types_ = cli.arg_types(parsed, None)
    fn = transform.build_ir(parsed, types_, cli.request_for(parsed, types_, "x"))
    fn, plan = plan_of(fn)
    assert len(plan.out_into) == 4  # (d_c into its divisor, 1.0 - _t1 into _t1, d_a, cos)
    run_check(fn, plan)
    op = next(o for o in plan.out_into if o.result.hint == "d_a")
    b = next(o.result for o in fn.body.ops if len(o.results) == 1 and o.result.hint == "b")
    plan.out_into[op] = b  # the fault: b is multiplied into d_b after this
    with pytest.raises(InternalError, match="after an in-place write changed its array"):
        run_check(fn, plan)


def test_a_result_written_into_the_callers_array_is_caught():
    """`np.cos(x, out=c)` (dead_arrays (out_of_ssa._reuse), a temporary of an in-place statement) into
    x, the parameter, read by nothing after it: the caller's array all the same."""
    path = Path(__file__).parent.parent / "golden" / "in_place_dying" / "input.py"
    parsed = S.from_file(str(path), "f")
    types_ = cli.arg_types(parsed, None)
    fn = transform.build_ir(parsed, types_, cli.request_for(parsed, types_, "x"))
    fn, plan = plan_of(fn)
    op = next(o for o in plan.out_into if o.opcode == "cos")
    plan.out_into[op] = fn.params[0]
    with pytest.raises(InternalError, match="writes into an array of the caller's"):
        run_check(fn, plan)
