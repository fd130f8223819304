"""Rules for elementwise functions of one or two arrays."""

import math

from .registry import defrule


@defrule("exp")
def exp(b, g, ans, x):
    """d exp(x) = exp(x) dx"""
    return (b.mul(g, ans),)


@defrule("log")
def log(b, g, ans, x):
    """d log(x) = dx / x"""
    return (b.div(g, x),)


@defrule("log2")
def log2(b, g, ans, x):
    """d log2(x) = dx / (x log 2)"""
    return (b.div(g, b.mul(x, math.log(2.0))),)


@defrule("log10")
def log10(b, g, ans, x):
    """d log10(x) = dx / (x log 10)"""
    return (b.div(g, b.mul(x, math.log(10.0))),)


@defrule("log1p")
def log1p(b, g, ans, x):
    """d log(1 + x) = dx / (1 + x)"""
    return (b.div(g, b.add(x, 1.0)),)


@defrule("expm1")
def expm1(b, g, ans, x):
    """d (exp(x) - 1) = (ans + 1) dx"""
    return (b.mul(g, b.add(ans, 1.0)),)


@defrule("sqrt")
def sqrt(b, g, ans, x):
    """d sqrt(x) = dx / (2 sqrt(x))"""
    return (b.div(g, b.mul(ans, 2.0)),)


@defrule("square")
def square(b, g, ans, x):
    """d x² = 2x dx"""
    return (b.mul(g, b.mul(x, 2.0)),)


@defrule("abs")
def abs_(b, g, ans, x):
    """d |x| = sign(x) dx  (0 at x = 0)"""
    return (b.mul(g, b.sign(x)),)


@defrule("sin")
def sin(b, g, ans, x):
    """d sin(x) = cos(x) dx"""
    return (b.mul(g, b.cos(x)),)


@defrule("cos")
def cos(b, g, ans, x):
    """d cos(x) = -sin(x) dx"""
    return (b.neg(b.mul(g, b.sin(x))),)


@defrule("tan")
def tan(b, g, ans, x):
    """d tan(x) = (1 + tan²x) dx"""
    return (b.mul(g, b.add(b.mul(ans, ans), 1.0)),)


@defrule("tanh")
def tanh(b, g, ans, x):
    """d tanh(x) = (1 - tanh²x) dx"""
    return (b.mul(g, b.sub(1.0, b.mul(ans, ans))),)


@defrule("arctan")
def arctan(b, g, ans, x):
    """d arctan(x) = dx / (1 + x²)"""
    return (b.div(g, b.add(b.mul(x, x), 1.0)),)


@defrule("arcsin")
def arcsin(b, g, ans, x):
    """d arcsin(x) = dx / sqrt(1 - x²)"""
    return (b.div(g, b.sqrt(b.sub(1.0, b.mul(x, x)))),)


@defrule("arccos")
def arccos(b, g, ans, x):
    """d arccos(x) = -dx / sqrt(1 - x²)"""
    return (b.neg(b.div(g, b.sqrt(b.sub(1.0, b.mul(x, x))))),)


@defrule("arcsinh")
def arcsinh(b, g, ans, x):
    """d arcsinh(x) = dx / sqrt(x² + 1)"""
    return (b.div(g, b.sqrt(b.add(b.mul(x, x), 1.0))),)


@defrule("sinh")
def sinh(b, g, ans, x):
    """d sinh(x) = cosh(x) dx"""
    return (b.mul(g, b.cosh(x)),)


@defrule("cosh")
def cosh(b, g, ans, x):
    """d cosh(x) = sinh(x) dx"""
    return (b.mul(g, b.sinh(x)),)


@defrule("arctan2", broadcasts=True)
def arctan2(b, g, ans, y, x):
    """d arctan2(y, x) = (x dy - y dx) / (x² + y²)"""
    r2 = b.add(b.mul(x, x), b.mul(y, y))
    return b.div(b.mul(g, x), r2), b.neg(b.div(b.mul(g, y), r2))


@defrule("logaddexp", broadcasts=True)
def logaddexp(b, g, ans, x, y):
    """d log(eˣ + eʸ) = dx / (1 + e^(y-x)) + dy / (1 + e^(x-y)): the logistic function,
    which needs no `ans` (a gradient alone never computes np.logaddexp) and is exact at
    an infinite x or y (e^(x-ans) is NaN there)."""
    return (b.div(g, b.add(1.0, b.exp(b.sub(y, x)))), b.div(g, b.add(1.0, b.exp(b.sub(x, y)))))


@defrule("logaddexp2", broadcasts=True)
def logaddexp2(b, g, ans, x, y):
    """d log2(2ˣ + 2ʸ) = dx / (1 + 2^(y-x)) + dy / (1 + 2^(x-y)) (as logaddexp: exact at an
    infinite x or y, where 2^(x-ans) is NaN)"""
    return (b.div(g, b.add(1.0, b.exp2(b.sub(y, x)))), b.div(g, b.add(1.0, b.exp2(b.sub(x, y)))))


@defrule("heaviside", broadcasts=True)
def heaviside(b, g, ans, x1, x2):
    """d heaviside(x1, x2) = [x1 = 0] dx2: the step is x2 where x1 is 0 (none to x1, whose
    step is constant on each side of 0)"""
    return None, b.where(b.eq(x1, 0.0), g, 0.0)


@defrule("arccosh")
def arccosh(b, g, ans, x):
    """d arccosh(x) = dx / sqrt(x² - 1)"""
    return (b.div(g, b.sqrt(b.sub(b.mul(x, x), 1.0))),)


@defrule("arctanh")
def arctanh(b, g, ans, x):
    """d arctanh(x) = dx / (1 - x²)"""
    return (b.div(g, b.sub(1.0, b.mul(x, x))),)


@defrule("exp2")
def exp2(b, g, ans, x):
    """d 2ˣ = 2ˣ log 2 dx"""
    return (b.mul(g, b.mul(ans, math.log(2.0))),)


@defrule("cbrt")
def cbrt(b, g, ans, x):
    """d ∛x = dx / (3 ∛x²)  (infinite at 0, as in JAX)"""
    return (b.div(g, b.mul(b.mul(ans, ans), 3.0)),)


@defrule("reciprocal")
def reciprocal(b, g, ans, x):
    """d (1/x) = -dx / x²  (= -ans² dx)"""
    return (b.neg(b.mul(g, b.mul(ans, ans))),)


@defrule("deg2rad")
def deg2rad(b, g, ans, x):
    """d (π x / 180) = π/180 dx  (np.radians is the same function)"""
    return (b.mul(g, math.pi / 180.0),)


@defrule("rad2deg")
def rad2deg(b, g, ans, x):
    """d (180 x / π) = 180/π dx  (np.degrees is the same function)"""
    return (b.mul(g, 180.0 / math.pi),)


@defrule("fabs")
def fabs(b, g, ans, x):
    """d |x| = sign(x) dx  (0 at x = 0, as abs)"""
    return (b.mul(g, b.sign(x)),)


@defrule("real")
def real(b, g, ans, val):
    """d real(x) = d (x is real: the identity)"""
    return (g,)


@defrule("conj")
def conj(b, g, ans, x):
    """d conj(x) = d (x is real: the identity)"""
    return (g,)


@defrule("nan_to_num")
def nan_to_num(b, g, ans, x, copy=True, nan=0.0, posinf=None, neginf=None):
    """d nan_to_num(x) = d where x is finite, 0 where a nan or an infinity was replaced"""
    return (b.where(b.isfinite(x), g, 0.0),)


@defrule("copysign", broadcasts=True)
def copysign(b, g, ans, x1, x2):
    """d copysign(x1, x2) = ±d x1: d where the sign of x1 is kept, -d where it is flipped;
    none to x2 (only its sign is read)"""
    flipped = b.ne(b.copysign(1.0, x1), b.copysign(1.0, ans))
    return b.where(flipped, b.neg(g), g), None
