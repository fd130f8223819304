# s2sgrad: emit pendulum --wrt theta,omega
"""`math` for Python floats (passes/pymath.py): on a Python float np.cos and np.sin are
written with the math module (through a helper that gives NumPy's value where math
raises), np.arctan as math.atan (which never raises), and what they make stays a Python
float. np.exp stays: the gradient of arctan divides what it makes by a Python float
(`_t2 / (omega * omega + 1.0)`), which raises where NumPy's float64 gives inf. np.sqrt stays: s is a
divisor (1.0 / s), and its operand may still come from math.cos. np.tanh stays NumPy's
(its SIMD loop rounds differently from math.tanh), and its value, which the reverse
sweep's arithmetic reads, becomes a Python float: float(np.tanh(...))."""
import numpy as np


def pendulum(theta: float, omega: float, g: float):
    e = 0.5 * omega * omega - g * np.cos(theta)
    s = np.sqrt(1.0 + e * e)
    return np.log(s) + np.arctan(omega) * np.exp(-theta * theta) + np.tanh(theta * omega)
