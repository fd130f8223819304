"""The tangent rules table (rules/tangents.py), checked numerically and for coverage.

Every case of `rules_cases.py` (the reverse rules' cases) runs in forward mode: `s2sgrad.jvp`
along a random direction for each float argument (None for a static one) is compared with
float64 central differences of the directional derivative, and with reverse mode by the
dot-product test <u, J v> = <Jᵀ u, v>. The cases with a closed form `ref` are skipped: they
call `s2sgrad.gradients` inside, which only runs transformed (forward mode of a function
that calls it is not supported). The cases calling the helper `_spd` run through forward
mode's calls (`jvp__spd`); their twins with `_spd` written inline (`<name>_inline`) check
the same rules without a call.
"""

import dataclasses
import zlib

import numpy as np
import pytest
import rules_cases as C

import s2sgrad
from s2sgrad import rules as R
from s2sgrad.ir.opcodes import OPS
from s2sgrad.rules.tangents import TANGENTS

CASES = {c.name: c for c in C.CASES if c.ref is None}

# Cases forward mode cannot check yet: name -> why (none today).
XFAIL = {}


# ---- the cases calling _spd, with it written inline ----------------------------------


def f_inv(a):
    return np.sum(np.sin(np.linalg.inv(a @ a.T + 3.0 * np.eye(a.shape[0])) * a))


def f_inv_stacked(a):
    s = a @ a.T + 3.0 * np.eye(a.shape[0])
    return np.sum(np.sin(np.linalg.inv(np.stack([s, s + a * 0.1]))))


def f_det(a):
    return np.linalg.det(a @ a.T + 3.0 * np.eye(a.shape[0])) * 0.1 + np.sum(
        np.linalg.det(np.stack([a, a.T * 2.0]))
    )


def f_solve(a, b, v):
    s = a @ a.T + 3.0 * np.eye(a.shape[0])
    return np.sum(np.linalg.solve(s, b) ** 2) + np.sum(np.sin(np.linalg.solve(s, v)))


def f_slogdet(a):
    sign, logdet = np.linalg.slogdet(a @ a.T + 3.0 * np.eye(a.shape[0]))
    s2, l2 = np.linalg.slogdet(np.stack([a, a.T * 2.0]))
    return logdet * sign + np.sum(np.sin(l2) * s2)


def f_cholesky(a, n):
    s = a @ a.T + 3.0 * np.eye(a.shape[0])
    low = np.linalg.cholesky(s + np.triu(n, 1))
    up = np.linalg.cholesky(s + np.tril(n, -1) * 0.5, upper=True)
    stacked = np.linalg.cholesky(np.stack([s, s + 0.1 * np.eye(3)]))
    return np.sum(np.sin(low)) + np.sum(np.sin(up) * 2.0) + np.sum(np.cos(stacked))


for _name, _fn in (
    ("inv", f_inv),
    ("inv_f32", f_inv),
    ("inv_stacked", f_inv_stacked),
    ("det", f_det),
    ("solve", f_solve),
    ("slogdet", f_slogdet),
    ("cholesky", f_cholesky),
):
    CASES[_name + "_inline"] = dataclasses.replace(CASES[_name], name=_name + "_inline", fn=_fn)

# Central differences across a kink (ties of max and min, here inside sin) are exact only
# to O(eps) along a direction that breaks the tie both ways: a looser atol.
ATOL = {"ptp_ties": 1e-5}


def inputs(case):
    rng = np.random.default_rng(zlib.crc32(case.name.removesuffix("_inline").encode()))
    return [a.make(rng) for a in case.args]


def directions(case, values, seed):
    rng = np.random.default_rng(seed)
    out = []
    for a, v in zip(case.args, values):
        if not a.is_float:
            out.append(None)
        elif isinstance(v, float):
            out.append(float(rng.normal()))
        else:
            out.append(rng.normal(size=np.shape(v)).astype(np.asarray(v).dtype))
    if case.name == "pow_zero_base":  # x ** y is nan at x = -eps unless y stays an integer
        out[1] = np.where(values[0] == 0.0, 0.0, out[1])
    return out


def flat(v):
    if isinstance(v, (tuple, list)):
        return np.concatenate([flat(x) for x in v]) if v else np.zeros(0)
    return np.ravel(np.asarray(v, dtype=np.float64))


def along(case, values, dots, t):
    """case.fn at values + t dots, each float argument moved in float64 and cast back."""
    moved = []
    for v, d in zip(values, dots):
        if d is None:
            moved.append(v)
        elif isinstance(v, float):
            moved.append(v + t * d)
        else:
            x = np.asarray(v, dtype=np.float64) + t * np.asarray(d, dtype=np.float64)
            moved.append(x.astype(np.asarray(v).dtype))
    return case.fn(*moved)


def params(names):
    return [
        pytest.param(n, marks=pytest.mark.xfail(reason=XFAIL[n], strict=True)) if n in XFAIL else n
        for n in names
    ]


def run(name, seed):
    """(case, its inputs, the directions, jvp's output and tangent)."""
    case = CASES[name]
    values = inputs(case)
    dots = directions(case, values, seed)
    return (case, values, dots) + tuple(s2sgrad.jvp(case.fn, values, dots))


@pytest.mark.parametrize("name", params(sorted(CASES)))
def test_tangent_rule_numerically(name):
    case, values, dots, out, tangent = run(name, 1)
    np.testing.assert_allclose(flat(out), flat(case.fn(*values)), rtol=1e-12, atol=1e-12)
    eps = case.eps
    expected = (flat(along(case, values, dots, eps)) - flat(along(case, values, dots, -eps))) / (
        2 * eps
    )
    np.testing.assert_allclose(
        flat(tangent),
        expected,
        rtol=case.rtol,
        atol=ATOL.get(name, case.atol),
        err_msg=f"{name}: directional derivative",
    )


@pytest.mark.parametrize("name", params(sorted(CASES)))
def test_tangent_rule_is_the_transpose_of_the_reverse_rule(name):
    """<u, J v> = <Jᵀ u, v>."""
    case, values, v, out, jv = run(name, 2)
    u = np.random.default_rng(4).normal(size=np.shape(out))
    u = float(u) if isinstance(out, float) else np.asarray(u, dtype=np.asarray(out).dtype)
    _, back = s2sgrad.vjp(case.fn, *values)
    lhs = float(np.sum(flat(u) * flat(jv)))
    rhs = sum(
        float(np.sum(flat(a) * flat(d))) for a, d in zip(back(u), [d for d in v if d is not None])
    )
    rel = 1e-8 if case.rtol <= 1e-6 else 1e-5  # (float32 inside: rounding ~1e-7)
    assert lhs == pytest.approx(rhs, rel=rel, abs=rel * 1e-2)


# ---- coverage --------------------------------------------------------------------


def test_every_reverse_rule_has_a_tangent_rule():
    missing = set(R.RULES) - set(TANGENTS)
    assert not missing, f"ops with a reverse rule and no tangent rule: {sorted(missing)}"


def test_a_tangent_rule_only_for_an_op_with_a_reverse_rule_or_a_structural_role():
    unknown = set(TANGENTS) - set(OPS)
    assert not unknown, f"tangent rules for ops s2sgrad does not know: {sorted(unknown)}"
    extra = {op for op in TANGENTS if op not in R.RULES and not OPS[op].structural}
    assert not extra, (
        f"tangent rules for ops with neither a reverse rule nor a role: {sorted(extra)}"
    )
    assert not [op for op in TANGENTS if OPS[op].constant]
