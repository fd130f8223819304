# s2sgrad: emit td_loss
"""s2sgrad.stop_gradient on the bootstrap target of a TD(0) value loss (semi-gradient)."""
import numpy as np
import s2sgrad


@s2sgrad.function
def td_loss(w: "float64[d]", phi: "float64[n, d]", phi_next: "float64[n, d]",
            r: "float64[n]", gamma: float):
    v = phi @ w
    target = s2sgrad.stop_gradient(r + gamma * (phi_next @ w))
    loss = 0.5 * np.mean((target - v) ** 2)
    (d_w,) = s2sgrad.gradients(loss, [w])
    return loss, d_w
