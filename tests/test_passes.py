"""The passes around the reverse transform, on small IR, and the op traits they ask.

`unconnected.run` takes the xs with no path to a y out of each `gradients`
op; `stop_gradient.blocks` is where backprop stops; the `memory` trait of
each view-like op says what NumPy does (checked against NumPy itself).
"""

import numpy as np
import pytest

import s2sgrad
from s2sgrad import codegen, reverse
from s2sgrad.errors import InternalError, UnsupportedError
from s2sgrad.ir import indexing as I
from s2sgrad.ir import opcodes
from s2sgrad.ir import types as T
from s2sgrad.ir.builder import Builder
from s2sgrad.ir.core import Function, Region, Value
from s2sgrad.ir.opcodes import OPS
from s2sgrad.ir.printer import print_function
from s2sgrad.ir.verifier import verify
from s2sgrad.passes import activity, stop_gradient, unconnected


def arr(name, *shape, dtype="float64"):
    return Value(name, T.array(dtype, shape))


def fn_of(b, params, out, name="f"):
    return Function(
        name,
        tuple(params),
        tuple(p.hint for p in params),
        Region((), tuple(b.ops), (out,)),
        source_file="f.py",
    )


def gradients(b, ys, xs, stops=(), policy="zero"):
    res = b.emit(
        "gradients",
        *ys,
        *xs,
        *stops,
        nresults=len(xs),
        n_ys=len(ys),
        n_xs=len(xs),
        n_grad_ys=0,
        n_stop=len(stops),
        name="gradients",
        gate=False,
        aggregation="add_n",
        unconnected=policy,
    )
    return (res,) if len(xs) == 1 else tuple(res)


def ops_of(fn, opcode):
    return [op for op in fn.body.ops if op.opcode == opcode]


def run_generated(fn, *args):
    fn = reverse.expand(fn)
    verify(fn, "reverse")
    env = {}
    exec(codegen.generate(fn), env)
    return env[fn.name](*args)


# ---- unconnected ------------------------------------------------------------------------------


@pytest.mark.parametrize("policy", ["zero", "none"])
def test_unconnected_x_leaves_the_gradients_op(policy):
    x, w = arr("x", 3), arr("w", 3)
    b = Builder(params=[x, w])
    y = b.sum(b.sin(x))
    d_x, d_w = gradients(b, [y], [x, w], policy=policy)
    fn = unconnected.run(fn_of(b, [x, w], b.tuple(d_x, d_w)))
    verify(fn, "unconnected")
    (g,) = ops_of(fn, "gradients")
    assert g.operands == (y, x) and g.attr("n_xs") == 1 and g.results == (d_x,)
    out = fn.body.ops[-1]
    assert out.opcode == "tuple" and out.operands[0] is d_x
    made = fn.body.ops[fn.body.ops.index(g) + 1]  # right after the op, as its output
    assert made.results == (out.operands[1],) and made.tag == "out:gradients"
    if policy == "zero":
        assert made.opcode == "zeros_like" and made.operands == (w,)
        assert made.result.hint == "d_w" and out.result.type.items[1] == w.type
    else:
        assert made.opcode == "const" and made.attr("value") is None
    got = run_generated(fn, np.array([0.1, 0.2, 0.3]), np.ones(3))
    np.testing.assert_allclose(got[0], np.cos([0.1, 0.2, 0.3]))
    assert got[1] is None if policy == "none" else np.array_equal(got[1], np.zeros(3))


def test_the_verifier_checks_what_unconnected_leaves():
    x, w = arr("x", 3), arr("w", 3)
    b = Builder(params=[x, w])
    y = b.sum(b.sin(x))
    fn = fn_of(b, [x, w], b.tuple(*gradients(b, [y], [x, w])))
    verify(fn, "attach")
    with pytest.raises(InternalError, match=r"keeps xs that reach none of its ys: %w"):
        verify(fn, "unconnected")
    verify(unconnected.run(fn), "unconnected")


def test_every_x_unconnected_removes_the_gradients_op():
    x = arr("x", 3)
    b = Builder(params=[x])
    y = b.sum(b.floor(x))  # floor is declared constant
    (d_x,) = gradients(b, [y], [x], policy="none")
    fn = unconnected.run(fn_of(b, [x], b.list(d_x)))
    verify(fn, "reverse")  # no gradients op is left
    assert not ops_of(fn, "gradients")
    assert run_generated(fn, np.ones(3)) == [None]


def test_a_python_float_x_gets_a_python_zero():
    c = Value("c", T.PY_FLOAT)
    x = arr("x", 2)
    b = Builder(params=[x, c])
    y = b.sum(b.exp(x))
    d_x, d_c = gradients(b, [y], [x, c])
    fn = unconnected.run(fn_of(b, [x, c], b.tuple(d_x, d_c)))
    (zero,) = [op for op in fn.body.ops if op.opcode == "const" and op.result.hint == "d_c"]
    assert zero.attr("value") == 0.0
    assert run_generated(fn, np.ones(2), 2.0)[1] == 0.0


def test_unconnected_follows_the_stops():
    x, w = arr("x", 3), arr("w", 3)
    b = Builder(params=[x, w])
    h = b.mul(x, w)
    y = b.sum(b.add(b.mul(h, 2.0), w))
    d_x, d_w, d_h = gradients(b, [y], [x, w, h], stops=[h])
    fn = unconnected.run(fn_of(b, [x, w], b.tuple(d_x, d_w, d_h)))
    (g,) = ops_of(fn, "gradients")
    assert g.operands[1:3] == (w, h) and g.operands[3:] == (h,)  # x's one path is through h
    assert g.attrs == tuple(sorted(dict(g.attr_dict, n_xs=2).items()))
    got = run_generated(fn, np.ones(3), np.full(3, 2.0))
    for have, want in zip(got, [np.zeros(3), np.ones(3), np.full(3, 2.0)]):
        np.testing.assert_allclose(have, want)


def test_an_all_connected_call_is_left_as_it_is():
    x, w = arr("x", 3), arr("w", 3)
    b = Builder(params=[x, w])
    y = b.sum(b.mul(x, w))
    fn = fn_of(b, [x, w], b.tuple(*gradients(b, [y], [x, w])))
    assert print_function(unconnected.run(fn)) == print_function(fn)


def test_a_later_call_reading_an_earlier_one_keeps_its_xs():
    """The second call's y reads the first call's result, whose expansion reads h (made
    from z); the stop at s is the second call's, and s is not on that path: z is
    connected (d/dz sum(2 z) = 2), though z reaches the first call's ys only through s."""
    z, u = arr("z", 3), arr("u", 3)
    b = Builder(params=[z, u])
    h = b.mul(z, 2.0, hint="h")
    s = b.mul(h, u, hint="s")
    (g1,) = gradients(b, [b.sum(s)], [u])
    loss2 = b.sum(g1)
    d_z, d_u = gradients(b, [loss2], [z, u], stops=[s])
    fn = unconnected.run(fn_of(b, [z, u], b.tuple(d_z, d_u)))
    second = ops_of(fn, "gradients")[1]
    assert z in second.operands[1:3]
    assert unconnected.unconnected(fn.body.ops[: fn.body.ops.index(second)], second, [z, u]) == []
    got = s2sgrad.function(_two_calls)(np.ones(3), np.ones(3))
    np.testing.assert_allclose(got[0], np.full(3, 2.0))


def _two_calls(z, u):
    h = z * 2.0
    s = h * u
    (g1,) = s2sgrad.gradients(np.sum(s), [u])
    return s2sgrad.gradients(np.sum(g1), [z, u], stop_gradients=[s], unconnected_gradients="zero")


# ---- where backprop stops -----------------------------------------------------------------------


def test_backprop_stops_at_constant_ops_and_listed_values():
    x = arr("x", 3)
    b = Builder(params=[x])
    a = b.exp(x)
    sg = b.stop_gradient(a)
    f = b.floor(a)
    m = b.mul(a, sg)
    ops = {op.result: op for op in b.ops}
    assert stop_gradient.blocks(ops[sg], set()) and stop_gradient.blocks(ops[f], set())
    assert not stop_gradient.blocks(ops[m], set()) and stop_gradient.blocks(ops[m], {m})
    act = activity.analyze(b.ops, [x], [b.add(m, f)], set())
    assert a in act and sg not in act and f not in act


def test_a_tuple_inside_a_callee_tuple_carries_activity():
    """`a, (b, c) = f(x)`: the inner tuple is an item of the call's tuple (`getitem`, whose
    result may hold its operand's items). It was inactive, and the gradient silently None;
    the sweep now reaches it and refuses, naming the helper (a flat tuple of arrays and
    numbers is differentiated; one holding a tuple is not)."""

    def f(x):
        return x, (x * 2.0, x * 3.0)

    def g(x):
        a, (b, c) = f(x)
        return np.sum(c)

    with pytest.raises(UnsupportedError, match="which returns a tuple holding a tuple or list"):
        s2sgrad.grad(g)(np.ones(3))


# ---- the memory trait against NumPy -----------------------------------------------------------

X = np.arange(6.0).reshape(2, 3)


def _index(key, *dyn):
    def build(b, x):
        return b.index(x, *[b.const(d) if not isinstance(d, Value) else d for d in dyn], key=key)

    return build


MEMORY_CASES = [  # (what, build the op on x: float64[2, 3], the same in NumPy, memory)
    ("x.T", lambda b, x: b.T(x), lambda a: a.T, "view"),
    ("np.transpose", lambda b, x: b.transpose(x), np.transpose, "view"),
    (
        "np.expand_dims",
        lambda b, x: b.expand_dims(x, axis=0),
        lambda a: np.expand_dims(a, 0),
        "view",
    ),
    ("np.squeeze", lambda b, x: b.squeeze(x), np.squeeze, "view"),
    (
        "np.broadcast_to",
        lambda b, x: b.broadcast_to(x, (4, 2, 3)),
        lambda a: np.broadcast_to(a, (4, 2, 3)),
        "view",
    ),
    ("stop_gradient", lambda b, x: b.stop_gradient(x), lambda a: a, "view"),
    ("np.asarray", lambda b, x: b.asarray(x), np.asarray, "view"),
    (
        "np.asarray float64",
        lambda b, x: b.asarray(x, dtype="float64"),
        lambda a: np.asarray(a, dtype=np.float64),
        "view",
    ),
    (
        "np.asarray float32",
        lambda b, x: b.asarray(x, dtype="float32"),
        lambda a: np.asarray(a, dtype=np.float32),
        "new",
    ),
    ("np.float64", lambda b, x: b.float64(x), np.float64, "view"),
    ("np.float32", lambda b, x: b.float32(x), np.float32, "new"),
    ("x[1]", _index((1,)), lambda a: a[1], "view"),
    ("x[:, 1:]", _index((None, (1, None, None))), lambda a: a[:, 1:], "view"),
    ("x[None, ..., 0]", _index((None, I.ELLIPSIS, 0)), lambda a: a[None, ..., 0], "view"),
    ("x[[1, 0]]", _index((I.DYN,), [1, 0]), lambda a: a[[1, 0]], "new"),
    ("x[x > 2]", lambda b, x: b.index(x, b.gt(x, 2.0), key=(I.DYN,)), lambda a: a[a > 2], "new"),
    ("x.astype", lambda b, x: b.astype(x, dtype="float64"), lambda a: a.astype(np.float64), "new"),
    ("np.copy", lambda b, x: b.copy(x), np.copy, "new"),
    ("x + 1", lambda b, x: b.add(x, 1.0), lambda a: a + 1.0, "new"),
    ("np.sum", lambda b, x: b.sum(x, axis=0), lambda a: np.sum(a, axis=0), "new"),
    ("np.array", lambda b, x: b.array(x), np.array, "new"),
]


@pytest.mark.parametrize("what,build,numpy_fn,want", MEMORY_CASES, ids=[c[0] for c in MEMORY_CASES])
def test_memory_trait_is_what_numpy_does(what, build, numpy_fn, want):
    x = arr("x", 2, 3)
    b = Builder(params=[x])
    r = build(b, x)
    op = b.defs[r]
    assert opcodes.memory(op) == want
    a = X.copy()
    got = numpy_fn(a)
    assert (got is a or np.shares_memory(got, a)) == (want == "view")
    assert OPS[op.opcode].read_only == (isinstance(got, np.ndarray) and not got.flags.writeable)


def test_maybe_views_are_either():
    """np.reshape is a view of a contiguous array and a copy of a transposed one;
    _unbroadcast hands g back itself when nothing is summed."""
    assert OPS["reshape"].memory == OPS["unbroadcast"].memory == "maybe"
    assert np.shares_memory(np.reshape(X, (3, 2)), X)
    assert not np.shares_memory(np.reshape(X.T, (6,)), X)
    env = {"np": np}
    exec(OPS["unbroadcast"].helper, env)
    assert env["_unbroadcast"](X, (2, 3)) is X
    assert not np.shares_memory(env["_unbroadcast"](X, (1, 3)), X)


def test_traits_are_from_the_closed_sets():
    for name, d in OPS.items():
        assert callable(d.memory) or d.memory in opcodes.MEMORY, name
        assert d.effect in opcodes.EFFECTS, name
        assert not d.statement or not d.inline, f"{name}: a statement is never inlined"
        assert not (d.constant and d.structural), name
        if d.form[0] != "special":
            assert d.retype and d.memory is not None, name


UNKNOWN_SHAPES = """\
import s2sgrad


@s2sgrad.function
def f(x: "float64[...]", y: "float64[...]", g: "float64[...]"):
    return s2sgrad.gradients(x + y, [x, y], grad_ys=[g])
"""


def test_a_gradient_through_unbroadcast_owns_its_memory(tmp_path):
    """`_unbroadcast(g, shape)` is g itself when nothing is summed (`memory` 'maybe'):
    handed back as a gradient, it is copied, never the caller's grad_ys array."""
    from s2sgrad import cli

    path = tmp_path / "unknown.py"
    path.write_text(UNKNOWN_SHAPES)
    text = cli.emit_text(str(path))
    assert "_seed_shape(g, x + y, 0)" in text and "_unbroadcast(_t0, np.shape(x))" in text
    env = {}
    exec(text, env)
    g = np.arange(3.0)
    d_x, d_y = env["f"](np.ones(3), np.ones(3), g)
    np.testing.assert_array_equal(d_x, g)
    assert not np.shares_memory(d_x, g) and not np.shares_memory(d_y, g)
    assert not np.shares_memory(d_x, d_y)


# ---- passes/ones.py: products with one folded ----------------------------------------


def _times_ones(x, w):
    t = np.sin(x)
    return np.sum(t * w) + np.sum(x * w)


def _times_ones_broadcast(x, w):
    return np.sum(np.tanh(x) * w) + np.sum(w)


def test_a_product_with_one_is_its_operand_and_never_the_callers_array():
    """d/dw sum(t * w) is t itself (no `t * 1.0` pass), d/dw sum(x * w) is x's numbers in
    an array of the gradient's own: the caller's x is never handed back."""
    x, w = np.linspace(0.1, 1.0, 5), np.linspace(-1.0, 1.0, 5)
    g = s2sgrad.grad(_times_ones, wrt=(0, 1))
    d_x, d_w = g(x, w)
    np.testing.assert_array_equal(d_w, np.sin(x) + x)
    np.testing.assert_allclose(d_x, np.cos(x) * w + w)
    assert not np.shares_memory(d_w, x) and not np.shares_memory(d_x, w)
    src = s2sgrad.source(g)
    assert "* 1.0" not in src and "1.0 *" not in src, src
    s2sgrad.check_grads(_times_ones, (0, 1), x, w)


@pytest.mark.parametrize("n", [1, 4])
def test_ones_of_a_size_not_known_equal_are_not_folded(n):
    """np.broadcast_to(1.0, w.shape) * v with v of an unknown size: v may be a row of one
    that the product broadcasts; folding it would give the wrong shape."""
    x, w = np.linspace(0.1, 1.0, n), np.linspace(-1.0, 1.0, 4)
    for f in (_times_ones_broadcast,):
        got = s2sgrad.grad(f, wrt=(0, 1))(x, w)
        s2sgrad.check_grads(f, (0, 1), x, w)
        assert got[0].shape == x.shape and got[1].shape == w.shape


def _negated_products(x, y):
    e = np.sin(x) * y
    return np.sum(np.cos(e) * 3.0 - x * np.exp(-e * y))


def test_a_negated_product_in_a_sum_is_a_difference():
    """`a - (-u) * w` is written `a + u * w` (negation.py): the same numbers bit for bit
    (an IEEE product's sign is exact), no negation printed, no pass over memory for it."""
    x, y = np.linspace(0.1, 1.0, 6), np.linspace(-1.0, 2.0, 6)
    g = s2sgrad.grad(_negated_products, wrt=(0, 1))
    src = s2sgrad.source(g, x, y)
    assert "- -" not in src and "+ -" not in src and "-(" not in src, src
    s2sgrad.check_grads(_negated_products, (0, 1), x, y)
