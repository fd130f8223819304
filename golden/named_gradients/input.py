# s2sgrad: emit ridge
"""name='ridge_grads': the adjoint section and its variables carry the name."""
import numpy as np
import s2sgrad


@s2sgrad.function
def ridge(X: "float64[n, d]", w: "float64[d]", y: "float64[n]", lam: float):
    r = X @ w - y
    loss = 0.5 * np.sum(r * r) + lam * np.sum(w * w)
    (d_w,) = s2sgrad.gradients(loss, [w], name="ridge_grads")
    return loss, d_w
