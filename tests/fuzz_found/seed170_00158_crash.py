# s2sgrad fuzz: crash (seed 170, program 158); check again with python tools/fuzz.py --replay THIS_FILE
# grad: NameError: name '_' is not defined
#   File "/work/main/tools/fuzz.py", line 427, in check_grad_only
#     grads = s2sgrad.grad(f, wrt=prog.params)(*prog.args, prog.n)
#             ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
#   File "<s2sgrad:grad_f#334>", line 66, in grad_f
#     _t3 = np.cos(x1, out=_)
#                          ^
# n = 3
# args = {"x0": [[-0.6973131502353247, 0.7970683599745267, 0.4236493820162761], [0.37033012667469634, -0.09467489281481112, -0.24949487835266626]], "x1": [[0.551282672839053, 0.619983204750874, 0.7736969313706767], [-0.34257763673349184, 0.5615929415259366, 0.9331059600646487]]}
import math

import numpy as np


def f(x0, x1, n):
    for i1 in range(len(x1)):
        v2 = np.sin(x0[:, ::-1])
        s3 = 0.5 * (max(np.sum(v2), 0.3) - ((-0.8 * i1 * 0.7) / (1.5 + -0.5 ** 2)))
        lam4 = lambda lv5: np.tanh(s3) ** 2  # noqa: E731
    v6 = (-x0)
    return np.sum(v6 * v6) + np.sum(0.7 * v2) + np.sum(np.sin(x1)) + np.sum(x0 * x0)
