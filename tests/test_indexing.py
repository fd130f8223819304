"""Indexing reads and writes: type inference against NumPy, keys rendered as
written, writes that never touch the caller's arrays, in-place writes only
where nothing can tell, and random programs of reads and writes (views and
aliases included) that must compute what plain Python computes, with
gradients that match central differences.
"""

import importlib.util
import itertools
import sys
import textwrap

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from rules_cases import central_difference

import s2sgrad
from s2sgrad.ir import indexing as I
from s2sgrad.ir import types as T

# ---- type inference: shapes and views, as NumPy has them ---------------------------------


@st.composite
def keys(draw):
    """(x shape, key, dyn values): a random index of ints, slices, None, ..., integer
    arrays and boolean masks."""
    shape = tuple(draw(st.lists(st.integers(1, 4), min_size=1, max_size=3)))
    items, dyn, axis, ellipsis = [], [], 0, False
    for _ in range(draw(st.integers(0, len(shape) + 1))):
        kind = draw(st.sampled_from(["int", "slice", "newaxis", "ellipsis", "array", "mask"]))
        if kind == "newaxis":
            items.append(None)
            continue
        if kind == "ellipsis":
            if not ellipsis:
                items.append(I.ELLIPSIS)
                ellipsis = True
            continue
        if axis >= len(shape):
            break
        d = shape[axis]
        if kind == "int":
            i = draw(st.integers(-d, d - 1))
            if draw(st.booleans()):
                items.append(i)
            else:
                items.append(I.DYN)
                dyn.append(np.int64(i))
        elif kind == "slice":
            b = st.one_of(st.none(), st.integers(-d - 1, d + 1))
            items.append((draw(b), draw(b), draw(st.sampled_from([None, 1, 2, -1, -3]))))
        elif kind == "array":
            n = draw(st.integers(1, 3))
            items.append(I.DYN)
            dyn.append(np.array(draw(st.lists(st.integers(-d, d - 1), min_size=n, max_size=n))))
        else:
            items.append(I.DYN)
            dyn.append(np.array(draw(st.lists(st.booleans(), min_size=d, max_size=d))))
        axis += 1
    return shape, tuple(items), dyn


def numpy_key(key, dyn):
    out = []
    for item in I.resolve(key, dyn):
        if item.kind == "slice":
            out.append(slice(*item.value))
        elif item.kind == "newaxis":
            out.append(None)
        elif item.kind == "ellipsis":
            out.append(Ellipsis)
        else:
            out.append(item.value)
    return tuple(out)


@settings(max_examples=300, deadline=None)
@given(keys())
def test_result_shape_and_views_match_numpy(case):
    shape, key, dyn = case
    x = np.arange(float(np.prod(shape))).reshape(shape)
    try:
        res = x[numpy_key(key, dyn)]
    except IndexError:
        assume(False)
    types_ = [T.Type(dtype=np.asarray(d).dtype.name, shape=np.shape(d)) for d in dyn]
    inferred = I.result_shape(shape, key, types_)
    assert inferred is not None and len(inferred) == np.ndim(res)
    for mine, real in zip(inferred, np.shape(res)):
        assert mine is None or mine == real  # None: a mask's count
    assert I.check(T.Type(dtype="float64", shape=shape), key, types_) is None
    if np.size(res):
        assert I.is_view(T.Type(dtype="float64", shape=shape), key, types_) == np.shares_memory(
            res, x
        )


def test_too_many_indices_is_found():
    t = T.Type(dtype="float64", shape=(3, 4))
    assert "too many indices" in I.check(t, (0, 1, 2), [])
    assert "too many indices" in I.check(t, (I.DYN, 0), [T.Type(dtype="bool", shape=(3, 4))])
    assert I.check(t, (None, 0, I.ELLIPSIS, 1, None), []) is None
    assert "single ellipsis" in I.check(t, (I.ELLIPSIS, I.ELLIPSIS), [])


# ---- generated code: keys as in the source ------------------------------------------------


def reads(x, i):
    a = x[1:, None, ..., i]
    b = x[::-1, -2]
    c = x[x > 0]
    d = x[[0, 2, 2], 1:3]
    return np.sum(a) + np.sum(b) + np.sum(c) + np.sum(d)


def test_keys_are_written_as_in_the_source():
    x = np.arange(12.0).reshape(3, 4) - 5.0
    g = s2sgrad.grad(reads, wrt=0)
    d = g(x, np.argmax(x[0]))  # a runtime int (np.int64): not part of the key
    text = s2sgrad.source(g, x, np.argmax(x[0]))
    for line in [
        "a = x[1:, None, ..., i]",
        "b = x[::-1, -2]",
        "c = x[_t0]",
        "d = x[_t1, 1:3]",
        "d_x[1:, None, ..., i] += d_a",
        "np.add.at(d_x, np.s_[_t1, 1:3], d_d)",
    ]:
        assert line in text, text
    expected = np.zeros_like(x)
    expected[1:, 3] += 1
    expected[:, -2] += 1
    expected[x > 0] += 1
    np.add.at(expected, np.s_[[0, 2, 2], 1:3], 1.0)
    np.testing.assert_array_equal(d, expected)


# ---- writes into arguments: on a copy --------------------------------------------------------


@s2sgrad.function
def normalise_in_place(x):
    x[0] = 0.0
    x[1:] /= np.sum(x[1:])
    return x


def scaled_first(x, w):
    x[0] *= w
    return np.sum(x * x)


def test_writes_into_an_argument_leave_the_callers_array_alone():
    x = np.array([5.0, 1.0, 3.0])
    keep = x.copy()
    out = normalise_in_place(x)
    np.testing.assert_array_equal(x, keep)
    np.testing.assert_allclose(out, [0.0, 0.25, 0.75])
    text = s2sgrad.source(normalise_in_place)
    assert "x_1 = x.copy(order='K')" in text and "x[0] = 0.0" not in text

    g = s2sgrad.grad(scaled_first, wrt=(0, 1))
    dx, dw = g(x, 2.0)
    np.testing.assert_array_equal(x, keep)
    np.testing.assert_allclose(dx, [2 * 5.0 * 2.0**2, 2.0, 6.0])
    np.testing.assert_allclose(dw, 2 * 5.0**2 * 2.0)


# ---- in place only where nothing can tell --------------------------------------------------


def fill(x):
    y = np.zeros(4)
    y[0] = np.sum(x)
    y[1:] = x[:3] * 2.0
    return np.sum(y * y)


def old_value_needed(x):
    y = np.exp(x)
    y[0] = 0.0  # the reverse sweep of exp reads y's old value: copy first
    return np.sum(y)


def view_read_after(x):
    y = x * 2.0
    v = y[1:3]
    t = np.sum(v)
    y[1] = 0.0  # v, a view, sees the write: v is taken again from the new y
    return t + np.sum(v * x[:2])


def augmented(x):
    y = x * 1.0
    y[0] += x[1]
    y[2] *= x[0]
    return np.sum(y * y)


@pytest.mark.parametrize(
    "fn, present, absent",
    [
        (fill, ["y = np.zeros(4)", "y[0] = np.sum(x)", "y[1:] = x[:3] * 2.0"], [".copy()"]),
        (old_value_needed, ["y_1 = y.copy()", "y_1[0] = 0.0"], ["    y[0] = 0.0"]),
        (view_read_after, ["t = np.sum(v)", "y[1] = 0.0", "v_1 = y[1:3]"], [".copy()"]),
        (augmented, ["y[0] += x[1]", "y[2] *= x[0]"], [".copy()"]),
    ],
    ids=lambda v: getattr(v, "__name__", ""),
)
def test_in_place_or_copy(fn, present, absent):
    x = np.array([0.3, -1.2, 0.7, 2.0])
    g = s2sgrad.value_and_grad(fn)
    value, d = g(x)
    text = s2sgrad.source(g, x)
    for s in present:
        assert s in text, text
    for s in absent:
        assert s not in text, text
    assert value == pytest.approx(fn(x.copy()), rel=1e-12)
    np.testing.assert_allclose(d, central_difference(fn, [x], 0, 1e-6), rtol=1e-6, atol=1e-8)


# ---- random programs of reads and writes ----------------------------------------------------

N = 6


@st.composite
def statements(draw, views=True):
    """One statement over x, w (inputs), y (written), v (a view of y, or with
    views=False a copy of part of it), s (a sum)."""
    i, j, k = (draw(st.integers(0, N - 1)) for _ in range(3))
    a = draw(st.integers(0, N - 2))
    b = draw(st.integers(a + 1, N))
    m = b - a
    c = draw(st.integers(0, N - m))
    f = draw(st.sampled_from(["np.sin", "np.tanh", ""]))
    e = draw(st.integers(0, N - 3))  # v always has 3 elements, as it starts
    return draw(
        st.sampled_from(
            [
                f"y[{i}] = {f}(x[{j}]) * w[{k}]",
                f"y[{a}:{b}] = {f}(x[{c}:{c + m}])",
                f"y[{a}:{b}] += x[{c}:{c + m}] * y[{c}:{c + m}]",
                f"y[{a}:{b}:2] *= w[{k}]",
                "y[::-1] = y * 0.5 + x",
                f"y[[{i}, {j}, {i}]] = w[[{k}, {j}, {i}]]",
                f"y[[{i}, {j}]] += x[{k}]",
                "y[y > 0.2] *= 0.5",
                f"y[x < 0] = w[{k}]",
                f"v = y[{e}:{e + 3}]" if views else f"v = np.copy(y[{e}:{e + 3}])",
                f"v = y[{e}:][:3]" if views else f"v = np.copy(y[{e}:][:3])",  # a view of a view
                f"v[0] = x[{k}] * 3.0",
                "s = s + np.sum(v * v)",
                f"s = s + np.sum({f}(y) * w)",
                "z = y" if views else "z = y * 1.0",
                "s = s + np.sum(z * x)",
            ]
        )
    )


_COUNT = itertools.count()
_DIR = []  # the directory of the programs written, under pytest's temporary root


@pytest.fixture(autouse=True, scope="module")
def _programs_directory(tmp_path_factory):
    _DIR.append(tmp_path_factory.mktemp("index_programs"))
    yield
    _DIR.pop()


def program(body, v="y[1:4]"):
    text = "import numpy as np\n\n\ndef f(x, w):\n" + textwrap.indent(
        f"y = np.cos(x)\nv = {v}\nz = x\ns = 0.0\n"
        + "\n".join(body)
        + "\nreturn s + np.sum(y * y) + np.sum(v) + np.sum(z)\n",
        "    ",
    )
    name = f"s2sgrad_index_prog_{next(_COUNT)}"
    path = _DIR[-1] / f"{name}.py"
    path.write_text(text)
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module.f, text


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(statements(), min_size=1, max_size=7), st.integers(0, 2**16))
def test_random_reads_and_writes(body, seed):
    f, text = program(body)
    rng = np.random.default_rng(seed)
    x, w = rng.uniform(-1, 1, N), rng.uniform(-1, 1, N)
    try:
        expected = f(x.copy(), w.copy())
    except IndexError:
        assume(False)
    keep = (x.copy(), w.copy())
    value, (dx, dw) = s2sgrad.value_and_grad(f, wrt=(0, 1))(x, w)
    np.testing.assert_array_equal(x, keep[0])
    np.testing.assert_array_equal(w, keep[1])
    assert value == pytest.approx(expected, rel=1e-12, abs=1e-12), text
    # central differences need a function that is smooth at x, w: masks must not flip
    differences_agree(f, x, w, (dx, dw), expected, text)


def differences_agree(f, x, w, grads, value, text):
    """The gradients against central differences at step 1e-6, to within their own
    rounding: a few ulps of |f| over the step (a loop squaring y makes |f| ~ 4e4, whose
    difference is then off by ~1e-5)."""
    atol = 1e-6 + 4 * np.finfo(float).eps * abs(value) / 1e-6
    for i, d in enumerate(grads):
        num = central_difference(lambda x, w: f(x.copy(), w.copy()), [x, w], i, 1e-6)
        np.testing.assert_allclose(d, num, rtol=1e-5, atol=atol, err_msg=text)


@st.composite
def loop_statements(draw):
    """A statement of a loop body over r in range(3); may also read the loop index."""
    k = draw(st.integers(0, N - 1))
    return draw(
        st.one_of(
            statements(views=False),
            st.sampled_from(
                [
                    f"y[r] = np.sin(y[r + 1]) * w[{k}]",
                    "y[r + 1:r + 3] += x[r:r + 2] * 0.5",
                    "y[[r, r, 2]] = x[[1, r, r + 2]]",
                    "v = np.copy(y[r:r + 3])",  # 3 elements, as v before the loop
                    "s = s + y[r] * x[r]",
                ]
            ),
        )
    )


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(statements(views=False), max_size=3),
    st.lists(loop_statements(), min_size=1, max_size=5),
    st.integers(0, 2**16),
)
def test_random_reads_and_writes_in_a_loop(before, body, seed):
    """As above, with writes in a loop body (views stay inside one statement: a view
    bound across the loop is refused, test_errors.py checks that)."""
    f, text = program(
        before + ["for r in range(3):"] + ["    " + s for s in body], v="np.copy(y[1:4])"
    )
    rng = np.random.default_rng(seed)
    x, w = rng.uniform(-1, 1, N), rng.uniform(-1, 1, N)
    try:
        expected = f(x.copy(), w.copy())
    except IndexError:
        assume(False)
    value, (dx, dw) = s2sgrad.value_and_grad(f, wrt=(0, 1))(x, w)
    assert value == pytest.approx(expected, rel=1e-12, abs=1e-12), text
    differences_agree(f, x, w, (dx, dw), expected, text)


def test_differences_of_a_large_function_are_taken_to_their_rounding():
    # (hypothesis, CI: |f| ~ 4e4, the difference at 1e-6 off by 1.1e-6 from the exact
    # gradient 8.4288e-4, which five-point differences confirm)
    body = ["y[0] = np.sin(x[0]) * w[0]"] * 2 + ["y[0:2] += x[0:2] * y[0:2]"] * 3
    f, text = program(["for r in range(3):"] + ["    " + s for s in body], v="np.copy(y[1:4])")
    rng = np.random.default_rng(1)
    x, w = rng.uniform(-1, 1, N), rng.uniform(-1, 1, N)
    value, grads = s2sgrad.value_and_grad(f, wrt=(0, 1))(x, w)
    assert grads[1][0] == pytest.approx(0.00084288, rel=1e-5)
    differences_agree(f, x, w, grads, value, text)
