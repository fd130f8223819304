"""A projectile with quadratic air drag, integrated with semi-implicit Euler:
how far from the target it lands after a fixed number of steps.

    s2sgrad emit examples/physics.py::miss --wrt v0,drag -o examples/physics_grad.py
"""

import numpy as np


def miss(v0: "float64[2]", drag: float, dt: float, steps: int, target: "float64[2]"):
    x = np.zeros(2)
    v = v0
    gravity = np.array([0.0, -9.81])
    for i in range(steps):
        speed = np.sqrt(np.sum(v * v))
        v = v + dt * (gravity - drag * speed * v)
        x = x + dt * v
    return np.sum((x - target) ** 2)
