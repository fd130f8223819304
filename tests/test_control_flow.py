"""Control flow and calls: what the golden cases don't show — the errors for
what is rejected, tapes holding only what the reverse sweep reads, a while's
trip count, and generated loops that read like their source."""

import importlib.util
import os
import textwrap

import numpy as np
import pytest
from numeric import central_difference

import s2sgrad
from s2sgrad.errors import UnsupportedError
from s2sgrad.passes import loop_stack

# ---- functions under test (s2sgrad reads their source from this file) -------------------


def maybe_undefined(x):
    if np.sum(x) > 0:
        y = x * 2.0, x  # (a tuple: only an array or a number is flagged)
    return np.sum(y[0])  # maybe-undefined


def return_in_loop(x, n):
    for i in range(n):
        return x  # return-in-loop (an array here, a number after the loop)
    return 0.0


def changes_structure(x, n):
    s = (x, x)
    for i in range(n):  # changes-structure
        s = x
    return np.sum(s)


def vector_condition(x):
    if x > 0:  # vector-condition
        return np.sum(x)
    return -np.sum(x)


def recursive(x, n):
    if n == 0:
        return np.sum(x)
    return recursive(x * 0.5, n - 1)  # recursion


def uses_lambda(x):
    f = lambda v, k=2.0: v * k  # lambda (noqa: E731): a default value
    return np.sum(f(x))


def comprehension(x):
    return np.sum(np.stack(x * i for i in range(3)))  # comprehension


def builtin_sum(x):
    return sum(x)  # builtin-sum


def second_order_loop(x):
    y = x
    for i in range(3):
        y = np.sin(y)
    return np.sum(y)


def counting_while(x):
    n = 0
    while np.sum(x) < 100.0:
        x = x * 2.0
        n = n + 1
    return np.sum(x) + n


def tape_user(x, W, n):
    h = x
    for t in range(n):
        z = W @ h
        h = np.tanh(z)
    return np.sum(h)


def loop_of_add(x, n):
    s = x
    for i in range(n):
        s = s + x
    return np.sum(s)


def _marker_line(fn, marker):
    import inspect

    lines, start = inspect.getsourcelines(fn)
    for k, line in enumerate(lines):
        if "# " + marker in line:
            return start + k
    raise AssertionError(marker)


@pytest.mark.parametrize(
    "fn,args,marker,words",
    [
        (maybe_undefined, (np.ones(2),), "maybe-undefined", ["may be undefined", "both branches"]),
        (
            return_in_loop,
            (np.ones(2), 3),
            "return-in-loop",
            ["`return` inside a loop", "same kind"],
        ),
        (changes_structure, (np.ones(2), 3), "changes-structure", ["changes what 's' holds"]),
        (vector_condition, (np.ones(2),), "vector-condition", ["not a scalar", "np.where"]),
        (recursive, (np.ones(2), 3), "recursion", ["recursion", "loop"]),
        (uses_lambda, (np.ones(2),), "lambda", ["lambda", "def"]),
        (
            comprehension,
            (np.ones(2),),
            "comprehension",
            ["generator expression", "sum(...)", "np.sum([...])"],
        ),
        (builtin_sum, (np.ones(2),), "builtin-sum", ["sum()", "np.sum"]),
    ],
)
def test_rejected_constructs_say_where_and_what_to_do(fn, args, marker, words):
    with pytest.raises(s2sgrad.S2SGradError) as e:
        s2sgrad.grad(fn)(*args)
    msg = str(e.value)
    assert f"test_control_flow.py:{_marker_line(fn, marker)}:" in msg, msg
    for w in words:
        assert w in msg, msg


def test_second_derivative_through_a_loop_is_the_number_or_an_error():
    # sin(sin(sin(x))): the second derivative, forward over reverse through the loop's tape
    s1, s2 = np.sin(1.0), np.sin(np.sin(1.0))
    d1 = np.cos(1.0) * np.cos(s1) * np.cos(s2)
    d2 = (
        -np.sin(1.0) * np.cos(s1) * np.cos(s2)
        - np.cos(1.0) ** 2 * np.sin(s1) * np.cos(s2)
        - np.cos(1.0) ** 2 * np.cos(s1) ** 2 * np.sin(s2)
    )
    assert s2sgrad.grad(second_order_loop)(1.0) == pytest.approx(d1, rel=1e-12)
    assert s2sgrad.grad(s2sgrad.grad(second_order_loop))(1.0) == pytest.approx(d2, rel=1e-10)
    with pytest.raises(UnsupportedError, match="second derivative"):  # third order: refused
        s2sgrad.grad(s2sgrad.grad(s2sgrad.grad(second_order_loop)))(1.0)


def test_while_counts_its_iterations_and_integers_stay_constant():
    g = s2sgrad.grad(counting_while)
    x = np.array([1.0, 2.0])
    np.testing.assert_allclose(g(x), central_difference(counting_while, [x], 0), rtol=1e-6)
    src = s2sgrad.source(g)
    assert "n_iter = n_iter + 1" in src and "for _ in range(n_iter):" in src


def test_tape_holds_only_what_the_reverse_sweep_reads(monkeypatch):
    """(without passes/loop_stack.py, which then stacks h instead)"""
    monkeypatch.setattr(loop_stack, "run", lambda fn: fn)
    g = s2sgrad.grad(tape_user, wrt=(0, 1))
    rng = np.random.default_rng(0)
    x, W = rng.standard_normal(3), rng.standard_normal((3, 3))
    got = g(x, W, 4)
    np.testing.assert_allclose(
        got[1], central_difference(lambda W_: tape_user(x, W_, 4), [W], 0), rtol=1e-6
    )
    src = s2sgrad.source(g)
    # h (for W's gradient) is saved, once an iteration; tanh's result is the next
    # iteration's h, which the backward loop carries back from the pop before (each value
    # taped once); z = W @ h is not (no rule reads it)
    assert src.count(".append(") == 1
    (line,) = [s for s in src.splitlines() if ".append(" in s]
    assert line.strip() == "_tape0.append(h)"
    assert "h = h_1" in src.split("reversed(range(")[1]


def test_a_long_tape_tuple_is_wrapped_and_right(tmp_path):
    """Forty values saved an iteration: one append of a tuple, wrapped over several
    lines, and one pop unpacking them, parenthesised."""
    body = "\n".join(f"        v{i} = np.sin(v{i - 1}) * w" for i in range(1, 41))
    src = textwrap.dedent(f"""
    import numpy as np

    def f(x, w):
        v0 = x * 1.0
        for t in range(2):
{textwrap.indent(body, "    ")}
            v0 = v40 * 0.5
        return np.sum(v0)
    """)
    path = os.path.join(tmp_path, "long_tape.py")
    with open(path, "w") as fh:
        fh.write(src)
    spec = importlib.util.spec_from_file_location("long_tape", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    g = s2sgrad.grad(mod.f, wrt=(0, 1))
    x, w = np.array([0.3, -0.2]), 0.9
    got = g(x, w)
    np.testing.assert_allclose(got[0], central_difference(mod.f, [x, w], 0), rtol=1e-6)
    np.testing.assert_allclose(got[1], central_difference(mod.f, [x, w], 1), rtol=1e-6)
    lines = s2sgrad.source(g).splitlines()
    start = next(i for i, line in enumerate(lines) if ".append((" in line)
    assert not lines[start].rstrip().endswith("))") and lines[start].rstrip().endswith(",")
    assert any(line.lstrip().startswith("(") and ".pop()" not in line for line in lines)
    assert all(len(line.strip()) <= 96 for line in lines if "append" in line or ".pop()" in line)


def test_a_loop_whose_body_reads_nothing_saved_keeps_no_tape():
    g = s2sgrad.grad(loop_of_add)
    x = np.array([1.0, -2.0])
    np.testing.assert_allclose(g(x, 5), central_difference(loop_of_add, [x, 5], 0), rtol=1e-6)
    assert ".append(" not in s2sgrad.source(g)


def test_generated_loops_read_like_their_source():
    g = s2sgrad.grad(tape_user, wrt=(1,))
    g(np.ones(2), np.eye(2), 3)
    src = s2sgrad.source(g)
    assert "for t in range(3):" in src  # the source's own loop (n=3 is static)
    assert "for t in reversed(range(3)):" in src  # its reverse, same index name
    assert "h = np.tanh(z)" in src  # loop variables keep their names


def shape_changing_carry(x):
    v = x[1:4]
    for r in range(3):
        v = x[0:2]
    return np.sum(v * v)


def test_a_carried_value_may_change_shape_between_iterations():
    s2sgrad.check_grads(
        shape_changing_carry, 0, np.arange(5.0), modes=("rev",), rtol=1e-7, atol=1e-8
    )
