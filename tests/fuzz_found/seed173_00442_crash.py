# s2sgrad fuzz: crash (seed 173, program 442); check again with python tools/fuzz.py --replay THIS_FILE
# float32: TypeError: s2sgrad type check at _s2s_fuzz_fb0e2bc51ab4e2cf.py:38: float64 float64[], static float32() weak=False
#   File "/work/main/tools/fuzz.py", line 326, in check_float32
#     got, grads = derivative_fn(*prog.call_args(copies(args)), prog.n)
#                  ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
#   File "<s2sgrad:value_and_grad_f#957>", line 227, in value_and_grad_f
#     _s2s_typecheck(_d4, 'float32', (), False, '_s2s_fuzz_fb0e2bc51ab4e2cf.py:38')
#   File "<s2sgrad:value_and_grad_f#957>", line 32, in _s2s_typecheck
#     raise TypeError(f"s2sgrad type check at {where}: {got}, static {dtype}{shape} weak={weak}")
# n = 0
# args = {"x0": [[-0.2823237827533964, -0.09573219352106777, 0.47969555130871644], [0.9116911080418124, 0.06178642284514457, -0.5885004669589979]], "x1": [[-0.16957069535052582, 0.720185281512969, 0.7213917952084403], [-0.01621695226578601, 0.09747866932281202, -0.9748468771526755]], "x2": [[-0.6353723684142227, 0.414401256466453, 0.36341552998591875], [-0.11039753553208764, -0.43932197228789205, 0.1252538748763672]], "r": [0.19806554495953987, -0.3775456219061477, -0.11754238949534135]}
# tree = {"x0": "x0", "x1": "x1", "x2": "x2", "r": "r"}
import math

import numpy as np

K0 = np.array([[0.3, 0.3, -0.5], [2.0, 0.5, -0.8]])
K1 = np.array([[0.5, 1.5, -0.8], [0.7, 0.3, 0.5]])


def step_dict(q, c):
    out = {**q, 'a': np.tanh(q['a'] * q['s'] + c)}
    return {'a': out['a'], 's': q['s'] * 0.9}


def step_pair(q, c):
    pairs = [(q['a'], q['s'])]
    for a, s in pairs:
        q = {'a': np.sin(a) * s + c, 's': s * 0.9}
    return q


def f(p, n):
    x0 = p["x0"].copy()
    x1 = p["x1"]
    x2 = p["x2"]
    r = p["r"]
    y1 = np.zeros((2, 3))
    for i2 in range(2):
        for j3 in range(i2 + 1):
            for e5, e6 in zip(x0, x0):
                s7 = np.tanh((np.sum(y1) * np.floor_divide(n + 2, 2)))
                t8 = x1
                x1 = x2
                x2 = np.tanh(t8 * 2.0)
            y1[j3 % 2, i2 % 3] = np.tanh((np.sum(x1[:, 1:]) / (1.5 + np.sum(y1) ** 2)))
            s9 = np.sin(np.sum(y1[0]))
        if (np.sum(x0) > 0.0 and -1.2 * i2 < 0.2):
            break
    x0[1] += np.sin(abs((np.sum(x2) if -1.2 * n > 1.0 else 0.7)))
    d10 = {'a': x1, 's': 0.7}
    for i11 in range(n):
        d10 = step_pair(d10, 0.7)
    tt12 = np.sum(d10['a'] ** 2) + d10['s']
    return np.sum(r * r) + np.sum(x0 * x0) + np.sum(np.sin(y1)) + np.sum(np.sin(x2)) + np.sum(x1 * x1) + 0.5 * tt12
