# s2sgrad fuzz: crash (seed 136, program 93); check again with python tools/fuzz.py --replay THIS_FILE
# float32: AttributeError: 'float' object has no attribute 'astype'
#   File "/work/main/tools/fuzz.py", line 316, in check_float32
#     got, grads = derivative_fn(*prog.call_args(copies(args)), prog.n)
#                  ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
#   File "<s2sgrad:value_and_grad_f#263>", line 57, in value_and_grad_f
#     _d0 = np.broadcast_to(-d_rc3.astype(np.float32), (_t7[0],))
#                            ^^^^^^^^^^^^
# n = 1
# args = {"x0": [[0.41836242677616964, -0.33330546370611835, 0.6921964531617708], [-0.8869228175056725, 0.7896692734805593, 0.732963229358879]], "x1": [[0.46874350694154, -0.11790045365930735, 0.6425993066691142], [0.9913115276182907, 0.1630778540368767, 0.44860691846524015]]}
import numpy as np


def h0(a0, a1, k):
    pass
    return np.sin(a0.reshape(a0.shape)), np.tanh(((0.5 * k if np.sum(a0) > 1.5 else a1) if k % 2 == 0 else np.sum(a0)))


def h1(a0, a1, k, c=0.5):
    a9 = a0 + np.zeros((2, 3))
    pass
    return 0.5 * (np.abs(a9) * np.sin(np.mean(a9, axis=0))), np.tanh((a9[::-1] * 0.5))


def f(x0, x1, n):
    ra1 = (-0.3 * n)
    rb2 = np.tanh(((0.7 * n if (np.sum(x1) > 1.5 or -0.5 * n > -0.5) else np.arctan(np.sum(x1[0]))) * 0.7))
    rc3 = (-np.sum(x0 @ np.sum(x0, axis=0)))
    k4 = 0
    while k4 < 3 and abs(ra1 - rb2) > 0.5:
        k4 = k4 + 1
        if not np.sum(x1) > 0.2:
            ra1, rb2, rc3 = rb2, rc3, np.sin(ra1 + (-0.3 * n))
    return np.sum(np.sin(x1)) + -0.8 * rc3
