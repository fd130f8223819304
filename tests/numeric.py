"""The one numerical reference of the test suite: float64 central differences."""

import numpy as np

# Float32 gradients are compared with float64 gradients at the same (float32-rounded) point,
# so only the arithmetic differs: |g32 - g64| <= RTOL_F32 * (|g64| + max |g64|), per
# argument. 1e-4 is about 1700 float32 unit roundoffs (2^-24): room for a few dozen rounded
# ops on the cases' well-conditioned inputs (the worst case today is near 7e-6); the
# max |g64| term covers small entries that are differences of large ones. docs/contract.md
RTOL_F32 = 1e-4


def central_difference(f, values, i, eps=1e-6):
    """d sum(f) / d values[i] by central differences, each element perturbed in float64."""

    def at(v):
        vals = list(values)
        vals[i] = v
        return float(np.sum(f(*vals)))

    x = values[i]
    if isinstance(x, float):
        return (at(x + eps) - at(x - eps)) / (2 * eps)
    x64 = np.asarray(x, dtype=np.float64)
    out = np.zeros(x64.shape)
    for idx in np.ndindex(x64.shape):
        up, down = x64.copy(), x64.copy()
        up[idx] += eps
        down[idx] -= eps
        out[idx] = (at(up.astype(x.dtype)) - at(down.astype(x.dtype))) / (2 * eps)
    return out
