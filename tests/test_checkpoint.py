"""Loop tapes and loop checkpointing (reverse.py, checkpoint.py): a tape holds each value
once; `checkpoint="sqrt"` and `s2sgrad.checkpointed(range(...))` give the gradient of the
full tape, bit for bit, and central differences agree."""

import numpy as np
import pytest
from numeric import central_difference

import s2sgrad
from s2sgrad import UnsupportedError, checkpoint, transform
from s2sgrad.passes import loop_stack


def rnn(h, W, b, n):
    for t in range(n):
        h = np.tanh(W @ h + b)
    return np.sum(h**2)


def rnn_marked(h, W, b, n):
    for t in s2sgrad.checkpointed(range(n)):
        h = np.tanh(W @ h + b)
    return np.sum(h**2)


def strided(h, W, b, lo, hi):
    acc = 0.0
    for t in range(lo, hi, 2):
        h = np.tanh(W @ h + b) * (1.0 + 0.01 * t)
        acc = acc + np.sum(h) * 0.1
    return np.sum(h**2) + acc


def backwards(h, W, b, lo, hi):
    for t in range(hi, lo, -3):
        h = np.sin(W @ h) + b
    return np.sum(h**2)


def branchy(h, W, b, n):
    best = 0.0
    for t in s2sgrad.checkpointed(range(n)):
        if t % 3 == 0:
            continue
        z = W @ h
        if np.sum(z) > 0:
            h = np.tanh(z) + b
        else:
            h = np.sin(z) * b
        for j in range(2):  # an inner loop: its own tape, made again each segment
            h = h * 0.9 + 0.1 * np.cos(h)
        best = np.maximum(best, np.sum(h))
    return np.sum(h**2) + best


def nested_marked(h, W, b, n):
    for t in s2sgrad.checkpointed(range(n)):
        for j in s2sgrad.checkpointed(range(3)):
            h = np.tanh(W @ h + b * j)
    return np.sum(h)


def index_after(h, W, b, n):
    for t in s2sgrad.checkpointed(range(n)):
        h = np.tanh(W @ h + b)
    return np.sum(h) * t


def carried_from_branch(x0, x1, n):
    s = 0.0
    if np.sum(x1) > -5.0:
        y = x1 * 2.0
        for i in range(n):
            s = s + np.sum(np.sin(x0))
            x0 = y
    return s


def newton(a):
    x = a * 1.0
    while np.max(np.abs(x * x - a)) > 1e-10:
        x = 0.5 * (x + a / x)
    return np.sum(x)


def sin_loop(x, w, n):
    for i in range(n):
        x = np.sin(x) * w
    return np.sum(x)


def _same(a, c):
    """The full tape's gradient and the checkpointed one: the same operations, except
    that passes/loop_accumulate.py may sum a loop's outer products as one matrix product
    in one of them and step by step in the other (another order: rounding apart)."""
    np.testing.assert_allclose(a, c, rtol=1e-12, atol=1e-14)


@pytest.fixture
def short_loops_too(monkeypatch):
    """checkpoint="sqrt" checkpoints loops of any count known at transform time (an int
    argument is static), not only of checkpoint.SHORT steps or more."""
    monkeypatch.setattr(checkpoint, "SHORT", 0)


def _point(n=4, seed=0):
    rng = np.random.default_rng(seed)
    return rng.standard_normal(n), rng.standard_normal((n, n)) * 0.5, rng.standard_normal(n)


@pytest.mark.parametrize("n", [0, 1, 2, 3, 4, 5, 9, 10, 17, 50])
def test_sqrt_checkpoints_give_the_full_tape_gradient(n, short_loops_too):
    h, W, b = _point()
    full = s2sgrad.grad(rnn, (0, 1, 2))(h, W, b, n)
    for g in (s2sgrad.grad(rnn, (0, 1, 2), checkpoint="sqrt"), s2sgrad.grad(rnn_marked, (0, 1, 2))):
        got = g(h, W, b, n)
        for a, c in zip(full, got):
            _same(a, c)


@pytest.mark.parametrize("f", [strided, backwards])
@pytest.mark.parametrize("lo, hi", [(0, 0), (0, 1), (3, 4), (0, 9), (1, 30), (5, 2), (2, 51)])
def test_checkpoints_of_any_range(f, lo, hi, short_loops_too):
    h, W, b = _point()
    full = s2sgrad.grad(f, (0, 1, 2))(h, W, b, lo, hi)
    got = s2sgrad.grad(f, (0, 1, 2), checkpoint="sqrt")(h, W, b, lo, hi)
    for a, c in zip(full, got):
        _same(a, c)


@pytest.mark.parametrize("f", [branchy, nested_marked, index_after])
@pytest.mark.parametrize("n", [0, 1, 7, 20])
def test_checkpointed_loops_with_branches_continue_and_inner_loops(f, n):
    h, W, b = _point(seed=n)
    if f is index_after and n == 0:
        with pytest.raises(UnboundLocalError):
            s2sgrad.grad(f, (0, 1, 2))(h, W, b, n)
        return
    g = s2sgrad.grad(f, (0, 1, 2))
    got = g(h, W, b, n)
    for k, x in enumerate((h, W, b)):
        np.testing.assert_allclose(
            got[k], central_difference(f, [h, W, b, n], k), rtol=1e-6, atol=1e-8
        )
    assert "checkpoints: the carried values every k steps" in s2sgrad.source(g)


def test_value_and_grad_and_vjp_take_checkpoint(short_loops_too):
    h, W, b = _point()
    v0, g0 = s2sgrad.value_and_grad(rnn, 1)(h, W, b, 12)
    v1, g1 = s2sgrad.value_and_grad(rnn, 1, checkpoint="sqrt")(h, W, b, 12)
    assert v0 == v1
    _same(g0, g1)
    out, back = s2sgrad.vjp(rnn, h, W, b, 12, checkpoint="sqrt")
    assert out == v0
    _same(back(1.0)[1], g0)
    assert "checkpoints" in s2sgrad.source(s2sgrad.grad(rnn, 1, checkpoint="sqrt"), h, W, b, 12)
    assert "checkpoints" not in s2sgrad.source(s2sgrad.grad(rnn, 1), h, W, b, 12)


def test_checkpoint_option_is_validated():
    with pytest.raises(s2sgrad.InvalidArgumentError, match="checkpoint"):
        s2sgrad.grad(rnn, 0, checkpoint="binomial")


def test_hessian_through_a_checkpointed_loop():
    h, W, b = _point(3)
    H = s2sgrad.hessian(rnn_marked)(h, W, b, 6)
    H0 = s2sgrad.hessian(rnn)(h, W, b, 6)
    np.testing.assert_allclose(H, H0, rtol=1e-10, atol=1e-12)


def test_a_while_loop_keeps_its_tape_under_checkpoint_sqrt():
    a = np.array([2.0, 3.0, 5.0])
    g = s2sgrad.grad(newton, checkpoint="sqrt")
    np.testing.assert_allclose(g(a), 0.5 / np.sqrt(a), rtol=1e-8)
    assert "checkpoints" not in s2sgrad.source(g)


def checkpointed_break(h, n):
    for t in s2sgrad.checkpointed(range(n)):
        if np.sum(h) > 10:
            break
        h = h * 2.0
    return np.sum(h)


def checkpointed_outside_a_loop(h, n):
    r = s2sgrad.checkpointed(range(n))
    return np.sum(h) * len(r)


def checkpointed_not_a_range(h, xs):
    for x in s2sgrad.checkpointed(xs):
        h = h * x
    return np.sum(h)


@pytest.mark.parametrize(
    "f, words",
    [
        (checkpointed_break, "cannot `break` or `return`"),
        (checkpointed_outside_a_loop, "only as the iterable of a for loop"),
        (checkpointed_not_a_range, "takes one range(...)"),
    ],
)
def test_checkpointed_refuses_what_it_cannot_checkpoint(f, words):
    with pytest.raises(UnsupportedError) as e:
        s2sgrad.grad(f)(np.ones(3), 4 if f is not checkpointed_not_a_range else np.ones(2))
    assert words in str(e.value)
    assert "test_checkpoint.py:" in str(e.value)


def test_checkpointed_runs_as_the_range_itself():
    assert checkpointed_break(np.ones(2), 3) == 16.0
    assert s2sgrad.checkpointed(range(3)) == range(3)


def test_a_tape_holds_each_value_once():
    """`x = np.sin(x) * w`: x is taped (once: the value carried in), sin(x) recomputed in
    the backward body (an elementwise op of a taped value), the product never (it is the
    next iteration's x, carried back). Without passes/loop_stack.py, which then stacks x
    instead (each value once too)."""
    rng = np.random.default_rng(3)
    x, w = rng.standard_normal(5), rng.standard_normal(5)
    with pytest.MonkeyPatch.context() as m:
        m.setattr(loop_stack, "run", lambda fn: fn)
        g = s2sgrad.grad(sin_loop, (0, 1))
        got = g(x, w, 6)
    for k in (0, 1):
        np.testing.assert_allclose(
            got[k], central_difference(sin_loop, [x, w, 6], k), rtol=1e-6, atol=1e-8
        )
    src = s2sgrad.source(g)
    (line,) = [s for s in src.splitlines() if ".append(" in s]
    assert line.strip() == "_tape0.append(x_1)"
    g = s2sgrad.grad(sin_loop, (0, 1))
    np.testing.assert_allclose(g(x, w, 6), got, rtol=1e-13)
    src = s2sgrad.source(g)
    assert ".append(" not in src and src.count("x_steps[i + 1] = ") == 1


def nested_plain(h, W, b, n):
    for t in range(n):
        for j in range(3):
            h = np.tanh(W @ h + b * j)
        h = h * 0.5 + np.sin(h)
    return np.sum(h)


@pytest.mark.parametrize("n", [0, 1, 5, 11])
def test_checkpoint_sqrt_checkpoints_inner_loops_too(n, short_loops_too):
    h, W, b = _point(seed=n)
    full = s2sgrad.grad(nested_plain, (0, 1, 2))(h, W, b, n)
    g = s2sgrad.grad(nested_plain, (0, 1, 2), checkpoint="sqrt")
    got = g(h, W, b, n)
    for a, c in zip(full, got):
        _same(a, c)
    assert s2sgrad.source(g).count("checkpoints: the carried values") == 2


def test_forward_mode_runs_a_checkpointed_loop_as_it_is():
    h, W, b = _point()
    v = np.ones_like(h)
    out, tangent = s2sgrad.jvp(rnn_marked, (h, W, b, 7), (v, None, None, None))
    g = s2sgrad.grad(rnn, 0)(h, W, b, 7)
    assert out == rnn(h, W, b, 7)
    np.testing.assert_allclose(tangent, g @ v, rtol=1e-12)


@s2sgrad.function
def decorated(h, W, b):
    loss = rnn(h, W, b, 9)
    return s2sgrad.gradients(loss, [W], checkpoint="sqrt")[0]


def test_gradients_takes_checkpoint(short_loops_too):
    """(the loop is in a function f calls: its vjp follows the option too)"""
    h, W, b = _point()
    _same(decorated(h, W, b), s2sgrad.grad(rnn, 1)(h, W, b, 9))
    assert "checkpoints" in s2sgrad.source(decorated)


def draws_in_marked(h, rng, n):
    for t in s2sgrad.checkpointed(range(n)):
        h = np.tanh(h + rng.normal(size=h.shape))
    return np.sum(h)


def draws_in_plain(h, rng, n):
    for t in range(n):
        h = np.tanh(h + rng.normal(size=h.shape))
    return np.sum(h)


def test_a_loop_drawing_random_numbers_is_not_checkpointed(short_loops_too):
    """A segment run again would draw other numbers: refused where marked, taped whole
    under checkpoint="sqrt"."""
    h = np.ones(3)
    with pytest.raises(UnsupportedError, match="cannot draw random numbers"):
        s2sgrad.grad(draws_in_marked)(h, np.random.default_rng(0), 5)
    g = s2sgrad.grad(draws_in_plain, checkpoint="sqrt")
    got = g(h, np.random.default_rng(0), 5)
    want = s2sgrad.grad(draws_in_plain)(h, np.random.default_rng(0), 5)
    _same(got, want)
    assert "checkpoints" not in s2sgrad.source(g)


def tape_of_outside_values(x, W, n):
    s = 0.0
    for t in s2sgrad.checkpointed(range(n)):
        s = s + np.sum(np.tanh(W @ x * t))
    return s


@pytest.mark.parametrize("n", [0, 3, 10])
def test_a_checkpointed_loop_whose_tape_needs_no_carried_value(n):
    """The steps run again need no checkpoint: none is kept (fuzzer, seed 302 program 488:
    a snapshot of nothing)."""
    rng = np.random.default_rng(n)
    x, W = rng.standard_normal(3), rng.standard_normal((3, 3)) * 0.3
    g = s2sgrad.grad(tape_of_outside_values, (0, 1))
    got = g(x, W, n)
    for k in (0, 1):
        np.testing.assert_allclose(
            got[k], central_difference(tape_of_outside_values, [x, W, n], k), rtol=1e-6, atol=1e-8
        )
    assert "_tape0.append(" not in s2sgrad.source(g).split("reverse sweep")[0]


def test_a_short_loop_keeps_its_tape_under_checkpoint_sqrt():
    h, W, b = _point()
    g = s2sgrad.grad(rnn, 1, checkpoint="sqrt")
    _same(g(h, W, b, 15), s2sgrad.grad(rnn, 1)(h, W, b, 15))
    assert "checkpoints" not in s2sgrad.source(g)
    assert "checkpoints" in s2sgrad.source(g, h, W, b, 16)
    assert "checkpoints" in s2sgrad.source(s2sgrad.grad(rnn_marked, 1), h, W, b, 3)


def test_the_command_line_takes_checkpoint_sqrt(tmp_path, capsys):
    from s2sgrad import cli

    src = tmp_path / "loop.py"
    src.write_text(
        "import numpy as np\n\n\ndef f(h: 'float64[n]', W: 'float64[n, n]', T: int):\n"
        "    for t in range(T):\n        h = np.tanh(W @ h)\n    return np.sum(h)\n"
    )
    assert cli.main(["emit", f"{src}::f", "--wrt", "h,W", "--checkpoint", "sqrt"]) == 0
    out = capsys.readouterr().out
    assert "# checkpoints: the carried values every k steps" in out
    assert "for seg in reversed(range(0, T, k)):" in out
    assert (
        cli.main(["emit", f"{src}::f", "--wrt", "h", "--mode", "fwd", "--checkpoint", "sqrt"]) == 1
    )
    assert "--checkpoint applies to the gradient module" in capsys.readouterr().err


def list_read_in_marked(h, W, n):
    out = [h]
    for t in s2sgrad.checkpointed(range(n)):
        out.append(np.tanh(W @ out[-1]))
    return np.sum(np.stack(out))


def list_read_in_plain(h, W, n):
    out = [h]
    for t in range(n):
        out.append(np.tanh(W @ out[-1]))
    return np.sum(np.stack(out))


def list_appended_in_marked(h, W, n):
    out = []
    for t in s2sgrad.checkpointed(range(n)):
        h = np.tanh(W @ h)
        out.append(h)
    return np.sum(np.stack(out))


def test_a_list_the_steps_read_is_not_checkpointed(short_loops_too):
    """Checkpoints holding a list built with append would make every append copy it:
    refused where marked, the full tape under checkpoint="sqrt"; a list the steps only
    append to is not in the checkpoints."""
    h, W, _ = _point()
    with pytest.raises(UnsupportedError, match="cannot carry a list built with append"):
        s2sgrad.grad(list_read_in_marked, (0, 1))(h, W, 5)
    g = s2sgrad.grad(list_read_in_plain, (0, 1), checkpoint="sqrt")
    for a, c in zip(g(h, W, 6), s2sgrad.grad(list_read_in_plain, (0, 1))(h, W, 6)):
        _same(a, c)
    assert "checkpoints" not in s2sgrad.source(g)
    g = s2sgrad.grad(list_appended_in_marked, (0, 1))
    got = g(h, W, 7)
    for k in (0, 1):
        np.testing.assert_allclose(
            got[k], central_difference(list_appended_in_marked, [h, W, 7], k), rtol=1e-6, atol=1e-8
        )
    src = s2sgrad.source(g)
    assert "checkpoints" in src and ".copy()" not in src


@pytest.mark.parametrize("n", [0, 1, 3, 20])
def test_a_checkpointed_loop_in_a_branch_carrying_a_value_the_branch_made(
    n, short_loops_too, monkeypatch
):
    """A loop in a branch whose steps carry a value the branch made before it (`x0 = y`):
    the reverse sweep's segments, run again in the backward branch, yield y, which the
    forward branch now hands out (it was an InternalError from the IR verifier: yielded
    value %y is not defined; fuzzer, seed 117 program 133)."""
    monkeypatch.setattr(transform, "VERIFY", True)
    rng = np.random.default_rng(n)
    x0, x1 = rng.standard_normal(3), rng.standard_normal(3)
    full = s2sgrad.value_and_grad(carried_from_branch, (0, 1))(x0, x1, n)
    g = s2sgrad.value_and_grad(carried_from_branch, (0, 1), checkpoint="sqrt")
    v, got = g(x0, x1, n)
    assert v == full[0] and np.isclose(v, carried_from_branch(x0.copy(), x1.copy(), n))
    for a, c in zip(full[1], got):
        _same(a, c)
    s2sgrad.check_grads(carried_from_branch, (0, 1), x0, x1, n, modes=("rev",))
    assert n < 3 or "checkpoints" in s2sgrad.source(g, x0, x1, n)
