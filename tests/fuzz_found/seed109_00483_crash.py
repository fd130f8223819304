# s2sgrad fuzz: crash (seed 109, program 483); check again with python tools/fuzz.py --replay THIS_FILE
# (fixed since) jvp(grad(f)): the tangent of a branch's None stood in for a shape
# n = 1
# args = {"x0": [[0.27743791162640186, 0.244872473349955, -0.8525552352384389], [-0.33128079918855424, 0.37020276701668364, -0.4497776324961549]], "x1": [[-0.870204669975521, 0.7863137261440301, -0.5553994380259086], [0.6060828735756318, -0.4944019253526548, -0.14164871325096162]], "w": -0.12144769279455248}
import numpy as np


def h0(a0, c=0.5):
    y1 = np.zeros((2, 3))
    for i2 in range(2):
        st4 = (np.sin((np.max((y1 - np.max(y1, axis=1, keepdims=True) - np.log(np.sum(np.exp(y1 - np.max(y1, axis=1, keepdims=True)), axis=1, keepdims=True)))) * 0.5 + np.log(np.sum(np.exp((y1 - np.max(y1, axis=1, keepdims=True) - np.log(np.sum(np.exp(y1 - np.max(y1, axis=1, keepdims=True)), axis=1, keepdims=True))) - np.max((y1 - np.max(y1, axis=1, keepdims=True) - np.log(np.sum(np.exp(y1 - np.max(y1, axis=1, keepdims=True)), axis=1, keepdims=True))))))))), np.tanh((--1.2 * i2)))
        for i5 in range(2):
            p6, q7 = st4
            pass
            st4 = (np.sin((float(np.sum(a0[:, 1:])) * 0.5)), np.sin(np.sum(y1 @ (a0[1] + y1[i2 % 2]))))
        p8, q9 = st4
        for j3 in range(i2 + 1):
            y1[i2 % 2] *= np.sin((np.max(y1) + np.log(np.sum(np.exp(y1 - np.max(y1))))))
        if not np.sum(y1) > -0.5:
            a0 = 0.5 * a0 + np.tanh((a0 / (1.5 + y1 ** 2)))
            break
    return np.sin((-y1)), np.tanh(float((0.7 + c)))


def h1(a0, a1, k, c=0.5):
    a9 = a0 + np.zeros((2, 3))
    pass
    return 0.5 * (a9 * a9[k % 2]), np.tanh(a9[:, ::-1])


def f(x0, x1, w, n):
    st10 = (np.tanh((-0.5 * n)), 0.5 * (np.flip(x1) + w))
    for i11 in range(len(x1)):
        p12, q13 = st10
        pass
        st10 = (np.sin(np.sum(np.tanh((x1[::-1] * -0.8)) ** 2 @ (np.cos(x0[-1, :]) * -0.5))), np.sin(np.tanh(x0) ** 2))
    p14, q15 = st10
    x1 -= 0.5 * np.tanh((q15 * np.sum(np.array([np.sum(x1) for c17 in range(1, 3) if c17 % 2 == 0]))))
    return np.sin(w)
