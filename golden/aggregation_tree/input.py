# s2sgrad: emit energy
"""Aggregation EXPERIMENTAL_TREE: u = sin(x) is used five times (u * u twice), so its adjoint sums five contributions."""
import numpy as np
import s2sgrad


@s2sgrad.function
def energy(x: "float64[n]"):
    u = np.sin(x)
    e = np.sum(u * u + np.exp(u) + 3.0 * u + np.cos(u))
    (d_x,) = s2sgrad.gradients(e, [x], aggregation_method=s2sgrad.AggregationMethod.EXPERIMENTAL_TREE)
    return e, d_x
