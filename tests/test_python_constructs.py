"""Python as users write it (issue 8): each construct either works (checked against central
differences) or is a located UnsupportedError with what to write instead, never a silently
different number. The ones that do not work yet are listed here as such."""

import re

import numpy as np
import pytest

import s2sgrad
from numeric import central_difference

K = np.array([1.0, 2.0, 3.0])
X = np.array([0.3, -0.5, 0.8, 1.1])


def reversed_range(x, n):
    s = 0.0
    for i in reversed(range(n)):
        s = s * 0.5 + x[i] * i
    for j in reversed(range(1, n)):
        s = s + x[j] * x[j - 1]
    return s


def negative_step(x, n):
    s = 0.0
    for i in range(n - 1, -1, -2):
        s = s * 0.5 + x[i]
    return s


@pytest.mark.parametrize("fn", [reversed_range, negative_step], ids=lambda f: f.__name__)
@pytest.mark.parametrize("n", [0, 1, 3, 4])
def test_ranges_backwards_work(fn, n):
    value, g = s2sgrad.value_and_grad(fn)(X, n)
    assert value == pytest.approx(fn(X, n))
    np.testing.assert_allclose(g, central_difference(fn, [X, n], 0), rtol=1e-6, atol=1e-9)


def return_in_loop(x):
    for i in range(3):
        if np.sum(x) > 10.0:
            return np.sum(x)  # refused
        x = x * 1.5
    return np.sum(x * x)


def module_array(x):
    return np.sum(x * K)  # refused


def reversed_with_step(x):
    s = 0.0
    for i in reversed(range(0, 4, 2)):  # refused
        s = s + x[i]
    return s


def index_after_loop(x):
    for i in range(3):
        x = x * 0.9
    return np.sum(x) * i  # refused


def generator_in_np_sum(x):
    return np.sum(x[i] ** 2 for i in range(3))  # refused


def generator_in_np_array(x):
    return np.sum(np.array(x[i] ** 2 for i in range(3)))  # refused


def list_alias(x):
    out = []
    b = out
    for i in range(3):
        out.append(x[i] * 2.0)  # refused
    return np.sum(np.stack(b))


def list_alias_in_loop(x):
    out = [x]
    for i in range(3):
        b = out  # refused
        out.append(x * i)
    return np.sum(np.stack(b))


def list_returned(x):
    out = []
    out.append(x)
    return out  # refused


def list_pop(x):
    out = [x, x * 2.0]
    out.append(x)
    v = out.pop()  # refused
    return np.sum(v)


def ragged_items(x):
    out = []
    for i in range(3):
        out.append(x[:i])
    return np.sum(np.concatenate(out))  # refused


def items_of_two_shapes(x):
    out = [x]
    out.append(x[None])  # refused
    return np.sum(np.stack(out))


def nested_comprehension(x):
    return np.sum(np.array([[x[i] * j for j in range(2)] for i in range(3)]))  # refused


def appended_then_written(x):
    y = x * 2.0
    out = []
    for i in range(2):
        out.append(y)
        y[i] = 5.0 * x[i]  # refused
    return np.sum(np.stack(out) * x)


def item_written_in_place(x):
    out = [x * 1.0]
    for i in range(2):
        h = out[-1]
        h *= 2.0  # refused
        out.append(h * x)
    return np.sum(np.stack(out) * x)


def appended_while_iterated(x):
    out = [x]
    for v in out:
        if np.sum(v) < 3.0:
            out.append(v * 2.0)  # refused
    return np.sum(np.stack(out))


def nested_tuple_returned(x):
    a, b = nested_pair(x)
    return np.sum(b * a[0])


def nested_pair(x):
    return (np.sin(x), x), x * 2.0  # refused


def h1(xs):
    return np.sum(np.stack(xs))


def list_to_helper(x):
    out = []
    out.append(x)
    return h1(out)  # refused


def local_lambda(x):
    sq = lambda v: v * v  # refused  # noqa: E731
    return np.sum(sq(x))


REFUSED = [
    (return_in_loop, "`return` inside a loop is not supported"),
    (module_array, "name 'K' is not defined in the function"),
    (reversed_with_step, "reversed(range(a, b, step)) is not supported"),
    (index_after_loop, "'i' may be unassigned here"),
    (generator_in_np_sum, "a generator expression is supported inside sum(...) only"),
    (generator_in_np_array, "a generator expression is supported inside sum(...) only"),
    (list_alias, "is another name for the list 'out'"),
    (list_alias_in_loop, "would be another name for the list 'out'"),
    (list_returned, "returning a list built with append is not supported"),
    (list_pop, "the list method .pop() is not supported"),
    (ragged_items, "the gradient through np.concatenate(out) of a list built with append "
                   "needs its items to have one shape s2sgrad knows"),
    (items_of_two_shapes, "the items of a list built with append have one shape"),
    (nested_comprehension, "an item appended to a list must be an array or a number"),
    (list_to_helper, "passing a list built with append to h1 is not supported"),
    (nested_tuple_returned, "which returns a tuple holding a tuple or list, is not supported"),
    (appended_then_written, "the list 'out' may hold 'y'"),
    (appended_while_iterated, "this loop iterates over the list 'out' and appends to it"),
    (item_written_in_place, "the list 'out' may hold 'h'"),
    (local_lambda, "a lambda is not supported"),
]


@pytest.mark.parametrize("fn, what", REFUSED, ids=lambda v: getattr(v, "__name__", ""))
def test_constructs_not_supported_yet_are_located_errors_with_a_fix(fn, what):
    with pytest.raises(s2sgrad.UnsupportedError) as info:
        s2sgrad.grad(fn)(X[:3].copy())
    msg = str(info.value)
    assert what in msg
    lines = open(__file__).read().splitlines()
    start = next(i for i, text in enumerate(lines, 1) if f"def {fn.__name__}(" in text)
    marked = [i for i, text in enumerate(lines, 1) if "# refused" in text and i > start][0]
    assert re.search(rf"test_python_constructs\.py:{marked}:\d+: error:", msg), msg
    assert msg.count("\n") >= 3          # the quoted line, the caret, what to write instead


# ---- helpers returning tuples, lists built with append, comprehensions (issue 8, part B) ----

def pair(x):
    return x * 2.0, np.sin(x)


def pair_in_branch(x):
    if np.sum(x) > 0.2:
        return x * 2.0, np.sin(x)
    return np.cos(x), x * x


def scaled(x, k):
    return x * k, k, np.cos(x)


def helper_tuple(x):
    a, b = pair(x)
    return np.sum(a * b)


def helper_tuple_indexed(x):
    t = pair(x)
    u, k, c = scaled(x, 3)
    s = np.sum(t[0] * c)
    for i in range(k):                 # k is the helper's constant 3: a static bound
        s = s + t[1][i] * u[i]
    return s


def helper_tuple_in_loop_and_branch(x):
    s = 0.0
    for i in range(3):
        if np.sum(x) > i:
            a, b = pair_in_branch(x * i)
        else:
            b, a = pair(x)
        s = s + np.sum(a * b)
    _, second = pair(x)                # one item unread: its adjoint is zeros
    return s + np.sum(second)


def constant_pair(a, b):
    return b * 2.0, np.sum(b)


def helper_tuple_without_tangents(x):
    p, q = constant_pair(x, np.ones(4))     # (forward mode: its tangents are zeros of each item)
    return np.sum(p) + q + np.sum(x * x)


def appended_stack(x):
    out = []
    for i in range(3):
        out.append(x[i] * 2.0)
    return np.sum(np.stack(out) ** 2)


def appended_rnn(x):
    hs = [x]
    for i in range(3):
        hs.append(np.tanh(hs[-1] * 1.5 + x[i]))
    s = 0.0
    for h in hs:
        s = s + np.sum(h * h)
    return s + np.sum(sum(hs)) + len(hs) + np.sum(hs[1] * hs[len(hs) - 1])


def appended_in_branches(x, n):
    out = []
    k = 0
    while k < n:
        if np.sum(x) * k > 0.5:
            out.append(x * k)
        else:
            out.append(np.sin(x))
            out.append(x ** 2)
        k = k + 1
    out.append(x)
    return np.sum(np.array(out) ** 2) + np.sum(np.concatenate(out)) + np.mean(out)


def appended_then_read_then_appended(x):
    out = [x]
    for i in range(3):
        out.append(x * i)
    s = 0.0
    for v in out:                      # the reverse reads the list as it was here
        s = s + np.sum(v * x)
    out.append(x * 5.0)
    return s + np.sum(np.stack(out, axis=1)[-1]) + len(out)


def comprehension(x):
    return np.sum(np.array([x[i] ** 2 for i in range(3)]))


def comprehension_rows_filtered(x):
    W = np.outer(x, x)
    i = 2                              # comprehension variables do not leak
    rows = np.stack([np.sin(W @ v) for v in W if np.sum(v) > 0.0])
    return np.sum(rows) * x[i] + np.sum([v * 2.0 for v in (x, x ** 2)])


def comprehension_of_a_name_written_later(x):
    y = x * 1.0
    s = 0.0
    for i in range(2):
        s = s + np.sum(np.array([y for c in range(3)]))
        y += 1.0                       # (the list, read at once, is gone: no alias to refuse)
    return s + np.sum(y * x)


def generator(x):
    return sum(x[i] ** 2 for i in range(3) if i != 1) + sum(x[i] for i in range(0))


def generator_of_nothing(x, n):
    s = sum(x[i] * x[i + 1] for i in range(n))    # n = 0: the int 0, as Python's sum
    return s + np.sum(x)


WORKING = [helper_tuple, helper_tuple_indexed, helper_tuple_in_loop_and_branch,
           helper_tuple_without_tangents, appended_stack,
           appended_rnn, appended_then_read_then_appended, comprehension,
           comprehension_rows_filtered, comprehension_of_a_name_written_later, generator]


@pytest.mark.parametrize("fn", WORKING, ids=lambda f: f.__name__)
def test_part_b_constructs_work_in_both_modes(fn):
    x = X.copy()
    value, g = s2sgrad.value_and_grad(fn)(x)
    assert value == pytest.approx(fn(x), rel=1e-12)
    np.testing.assert_allclose(g, central_difference(fn, [x], 0), rtol=1e-6, atol=1e-8)
    v = np.array([0.3, -1.1, 0.4, 0.9])
    out, tangent = s2sgrad.jvp(fn, (x,), (v,))
    assert out == pytest.approx(fn(x), rel=1e-12)
    assert tangent == pytest.approx(central_difference(fn, [x], 0) @ v, rel=1e-6, abs=1e-8)


@pytest.mark.parametrize("fn", [appended_in_branches, generator_of_nothing],
                         ids=lambda f: f.__name__)
@pytest.mark.parametrize("n", [0, 1, 3])
def test_part_b_trip_counts(fn, n):
    x = X.copy()
    if fn is appended_in_branches:
        x = x if n != 1 else -x
    value, g = s2sgrad.value_and_grad(fn)(x, n)
    expected = fn(x, n)
    assert value == pytest.approx(expected, rel=1e-12)
    assert type(value) is type(expected) or n != 0 or fn is not generator_of_nothing
    np.testing.assert_allclose(g, central_difference(fn, [x, n], 0), rtol=1e-6, atol=1e-8)
    out, tangent = s2sgrad.jvp(fn, (x, n), (np.ones(4), None))
    assert out == pytest.approx(expected, rel=1e-12)


def empty_sum(x, n):
    return sum(x[i] for i in range(n)) + 0.0 * x[0]


def test_an_empty_generator_sums_to_the_int_zero():
    value = s2sgrad.value_and_grad(empty_sum)(X, 0)[0]
    assert value == 0 and value == empty_sum(X, 0)


def test_the_generated_list_is_appended_in_place_and_its_reverse_takes_the_last_row():
    g = s2sgrad.grad(appended_rnn)
    g(X)
    text = s2sgrad.source(g)
    assert "hs = [x]" in text and "hs.append(" in text and ".copy()" not in text
    assert "[:-1]" in text and "[-1]" in text           # the reverse of an append
    assert "sum(hs)" in text and "len(hs)" in text       # the readers, as the source wrote them
