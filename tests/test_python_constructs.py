"""Python as users write it (issue 8): each construct either works (checked against central
differences) or is a located UnsupportedError with what to write instead, never a silently
different number. The ones that do not work yet are listed here as such."""

import re

import numpy as np
import pytest

import s2sgrad
from numeric import central_difference

K = np.array([1.0, 2.0, 3.0])
BIG = np.ones(2000)
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


def check_both_modes(fn, *args):
    """value_and_grad and jvp of fn at args (x first) against plain Python and central
    differences; when Python raises UnboundLocalError, both raise it too."""
    x = args[0]
    try:
        want = fn(x.copy(), *args[1:])
    except UnboundLocalError:
        with pytest.raises(UnboundLocalError):
            s2sgrad.value_and_grad(fn)(*args)
        with pytest.raises(UnboundLocalError):
            s2sgrad.jvp(fn, args, (np.ones_like(x),) + (None,) * (len(args) - 1))
        return "unbound"
    value, g = s2sgrad.value_and_grad(fn)(*args)
    assert value == pytest.approx(want, rel=1e-12)
    num = central_difference(fn, list(args), 0)
    np.testing.assert_allclose(g, num, rtol=1e-6, atol=1e-8)
    v = np.random.default_rng(3).standard_normal(x.shape)
    out, t = s2sgrad.jvp(fn, args, (v,) + (None,) * (len(args) - 1))
    assert out == pytest.approx(want, rel=1e-12)
    assert t == pytest.approx(float(np.sum(num * v)), rel=1e-6, abs=1e-8)
    return "value"


def return_in_for(x, n):
    s = 0.0
    for i in range(n):
        if np.sum(x) * i > 1.0:
            return np.sum(x * x) * i
        x = x * 1.5
        s = s + np.sum(x)
    return s


def return_in_while(x, n):
    k = 0
    while k < n:
        k = k + 1
        x = np.tanh(x * 1.3)
        if np.sum(x) > 0.5:
            return np.sum(x) * np.sum(x * x)
    return np.sum(x)


def return_in_nested(x, n):
    for i in range(n):
        for j in range(3):
            if np.max(x) > 1.0 + j:
                return np.sum(np.sin(x)) * (i + j)
            x = x * 1.2
        x = x - 0.1
    return np.sum(x * x)


def return_from_while_true(x, n):
    k = 0
    while True:
        k = k + 1
        x = x - 0.3 * np.tanh(x)
        if np.sum(x * x) < 0.1 or k >= 5 + n:
            return np.sum(x * x) * k


def return_pair_with_aux(x, n):
    for i in range(n):
        if np.sum(x) > 0.5:
            return np.sum(x * x), i
        x = x * 2.0
    return np.sum(x), -1


@pytest.mark.parametrize("fn", [return_in_for, return_in_while, return_in_nested,
                                return_from_while_true],
                         ids=lambda f: f.__name__)
@pytest.mark.parametrize("n", [0, 1, 2, 4])
@pytest.mark.parametrize("scale", [0.2, 1.0])
def test_return_inside_a_loop_works(fn, n, scale):
    check_both_modes(fn, X * scale, n)


def test_return_inside_a_loop_of_a_pair():
    for x in (X * 0.1, X):
        (value, aux), g = s2sgrad.value_and_grad(return_pair_with_aux, has_aux=True)(x, 3)
        assert (value, aux) == return_pair_with_aux(x, 3)
        np.testing.assert_allclose(
            g, central_difference(lambda x: return_pair_with_aux(x, 3)[0], [x], 0), rtol=1e-6)


def index_after(x, n):
    for i in range(n):
        x = x * 0.9
    return np.sum(x) * i


def index_after_break(x, n):
    for i in range(1, n):
        if np.sum(x) > 2.0:
            break
        x = np.sin(x) + i
    return np.sum(x) * i


def index_after_enumerate(x, n):
    for i, v in enumerate(x[:n]):
        x = x * v
    for i in reversed(range(n - 1)):
        x = x + i
    return np.sum(x) * (i + 1)


def index_read_in_branch(x, n):
    for i in range(n):
        x = np.tanh(x)
    s = 0.5
    if np.sum(x) > 0.0:
        s = s + i          # Python raises only when this branch runs
    return np.sum(x) * s


def index_bound_before(x, n):
    i = 7
    for i in range(n):
        x = x * 0.9
    return np.sum(x) * i


@pytest.mark.parametrize("fn", [index_after, index_after_break, index_after_enumerate,
                                index_read_in_branch, index_bound_before],
                         ids=lambda f: f.__name__)
@pytest.mark.parametrize("n", [0, 1, 2, 4])
def test_loop_index_after_the_loop_is_pythons(fn, n):
    for x in (X, -X):
        check_both_modes(fn, x, n)


def test_loop_index_unbound_raises_pythons_error():
    assert check_both_modes(index_after, X, 0) == "unbound"
    with pytest.raises(UnboundLocalError, match="cannot access local variable 'i'"):
        s2sgrad.grad(index_after)(X, 0)
    assert check_both_modes(index_read_in_branch, -np.abs(X), 0) == "value"   # (not read)


def lambda_late_binding(x, a):
    sq = lambda v: v * v * a  # noqa: E731
    scale = 2.0
    wave = lambda v, w: np.sin(v) * scale + w  # noqa: E731
    s = np.sum(sq(x))
    scale = 3.0                  # the lambda reads scale when it is called: 3.0
    for i in range(2):
        s = s + np.sum(wave(x, w=s)) + (lambda t: t * 0.5)(s)
    return s


def test_lambda_works_with_late_binding():
    check_both_modes(lambda_late_binding, X, 1.5)
    code = [line.split("#")[0] for line in
            s2sgrad.source(s2sgrad.grad(lambda_late_binding), X, 1.5).splitlines()]
    assert not any("lambda " in line for line in code)        # inlined where it is called


def with_defaults(x, scale=2.0, power=2, act="tanh"):
    y = np.tanh(x) if act == "tanh" else x
    return np.sum(np.abs(y) ** power) * scale


def test_default_arguments_are_kept():
    g = s2sgrad.grad(with_defaults)
    np.testing.assert_allclose(g(X), central_difference(with_defaults, [X], 0), rtol=1e-6)
    src = s2sgrad.source(g)
    assert "def grad_with_defaults(x, scale=2.0, power=2, act='tanh'):" in src
    src = s2sgrad.source(g, X, 3.0, 3, "relu")       # another specialisation: only what holds
    assert "def grad_with_defaults(x, scale=2.0, power, act):" not in src
    assert "def grad_with_defaults(x, scale, power, act):" in src
    assert "jvp_with_defaults(x, scale, power, act, d_x)" in \
        (s2sgrad.jvp(with_defaults, (X,), (np.ones(4),)) and s2sgrad.source(with_defaults, mode="fwd"))


def module_array_loss(x):
    return np.sum(np.tanh(x[:3] * K) ** 2)


def test_module_arrays_are_constants_frozen_at_transform_time():
    global K
    check_both_modes(module_array_loss, X)
    g = s2sgrad.grad(module_array_loss)
    before = g(X)
    src = s2sgrad.source(g)
    assert "K = np.array([1.0, 2.0, 3.0], dtype=np.float64)" in src
    saved, K = K, K * 2.0
    try:
        np.testing.assert_array_equal(g(X), before)     # the same signature: frozen
    finally:
        K = saved


class Model:
    def __init__(self):
        self.W = np.array([[1.0, 2.0, 0.5, 0.0], [0.3, -1.0, 2.0, 0.1],
                           [0.1, 0.2, 0.3, 0.4], [0.5, 0.4, 0.3, 0.2]]) * 0.5
        self.scale = 2.0
        self.steps = 2
        self.cfg = Config()

    def act(self, h):
        return np.tanh(h * self.cfg.gain) + self.cfg.b

    def loss(self, x):
        h = x
        for i in range(self.steps):
            h = self.act(self.W @ h)
        return np.sum(h ** 2) * self.scale


class Config:
    def __init__(self):
        self.gain = 0.5
        self.b = np.array([0.1, -0.2, 0.3, 0.0])


def test_bound_methods_work():
    m = Model()
    check_both_modes(m.loss, X)
    src = s2sgrad.source(s2sgrad.grad(m.loss), X)
    assert "def grad_loss(x):" in src and "self_W = np.array(" in src
    assert "self_cfg_b = np.array(" in src


def test_bound_method_refusals_are_located():
    class Bad:
        items = [1.0, 2.0]

        def loss(self, x):
            return np.sum(x) * self.items[0]  # (not read from an object)

    with pytest.raises(s2sgrad.UnsupportedError, match="self.items is a list"):
        s2sgrad.grad(Bad().loss)(X)


def h2(x):
    return x * 2.0, np.sin(x)  # refused: the tuple h2 returns


def helper_tuple(x):
    a, b = h2(x)
    return np.sum(a * b)


def reversed_with_step(x):
    s = 0.0
    for i in reversed(range(0, 4, 2)):  # refused
        s = s + x[i]
    return s


def appended(x):
    out = []
    for i in range(3):
        out.append(x[i] * 2.0)  # refused
    return np.sum(np.stack(out))


def comprehension(x):
    return np.sum(np.array([x[i] ** 2 for i in range(3)]))  # refused


def generator(x):
    return sum(x[i] ** 2 for i in range(3))  # refused


def return_kinds_differ(x):
    for i in range(3):
        if np.sum(x) > 10.0:
            return x  # refused
        x = x * 1.5
    return np.sum(x * x)


def index_rebound_in_branch(x):
    for i in range(x.shape[0] - 3):
        x = x * 0.5
    if np.sum(x) > 0.0:  # refused
        i = 2
    return np.sum(x) * i


def lambda_default(x):
    sq = lambda v, p=2.0: v ** p  # refused  # noqa: E731
    return np.sum(sq(x))


def lambda_passed(x):
    sq = lambda v: v * v  # noqa: E731
    return np.sum(np.apply_along_axis(sq, 0, x))  # refused


def lambda_recursive(x):
    sq = lambda v: sq(v) * 2.0  # refused  # noqa: E731
    return np.sum(sq(x))


def big_module_array(x):
    return np.sum(x * BIG[:3])  # refused


def write_module_array(x):
    y = K
    y[0] = x[0]  # refused
    return np.sum(y * x)


REFUSED = [
    (helper_tuple, "which returns a tuple, is not supported"),
    (reversed_with_step, "reversed(range(a, b, step)) is not supported"),
    (appended, "the list method .append() is not supported"),
    (comprehension, "a list comprehension is not supported"),
    (generator, "a generator is not supported"),
    (return_kinds_differ, "this `return` inside a loop returns float64"),
    (index_rebound_in_branch, "'i' may be unbound here"),
    (lambda_default, "default values in a lambda are not supported"),
    (lambda_passed, "sq is a lambda: s2sgrad inlines a lambda where it is called"),
    (lambda_recursive, "calls itself (recursion)"),
    (big_module_array, "has 2000 elements"),
    (write_module_array, "this writes into the module-level array 'K'"),
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


def test_the_command_line_evaluates_only_literal_module_arrays(tmp_path):
    from s2sgrad import cli
    src = tmp_path / "m.py"
    src.write_text("import numpy as np\n\nK = np.array([[1.5, -2.0]], dtype=np.float32)\n"
                   "R = np.random.default_rng(0).normal(size=2)\n\n\n"
                   "def f(x: 'float64[2]'):\n    return np.sum(x * K)\n\n\n"
                   "def g(x: 'float64[2]'):\n    return np.sum(x * R)\n")
    text = cli.emit_text(f"{src}::f")
    assert "K = np.array([[1.5, -2.0]], dtype=np.float32)" in text
    with pytest.raises(s2sgrad.UnsupportedError, match="the module-level 'R' is bound to an "
                       "expression the command line cannot evaluate") as e:
        cli.emit_text(f"{src}::g")
    assert "m.py:12:" in str(e.value)
