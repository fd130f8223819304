"""Unit tests of the IR: types, builder, printer, verifier, and the small passes."""

import numpy as np
import pytest

from s2sgrad.errors import InternalError
from s2sgrad.ir import types as T
from s2sgrad.ir.builder import Builder
from s2sgrad.ir.core import TEMP, Function, Op, Region, Value
from s2sgrad.ir.printer import print_function
from s2sgrad.ir.verifier import verify
from s2sgrad.passes import activity, broadcast, cse, dce


def fn_of(b, params, out, name="f"):
    return Function(
        name, tuple(params), tuple(p.hint for p in params), Region((), tuple(b.ops), (out,))
    )


def arr(name, *shape, dtype="float64"):
    return Value(name, T.array(dtype, shape))


# ---- types ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "a,b,want",
    [
        (T.array("float32", (3,)), T.PY_FLOAT, "float32"),  # NEP 50: weak scalars
        (T.array("int64", (3,)), T.PY_FLOAT, "float64"),
        (T.array("float32", (3,)), T.array("float64", (3,)), "float64"),
        (T.array("bool", (3,)), T.PY_INT, "int64"),
        (T.PY_INT, T.PY_FLOAT, "float64"),
    ],
)
def test_result_dtype_matches_numpy(a, b, want):
    assert T.result_dtype(a, b) == want


def test_broadcast_shapes_with_symbols():
    assert T.broadcast_shapes(("n", "h"), ("h",)) == ("n", "h")
    assert T.broadcast_shapes(("n", 1), (1, "k")) == ("n", "k")
    assert T.broadcast_shapes(("n",), ("m",)) == (None,)  # unknown: either may be 1
    assert T.broadcast_shapes(("n",), None) is None
    assert T.same_shape(("n", 3), ("n", 3)) and not T.same_shape(("n", None), ("n", None))


def test_parse_signature_type():
    assert T.parse_signature_type("float64[n, 3]") == T.array("float64", ("n", 3))
    assert T.parse_signature_type("f32[...]") == T.Type(dtype="float32", shape=None)
    assert T.parse_signature_type("float64") == T.array("float64", ())
    assert T.parse_signature_type("float") == T.PY_FLOAT


# ---- builder ----------------------------------------------------------------------


def test_type_inference_through_builder():
    x, W, bias = arr("x", "n", "d"), arr("W", "d", "h"), arr("b", "h")
    b = Builder(params=[x, W, bias])
    z = b.add(b.matmul(x, W), bias)
    assert z.type == T.array("float64", ("n", "h"))
    s = b.sum(z, axis=1, keepdims=True)
    assert s.type.shape == ("n", 1)
    assert b.mean(z).type.shape == ()


def test_constant_folding_keeps_types():
    b = Builder()
    assert b.static_value(b.sub(2, 1)) == 1 and isinstance(b.static_value(b.sub(2, 1)), int)
    assert b.static_value(b.mul(2.0, 3.0)) == 6.0
    # int / int is not folded (it would change int to float)
    assert b.static_value(b.div(1, 2), "missing") == "missing"


def test_x_times_one_and_zero_are_never_simplified():
    x = arr("x", "n")
    b = Builder(params=[x])
    y = b.mul(x, 1.0)
    z = b.mul(x, 0.0)
    assert y is not x and b.defs[y].opcode == "mul"  # no alias of the caller's array
    assert b.defs[z].opcode == "mul"  # not the integer 0: keeps NaN/inf, dtype
    assert b.pow(x, 1) is not x  # the user's `b = a ** 1` is a new array
    assert b.pow(x, 1.0) is not x  # x ** 1.0 may change an int dtype
    b.tag = "grad:gradients"
    assert b.pow(x, 1) is x  # in adjoint code, x ** 1 is x exactly


def test_shape_representatives():
    x = arr("x", "n", "d")
    b = Builder(params=[x])
    t = b.exp(x)
    s = b.shape(t)
    assert b.defs[s].operands == (x,)  # np.shape(x), not of a temporary
    c = b.shape(b.ones(b.const((2, 3))))
    assert b.static_value(c) == (2, 3)


def test_renamed_value_stays_the_shape_representative():
    # A fresh result renamed after its source variable (`h = np.zeros(...)`) is the
    # value np.shape(...) of its shape reads: never the old, undefined value.
    x = arr("x", "n")
    b = Builder(params=[x])
    z = b.zeros(b.tuple(b.getitem(b.shape(x), index=0), 2))
    h = b.replace_result(z, "h")
    s = b.shape(b.exp(h))
    assert all(z not in op.operands for op in b.ops)  # (np.shape(h), or h's dims as known)
    verify(fn_of(b, [x], s), "test")


def test_cast_of_a_python_number_is_a_numpy_scalar():
    b = Builder()
    one = b.const(1.0)
    assert b.defs[b.cast(one, "float32")].opcode == "float32"  # np.float32(1.0): no .astype
    assert b.defs[b.cast(b.ones(b.const((2,))), "float32")].opcode == "astype"


def test_stacked_type_of_a_sequence():
    seq = T.Type(kind="list", items=(T.PY_FLOAT, T.array("float32", ())))
    assert T.stacked(seq) == T.array("float64", (2,))  # a Python float in a list is float64
    rows = T.Type(kind="tuple", items=(T.array("float32", ("n", 3)),) * 2)
    assert T.stacked(rows) == T.array("float32", (2, "n", 3))
    assert T.shapes_differ((), ("n",)) and not T.shapes_differ(("n",), (None,))


# ---- printer and verifier -------------------------------------------------------------


def test_printer_is_stable_and_numbered():
    x = arr("x", "n")
    b = Builder(params=[x])
    h = b.emit("tanh", x, hint="h")
    h2 = b.emit("mul", h, h, hint="h")
    out = b.sum(h2, axis=0)
    text = print_function(fn_of(b, [x], out))
    assert text == (
        "func f(%x: float64[n]) {\n"
        "  %h = tanh(%x)  : float64[n]\n"
        "  %h.1 = mul(%h, %h)  : float64[n]\n"
        "  %t = sum(%h.1) {axis=0}  : float64[]\n"
        "  yield %t\n"
        "}\n"
    )


def test_verifier_reports_use_before_definition_with_a_window():
    x = arr("x", "n")
    ghost = arr("ghost", "n")
    b = Builder(params=[x])
    a = b.exp(x)
    b.append_op(Op("add", (a, ghost), (Value("t", a.type),)))
    fn = fn_of(b, [x], b.ops[-1].result)
    with pytest.raises(InternalError) as e:
        verify(fn, "test")
    assert "%ghost used before it is defined" in str(e.value)
    assert ">> " in str(e.value) and "exp(%x)" in str(e.value)


def test_verifier_reports_double_definition():
    x = arr("x", "n")
    b = Builder(params=[x])
    a = b.exp(x)
    b.append_op(Op("sin", (x,), (a,)))
    with pytest.raises(InternalError, match="defined twice"):
        verify(fn_of(b, [x], a), "test")


# ---- passes ----------------------------------------------------------------------------


def test_dce_removes_unused_ops_only():
    x = arr("x", "n")
    b = Builder(params=[x])
    b.sin(x)
    keep = b.cos(x)
    fn = dce.run(fn_of(b, [x], keep))
    assert [op.opcode for op in fn.body.ops] == ["cos"]


def test_cse_merges_equal_ops():
    x = arr("x", "n")
    b = Builder(params=[x])
    a1, a2 = b.exp(x), b.exp(x)
    out = b.add(a1, a2)
    fn = dce.run(cse.run(fn_of(b, [x], out)))
    assert [op.opcode for op in fn.body.ops] == ["exp", "add"]
    add = fn.body.ops[1]
    assert add.operands[0] is add.operands[1]
    verify(fn, "cse")


def test_broadcast_elision_only_when_absorbed():
    x = arr("x", "n", "d")
    b = Builder(params=[x])
    g = b.const(2.0)
    full = b.broadcast_to(g, b.shape(x))
    out = b.mul(full, x)  # x has the broadcast shape: absorbed
    fn = dce.run(broadcast.run(fn_of(b, [x], out)))
    assert [op.opcode for op in fn.body.ops] == ["const", "mul"]
    b2 = Builder(params=[x])
    full2 = b2.broadcast_to(b2.const(2.0), b2.shape(x))
    fn2 = broadcast.run(fn_of(b2, [x], full2))  # returned: must stay
    assert any(op.opcode == "broadcast_to" for op in fn2.body.ops)


def test_broadcast_elision_keeps_the_dtype():
    # np.broadcast_to(1.0, s) * x32 is float64; 1.0 * x32 would be float32 (a weak scalar)
    x = arr("x", "n", dtype="float32")
    b = Builder(params=[x])
    full = b.broadcast_to(b.const(1.0), b.shape(x))
    out = b.mul(full, x)
    fn = broadcast.run(fn_of(b, [x], out))
    assert any(op.opcode == "broadcast_to" for op in fn.body.ops)
    assert out.type.dtype == "float64"


def test_a_tuple_carries_its_items_activity():
    x = arr("x", "n")
    b = Builder(params=[x])
    pair = b.list(x, b.exp(x))
    y = b.sum(b.array(pair))
    assert pair in activity.analyze(b.ops, [x], [y], set())


def test_activity_respects_stops_and_integers():
    x = arr("x", "n")
    b = Builder(params=[x])
    a = b.exp(x)
    stopped = b.sin(a)
    i = b.argmax(a)  # integer: constant
    y = b.add(b.mul(stopped, a), i)
    act = activity.analyze(b.ops, [x], [y], {stopped})
    assert x in act and a in act and y in act
    assert stopped not in act and i not in act
    none = activity.analyze(b.ops, [x], [i], set())
    assert none == set()


def test_generated_names_never_shadow_builtins():
    from s2sgrad.codegen import Namespace

    ns = Namespace()
    assert ns(Value("sum")) == "sum_1"
    assert ns(Value(TEMP)) == "_t0" and ns(Value(TEMP)) == "_t1"
    assert ns(Value("t")) == "t"  # a user's variable t is not a temporary
    assert ns(Value("h")) == "h" and ns(Value("h")) == "h_1"
    assert ns(Value("lambda")) == "lambda_1"


def test_unbroadcast_helper_matches_numpy():
    from s2sgrad.ir.opcodes import OPS

    env = {"np": np}
    exec(OPS["unbroadcast"].helper, env)
    g = np.arange(24.0).reshape(2, 3, 4)
    assert np.array_equal(env["_unbroadcast"](g, (3, 1)), g.sum(axis=0).sum(axis=1, keepdims=True))
    assert np.array_equal(env["_unbroadcast"](g, (2, 3, 4)), g)


def test_values_and_ops_are_immutable():
    """Passes never mutate: Value, Op and Type refuse assignment after
    construction (a Type is equal to another with the same fields), and
    Op.replace makes a new op."""
    import dataclasses

    import pytest

    from s2sgrad.ir.core import Op, Value
    from s2sgrad.ir.types import Type

    v = Value("x")
    op = Op("neg", (v,), (Value("y"),))
    t = Type(dtype="float64", shape=(3,))
    assert t == Type(dtype="float64", shape=(3,)) and hash(t) == hash(
        Type(dtype="float64", shape=(3,))
    )
    assert t != Type(dtype="float32", shape=(3,)) and t != ("array", "float64", (3,), False, None)
    for obj, field in ((v, "hint"), (op, "opcode"), (op, "operands"), (t, "shape")):
        with pytest.raises(dataclasses.FrozenInstanceError):
            setattr(obj, field, None)
        with pytest.raises(dataclasses.FrozenInstanceError):
            delattr(obj, field)
    new = op.replace(opcode="exp")
    assert new is not op and new.opcode == "exp" and op.opcode == "neg"
    assert new.operands is op.operands and new.results is op.results
    with pytest.raises(TypeError):
        op.replace(opcod="exp")


def test_a_gradients_request_is_one_description_emitted_and_read_back():
    from s2sgrad.ir.gradients_op import GradientsCall
    from s2sgrad.options import GradientOptions

    t = T.Type(dtype="float64", shape=(3,))
    y, x1, x2, g, s = (Value(n, t) for n in ("y", "x1", "x2", "g", "s"))
    opts = GradientOptions.make(
        name="outer", gate_gradients=True, aggregation_method=1, unconnected_gradients="zero"
    )
    call = GradientsCall((y,), (x1, x2), (g,), (s,), opts)
    b = Builder(params=(y, x1, x2, g, s))
    d1, d2 = call.emit(b)
    (op,) = b.ops
    assert op.operands == (y, x1, x2, g, s) and op.results == (d1, d2)
    assert op.attr_dict == dict(
        n_ys=1,
        n_xs=2,
        n_grad_ys=1,
        n_stop=1,
        name="outer",
        gate=True,
        aggregation="tree",
        unconnected="zero",
    )
    assert GradientsCall.of(op) == call
    plain = GradientsCall((y,), (x1,))  # ones as seeds, no stops, the defaults
    made = plain.op((Value(TEMP, t),))
    assert GradientsCall.of(made) == plain and made.attr("n_grad_ys") == 0
    assert GradientsCall.of(call.with_xs((x2,)).op((d2,))).xs == (x2,)
