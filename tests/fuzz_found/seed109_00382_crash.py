# s2sgrad fuzz: crash (seed 109, program 382); check again with python tools/fuzz.py --replay THIS_FILE
# (fixed since) loop_stack: a batch read the loop's own value
# n = 1
# args = {"x0": [[-0.789164202825039, 0.6555909421859007, 0.8304325810884772], [-0.8427717943353557, 0.9621168237890088, 0.2715160650186299]], "x1": [[0.43211996478463366, -0.4652973977204773, 0.4047699957711688], [0.017217050840424353, 0.1735080897054011, -0.23851101870553792]], "w": -0.5185416128298586, "r": [-0.4554163629215393, 0.24415495234409912, -0.3294100721047566]}
import numpy as np

K0 = np.array([[0.3, 0.3, 0.7], [-1.2, 1.5, -0.5]])
K1 = np.array([[0.3, -0.5, 1.5], [-0.5, 0.5, -0.8]])

def f(x0, x1, w, r, n):
    v1 = np.sin((x0 + r))
    r2 = (r * w)
    q4 = r2 * 0.5
    for i3 in range(x0.shape[0]):
        q4 = np.tanh(q4 @ np.outer(r2, r2) * 0.3 + x0[i3])
        w = w + np.cos(q4) @ x0[i3]
    return np.sum(-1.2 * v1) + np.sum(r2 * r2) + -1.2 * w
