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


def h2(x):
    return x * 2.0, np.sin(x)  # refused: the tuple h2 returns


def return_in_loop(x):
    for i in range(3):
        if np.sum(x) > 10.0:
            return np.sum(x)  # refused
        x = x * 1.5
    return np.sum(x * x)


def helper_tuple(x):
    a, b = h2(x)
    return np.sum(a * b)


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


def appended(x):
    out = []
    for i in range(3):
        out.append(x[i] * 2.0)  # refused
    return np.sum(np.stack(out))


def comprehension(x):
    return np.sum(np.array([x[i] ** 2 for i in range(3)]))  # refused


def generator(x):
    return sum(x[i] ** 2 for i in range(3))  # refused


def local_lambda(x):
    sq = lambda v: v * v  # refused  # noqa: E731
    return np.sum(sq(x))


REFUSED = [
    (return_in_loop, "`return` inside a loop is not supported"),
    (helper_tuple, "which returns a tuple, is not supported"),
    (module_array, "name 'K' is not defined in the function"),
    (reversed_with_step, "reversed(range(a, b, step)) is not supported"),
    (index_after_loop, "'i' may be unassigned here"),
    (appended, "the list method .append() is not supported"),
    (comprehension, "a list comprehension is not supported"),
    (generator, "a generator is not supported"),
    (local_lambda, "a lambda is not supported"),
]


@pytest.mark.parametrize("fn, what", REFUSED, ids=lambda v: getattr(v, "__name__", ""))
def test_constructs_not_supported_yet_are_located_errors_with_a_fix(fn, what):
    with pytest.raises(s2sgrad.UnsupportedError) as info:
        s2sgrad.grad(fn)(X[:3].copy())
    msg = str(info.value)
    assert what in msg
    lines = open(__file__).read().splitlines()
    start = 0 if fn is helper_tuple else \
        next(i for i, text in enumerate(lines, 1) if f"def {fn.__name__}(" in text)
    marked = [i for i, text in enumerate(lines, 1) if "# refused" in text and i > start][0]
    assert re.search(rf"test_python_constructs\.py:{marked}:\d+: error:", msg), msg
    assert msg.count("\n") >= 3          # the quoted line, the caret, what to write instead
