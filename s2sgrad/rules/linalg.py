"""Rules for np.linalg: inv, det, slogdet, solve, cholesky, eigh, eigvalsh, qr, svd, pinv
(of matrices, stacked or not) and norm (vector and matrix norms)."""

import math

from .registry import defrule


def _mT(b, x):
    """x with its last two axes swapped (a matrix transposed, in a stack of them)."""
    rank = len(x.type.shape)
    if rank == 2:
        return b.T(x)
    axes = tuple(range(rank - 2)) + (rank - 1, rank - 2)
    return b.transpose(x, axes=axes)


@defrule("inv")
def inv(b, g, ans, a):
    """d A⁻¹ = -A⁻ᵀ d A⁻ᵀ"""
    t = _mT(b, ans)
    return (b.neg(b.matmul(b.matmul(t, g), t)),)


@defrule("det")
def det(b, g, ans, a):
    """d det(A) = d det(A) A⁻ᵀ  (A singular: inf or nan, as in JAX)"""
    scale = b.expand_dims(b.mul(g, ans), axis=(-1, -2))
    return (b.mul(scale, _mT(b, b.inv(a))),)


@defrule("solve", broadcasts=True)
def solve(b, g, ans, a, rhs):
    """x = A⁻¹B: dB = A⁻ᵀ d, dA = -dB xᵀ (outer products for a vector B; a stack of As
    solves a vector B as a column of each, and the driver sums dB and dA down to their
    operands' shapes where the stacks broadcast)"""
    if rhs.type.rank == 1 and a.type.rank != 2:  # (a vector B against a stack of As)
        d_rhs = b.squeeze(b.solve(_mT(b, a), b.expand_dims(g, axis=-1)), axis=-1)
    else:
        d_rhs = b.solve(_mT(b, a), g)
    if rhs.type.rank == 1:
        d_a = b.mul(b.expand_dims(d_rhs, axis=-1), b.expand_dims(ans, axis=-2))
    else:
        d_a = b.matmul(d_rhs, _mT(b, ans))
    return b.neg(d_a), d_rhs


@defrule("norm")
def norm(b, g, ans, x, ord=None, axis=None, keepdims=False):
    """d ‖x‖ₚ = sign(x) (|x| / ‖x‖)^(p-1) d: x / ‖x‖ d for p = 2 and Frobenius; for p = ±inf,
    the largest (smallest) |xᵢ| gets sign(xᵢ) d, ties sharing (‖x‖ = 0: nan, as x / 0);
    matrix norms: U diag(c) Vᵀ d for 'nuc' (c = 1) and ±2 (c picks the largest or smallest
    singular value, ties sharing); for ±1 (±inf) sign(x) d on the column (row) of largest
    or smallest absolute sum, ties sharing"""
    if axis is None or keepdims:
        d, n = g, ans
    else:
        d, n = b.expand_dims(g, axis=axis), b.expand_dims(ans, axis=axis)
    pair = _matrix_axes(x, axis)
    if ord is None or ord == "fro" or ord == 2 and pair is None:
        return (b.mul(b.div(x, n), d),)
    if pair is not None and ord in ("nuc", 2, -2):
        return (b.mul(_singular_norm(b, x, ord, pair), d),)
    if pair is not None:
        summed, picked = pair if ord in (1, -1) else pair[::-1]
        sums = b.sum(b.abs(x), axis=summed, keepdims=True)
        return (b.mul(b.mul(b.sign(x), _share(b, sums, ord > 0, picked)), d),)
    if ord in (math.inf, -math.inf):
        hit = b.eq(b.abs(x), n)
        share = b.div(hit, b.sum(hit, axis=axis, keepdims=True))
        return (b.mul(b.mul(b.sign(x), share), d),)
    scaled = b.mul(b.sign(x), b.pow(b.div(b.abs(x), n), float(ord) - 1.0))
    return (b.mul(scaled, d),)


def _matrix_axes(x, axis):
    """(row axis, column axis) of a matrix norm, as non-negative axes; None for a vector norm."""
    rank = len(x.type.shape)
    if axis is None:
        return (0, 1) if rank == 2 else None
    if isinstance(axis, tuple) and len(axis) == 2:
        return tuple(a % rank for a in axis)
    return None


def _share(b, v, largest, axis):
    """1 / (number of ties) where v is largest (smallest) along axis, 0 elsewhere."""
    best = b.max(v, axis=axis, keepdims=True) if largest else b.min(v, axis=axis, keepdims=True)
    hit = b.eq(v, best)
    return b.div(hit, b.sum(hit, axis=axis, keepdims=True))


def _singular_norm(b, x, ord, pair):
    """d‖x‖ / dx for the nuclear norm (U Vᵀ) and ±2 (the top or bottom singular pair), with
    x's matrices on axes `pair`: moved last for the SVD, and back."""
    rank = len(x.type.shape)
    perm = tuple(i for i in range(rank) if i not in pair) + pair
    moved = perm != tuple(range(rank))
    u, s, vh = b.emit(
        "svd", b.transpose(x, axes=perm) if moved else x, nresults=3, full_matrices=False
    )
    c = b.ones_like(s) if ord == "nuc" else _share(b, s, ord > 0, -1)
    grad = b.matmul(b.mul(u, b.expand_dims(c, axis=-2)), vh)
    if not moved:
        return grad
    return b.transpose(grad, axes=tuple(perm.index(i) for i in range(rank)))


@defrule("slogdet")
def slogdet(b, g, ans, a):
    """d log|det A| = d A⁻ᵀ (the sign is piecewise constant: no gradient)"""
    _, d_log = g
    if d_log is None:
        return (None,)
    return (b.mul(b.expand_dims(d_log, axis=(-1, -2)), _mT(b, b.inv(a))),)


def _half_triangle(b, x, lower=True):
    """Φ(x): the lower (upper) triangle of x with its diagonal halved."""
    if lower:
        return b.mul(b.add(b.tril(x), b.tril(x, k=-1)), 0.5)
    return b.mul(b.add(b.triu(x), b.triu(x, k=1)), 0.5)


def _eye_of(b, v):
    """The n x n identity, n the last size of v, in v's dtype."""
    dtype = v.type.dtype
    n = b.getitem(b.shape(v), index=-1)
    return b.eye(n) if dtype in (None, "float64") else b.eye(n, dtype=dtype)


def _inverse_gaps(b, w):
    """F with F_ij = 1 / (w_j - w_i) off the diagonal and 0 on it (w_i = w_j for i != j: inf)."""
    eye = _eye_of(b, w)
    gaps = b.sub(b.expand_dims(w, axis=-2), b.expand_dims(w, axis=-1))
    return b.sub(b.div(1.0, b.add(gaps, eye)), eye)


def _diag(b, d, like):
    """The (stack of) diagonal matrices of the vectors d, in like's dtype."""
    return b.mul(_eye_of(b, like), b.expand_dims(d, axis=-2))


@defrule("cholesky")
def cholesky(b, g, ans, a, upper=False):
    """A = L Lᵀ read from A's lower triangle (as NumPy reads it): dA = Φ(S + Sᵀ) with
    S = L⁻ᵀ Φ(Lᵀ dL) L⁻¹, Φ the lower triangle with its diagonal halved; the upper triangle
    gets 0. upper=True: U = Lᵀ read from the upper triangle, the same transposed"""
    low, d_low = (_mT(b, ans), _mT(b, g)) if upper else (ans, g)
    inv = b.inv(low)
    s = b.matmul(b.matmul(_mT(b, inv), _half_triangle(b, b.matmul(_mT(b, low), d_low))), inv)
    d_a = _half_triangle(b, b.add(s, _mT(b, s)))
    return (_mT(b, d_a) if upper else d_a,)


def _eigh_adjoint(b, w, v, d_w, d_v, lower):
    """dA of A = V diag(w) Vᵀ read from one triangle: Φ(S + Sᵀ),
    S = V (diag(dw) + F ∘ Vᵀ dV) Vᵀ."""
    inner = None
    if d_v is not None:
        inner = b.mul(_inverse_gaps(b, w), b.matmul(_mT(b, v), d_v))
    if d_w is not None:
        diag = _diag(b, d_w, v)
        inner = diag if inner is None else b.add(inner, diag)
    s = b.matmul(b.matmul(v, inner), _mT(b, v))
    return _half_triangle(b, b.add(s, _mT(b, s)), lower)


@defrule("eigh")
def eigh(b, g, ans, a, UPLO="L"):
    """A = V diag(w) Vᵀ read from one triangle of A (UPLO, as NumPy reads it; the other
    gets 0): dA = Φ(S + Sᵀ), S = V (diag(dw) + F ∘ Vᵀ dV) Vᵀ, F_ij = 1 / (w_j - w_i) off the
    diagonal, 0 on it, Φ that triangle with its diagonal halved (repeated eigenvalues: inf
    or nan, as in JAX and autograd)"""
    (d_w, d_v), (w, v) = g, ans
    return (_eigh_adjoint(b, w, v, d_w, d_v, UPLO == "L"),)


@defrule("eigvalsh")
def eigvalsh(b, g, ans, a, UPLO="L"):
    """dA = Φ(2 V diag(dw) Vᵀ): eigh's rule without eigenvectors' cotangent (V from
    np.linalg.eigh)"""
    w, v = b.emit("eigh", a, nresults=2, **({} if UPLO == "L" else {"UPLO": UPLO}))
    return (_eigh_adjoint(b, w, v, g, None, UPLO == "L"),)


@defrule("qr")
def qr(b, g, ans, a, mode="reduced"):
    """A = QR (reduced, m >= n): dA = (dQ + Q copyltu(M)) R⁻ᵀ with M = R dRᵀ - dQᵀ Q,
    copyltu(M) the symmetric matrix of M's lower triangle (R singular: inf or nan)"""
    (d_q, d_r), (q, r) = g, ans
    m = None if d_r is None else b.matmul(r, _mT(b, d_r))
    if d_q is not None:
        qq = b.matmul(_mT(b, d_q), q)
        m = b.neg(qq) if m is None else b.sub(m, qq)
    x = b.matmul(q, b.add(b.tril(m), _mT(b, b.tril(m, k=-1))))
    if d_q is not None:
        x = b.add(d_q, x)
    return (_mT(b, b.solve(r, _mT(b, x))),)


@defrule("svd")
def svd(b, g, ans, a, full_matrices=True, compute_uv=True, hermitian=False):
    """A = U diag(s) Vh (reduced): dA = U [(F ∘ (J - Jᵀ)) S + diag(ds) + S (F ∘ (K - Kᵀ))] Vh
    + (dU - U J) S⁻¹ Vh + U S⁻¹ (dVh - Kᵀ Vh), J = Uᵀ dU, K = Vh dVhᵀ, F_ij = 1 / (s_j² - s_i²)
    off the diagonal (Townsend 2016; repeated or zero singular values: inf or nan). Singular
    values alone (compute_uv=False): dA = U diag(ds) Vh"""
    if not compute_uv:
        u, _, vh = b.emit("svd", a, nresults=3, full_matrices=False)
        return (b.matmul(b.mul(u, b.expand_dims(g, axis=-2)), vh),)
    (d_u, d_s, d_vh), (u, s, vh) = g, ans
    f = _inverse_gaps(b, b.mul(s, s))
    rows, cols = b.expand_dims(s, axis=-1), b.expand_dims(s, axis=-2)
    inner, extra = [], []
    if d_u is not None:
        j = b.matmul(_mT(b, u), d_u)
        inner.append(b.mul(b.mul(f, b.sub(j, _mT(b, j))), cols))
        extra.append(b.matmul(b.div(b.sub(d_u, b.matmul(u, j)), cols), vh))
    if d_s is not None:
        inner.append(_diag(b, d_s, u))
    if d_vh is not None:
        k = b.matmul(vh, _mT(b, d_vh))
        inner.append(b.mul(rows, b.mul(f, b.sub(k, _mT(b, k)))))
        extra.append(b.matmul(u, b.div(b.sub(d_vh, b.matmul(_mT(b, k), vh)), rows)))
    total = b.matmul(b.matmul(u, _sum(b, inner)), vh) if inner else None
    return (_sum(b, extra + ([total] if total is not None else [])),)


def _sum(b, parts):
    out = parts[0]
    for p in parts[1:]:
        out = b.add(out, p)
    return out


@defrule("pinv")
def pinv(b, g, ans, a):
    """A⁺ of a full-rank A (Golub & Pereyra): dA = -A⁺ᵀ d A⁺ᵀ + (I - A A⁺) dᵀ A⁺ A⁺ᵀ
    + A⁺ᵀ A⁺ dᵀ (I - A⁺ A)"""
    p, pt, gt = ans, _mT(b, ans), _mT(b, g)
    first = b.neg(b.matmul(b.matmul(pt, g), pt))
    x = b.matmul(b.matmul(gt, p), pt)
    z = b.matmul(pt, b.matmul(p, gt))
    second = b.sub(x, b.matmul(a, b.matmul(p, x)))
    third = b.sub(z, b.matmul(b.matmul(z, p), a))
    return (b.add(first, b.add(second, third)),)


def _power_sum(b, g, m, k):
    """Σ_{j=0}^{k-1} (mᵀ)ʲ d (mᵀ)^(k-1-j): the gradient of mᵏ (k ≥ 1) for cotangent d."""
    t = _mT(b, m)
    powers = [None, t] + [b.matrix_power(t, n=j) for j in range(2, k)]
    total = None
    for j in range(k):
        term = g if j == 0 else b.matmul(powers[j], g)
        if k - 1 - j:
            term = b.matmul(term, powers[k - 1 - j])
        total = term if total is None else b.add(total, term)
    return total


@defrule("matrix_power")
def matrix_power(b, g, ans, a, n):
    """d Aⁿ = Σ_{j<n} (Aᵀ)ʲ d (Aᵀ)ⁿ⁻¹⁻ʲ (n ≥ 1); A⁰ = I is constant; for n < 0, Aⁿ = (A⁻¹)ᵐ
    (m = -n): dA = -A⁻ᵀ D A⁻ᵀ with D that sum for A⁻¹ and m"""
    if n == 0:
        return (None,)
    if n > 0:
        return (_power_sum(b, g, a, n),)
    inverse = b.inv(a)
    t = _mT(b, inverse)
    return (b.neg(b.matmul(b.matmul(t, _power_sum(b, g, inverse, -n)), t)),)
