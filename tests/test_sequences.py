"""Tuples and lists where NumPy takes an array (s2sgrad/frontend/sequences.py).

`np.sum([a, 3.0 * a])` is `np.sum(np.array([a, 3.0 * a]))` in NumPy, so its
gradient is 4, never a silent 0 (`None` from `gradients`): the values in a
sequence keep their gradients through the stack. What NumPy cannot stack is
refused at the call, with file:line:col and what to write instead.
"""

import inspect

import numpy as np
import pytest
from numeric import central_difference

import s2sgrad

THIS_FILE = inspect.getsourcefile(inspect.currentframe())


# ---- the programs of the bug report: each differentiates ---------------------------


def array_of_scalars(a, b):
    return np.sum(np.array([a * b, a, 1.0]) * np.array([1.0, 2.0, 3.0]))


def asarray_of_scalars(a, b):
    return np.sum(np.asarray([a * b, a, 1.0]) ** 2)


def sum_of_list(a):
    return np.sum([a, 3.0 * a])


def mean_of_tuple(a):
    return np.mean((a, a + 2.0))


def dot_of_list(a, w):
    return np.dot([a, 3.0 * a], w)


def max_of_list(a, b):
    return np.max([a, 3.0 * b])


def prod_of_list(a, b):
    return np.prod([a, b, 2.0])


def stack_of_arrays(x, y):
    return np.sum(np.sin(np.array([x, y * x, x + 1.0])) * np.array([0.0, 1.0, 2.0])[:, None])


def nested_lists(x, y):
    return np.sum(np.array([[x, y], [y * x, 2.0 * x]]) ** 2)


def list_in_a_variable(a, b):
    pair = [a, a * b]
    return np.sum(np.exp(pair)) + np.maximum(pair, 0.5)[1]


def list_in_a_loop(x):
    total = 0.0
    for i in range(3):
        total = total + np.sum(np.array([x[i], x[i] * x[i]]) * (i + 1.0))
    return total


def tuple_from_a_conditional(a, c):
    t = (a, 2.0 * a) if c > 0 else (3.0 * a, a)
    return t[0] * t[1] + np.sum(np.array(t))


SCALARS = (0.7, np.float64(-1.3))
CASES = [
    (array_of_scalars, SCALARS),
    (asarray_of_scalars, SCALARS),
    (sum_of_list, (0.7,)),
    (mean_of_tuple, (0.7,)),
    (dot_of_list, (0.7, np.array([0.5, -2.0]))),
    (max_of_list, (0.9, 0.4)),
    (prod_of_list, (0.9, -0.4)),
    (stack_of_arrays, (np.array([0.3, -0.8]), np.array([1.2, 0.1]))),
    (nested_lists, (np.array([0.3, -0.8]), np.array([1.2, 0.1]))),
    (list_in_a_variable, (0.7, 1.1)),
    (list_in_a_loop, (np.array([0.3, -0.8, 1.5]),)),
    (tuple_from_a_conditional, (0.7, 1.0)),
    (tuple_from_a_conditional, (0.7, -1.0)),
]


@pytest.mark.parametrize("f, args", CASES, ids=lambda v: getattr(v, "__name__", ""))
def test_sequence_items_keep_their_gradients(f, args):
    wrt = tuple(i for i, a in enumerate(args) if np.asarray(a).dtype.kind == "f")
    value, grads = s2sgrad.value_and_grad(f, wrt=wrt)(*args)
    assert value == pytest.approx(f(*args), rel=1e-12)
    for i, g in zip(wrt, grads):
        assert np.shape(g) == np.shape(args[i])
        np.testing.assert_allclose(g, central_difference(f, args, i), rtol=1e-6, atol=1e-8)


def test_sum_of_a_list_is_four_not_zero():
    assert s2sgrad.grad(sum_of_list)(0.5) == 4.0


@s2sgrad.function
def through_gradients(a, w):
    y = np.dot([a, 3.0 * a], w) + np.sum(np.array([a * a, a]))
    return s2sgrad.gradients(y, [a])


def test_gradients_is_not_none():
    (d_a,) = through_gradients(0.5, np.array([1.0, 2.0]))
    assert d_a == pytest.approx(1.0 + 6.0 + 2 * 0.5 + 1.0)


def test_stack_keeps_each_items_dtype():
    x32, s = np.array([0.5, 1.5], dtype=np.float32), 2.0

    def f(x, s):
        return np.sum(np.array([x, s * x]))

    d_x, d_s = s2sgrad.grad(f, wrt=(0, 1))(x32, s)
    assert d_x.dtype == np.float32 and type(d_s) is float
    np.testing.assert_allclose(d_x, [3.0, 3.0])
    assert d_s == pytest.approx(2.0)


def test_generated_code_reads_like_numpy():
    g = s2sgrad.value_and_grad(sum_of_list)
    g(0.5)
    text = s2sgrad.source(g)
    assert "np.array([a, 3.0 * a])" in text  # the list, as NumPy reads it
    assert "_d0[0]" in text and "_d0[1]" in text  # its cotangent, split item by item


# ---- what NumPy cannot stack: refused, located --------------------------------------


def scalar_beside_array(a, v):
    return np.sum([a, v])  # mixed-shapes


def none_in_list(a):
    return np.sum(np.array([a, None]))  # none-item


def list_times_two(a):
    return np.sum([a, 1.0] * 2)  # list-arithmetic


def helper_of_pair(p):
    return p[0] * p[1]


def tuple_to_helper(a):
    return helper_of_pair((a, 3.0 * a))


def test_a_tuple_passed_to_a_helper_is_a_pytree_of_its_leaves():
    assert s2sgrad.grad(tuple_to_helper)(0.5) == pytest.approx(6 * 0.5)


def _located(info, marker):
    with open(THIS_FILE) as f:
        line = next(n for n, text in enumerate(f, 1) if text.rstrip().endswith(f"# {marker}"))
    msg = str(info.value)
    assert msg.startswith(f"{THIS_FILE}:{line}:"), msg
    assert isinstance(info.value, s2sgrad.S2SGradError)
    return msg


@pytest.mark.parametrize(
    "f, args, marker, fragments",
    [
        (
            scalar_beside_array,
            (0.5, np.ones(3)),
            "mixed-shapes",
            ["items of different shapes", "NumPy cannot stack", "np.full_like(v, s)"],
        ),
        (none_in_list, (0.5,), "none-item", ["item 1 of the list given to np.array is None"]),
        (
            list_times_two,
            (0.5,),
            "list-arithmetic",
            ["Python's sequence arithmetic", "np.array([a, b]) * v"],
        ),
    ],
    ids=lambda v: v if isinstance(v, str) else "",
)
def test_what_cannot_stack_is_refused(f, args, marker, fragments):
    with pytest.raises(NotImplementedError) as info:
        s2sgrad.grad(f)(*args)
    msg = _located(info, marker)
    for fragment in fragments:
        assert fragment in msg, msg


def integer_sizes(x):
    return np.prod(x.shape) * np.sum(x) + np.sum(np.zeros((len(x), 2)))


def test_integer_sequences_stay_as_written():
    g = s2sgrad.grad(integer_sizes)
    np.testing.assert_allclose(g(np.ones(3)), [3.0, 3.0, 3.0])
    text = s2sgrad.source(g)
    assert "np.prod(np.shape(x))" in text or "np.prod(" in text and "np.array(" not in text
