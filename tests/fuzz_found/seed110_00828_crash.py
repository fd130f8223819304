# s2sgrad fuzz: crash (seed 110, program 828); check again with python tools/fuzz.py --replay THIS_FILE
# (fixed since) loop_accumulate: a constant read where it was not defined
# n = 0
# args = {"x0": [-0.9900735186964129, 0.19809543798754103, -0.18187229894630197], "x1": [0.6436062973388519, -0.6883475834775805, 0.36877162540944086]}
import numpy as np

K0 = np.array([-0.8, 0.3, -1.2])

def h0(a0, c=0.5):
    prev1 = np.tanh((a0[0] * -0.5))
    cur2 = 0.5 * (a0 @ (K0 / (1.5 + a0 ** 2)))
    k3 = 0
    while k3 < 2:
        k3 = k3 + 1
        if np.mean(K0) > 0.0:
            prev1 = cur2
            cur2 = np.tanh(2.0 * prev1 + np.arctan(0.5))
        else:
            prev1 = 0.5 * np.nanmax(K0)
    vel4 = 0.0 * a0
    for i5 in range(2):
        v6 = 0.5 * np.cos(np.logaddexp(vel4, 0.5 * np.tanh(a0)))
        if np.sum(v6) > 0.5:
            vel4 = 0.9 * vel4 + np.sin(a0) * np.exp(0.5 * np.tanh(K0))
            a0 = a0 - 0.1 * vel4
        else:
            prev1 = 0.5 * prev1 + np.tanh((--0.5))
    return np.sin(((-a0) @ vel4)), np.tanh((np.where(vel4 > 0.2, K0, K0) if not np.sum(vel4) > -0.5 else vel4)), 2


def f(x0, x1, n, c=2.0):
    if np.sum((K0 + x1)) < -1.0:
        vel7 = 0.0
        for e9, e10 in zip(x0, x0):
            k11 = 0
            while k11 < 2:
                k11 = k11 + 1
                lam12 = lambda lv13: (lv13 * np.sum(np.array([np.tanh(0.5 * k11) ** 2 for c15 in (lv13, x0,) if np.sum(c15) < -0.5])))  # noqa: E731
                t19 = h0(x0)
                p16 = t19[0]
                p17 = t19[1]
                m18 = t19[2]
            k20 = 0
            while k20 < 2:
                k20 = k20 + 1
                vel7 += 0.5 * np.tanh((((-x1) if (np.sum(K0) < -1.0 or 1.5 * n > 1.5) else x1) @ ((K0 - K0) - np.max((K0 - K0)) - np.log(np.sum(np.exp((K0 - K0) - np.max((K0 - K0))))))))
            if x0[0] < 0.5:
                vel7 = 0.9 * vel7 + (c - np.tanh(0.7 * n))
                c = c - 0.1 * vel7
            else:
                s21 = 0.5 * abs(np.sum(x0[::2]))
            if k11 > 0:
                x1 = 0.5 * (-K0)
                break
    elif (np.max(x1) * 0.5 + np.log(np.sum(np.exp(x1 - np.max(x1))))) > -1.0:
        s22 = np.sin(((np.max(K0) * 0.5 + np.log(np.sum(np.exp(K0 - np.max(K0))))) * -0.8))
    x0[1] = c
    k23 = 0
    while k23 < 2 and x1[-1] > 0.5:
        k23 = k23 + 1
        s24 = np.tanh((-2.0 * n))
        if not np.sum(x1) < 0.0:
            c = np.sin(abs(np.sum(x0)))
            break
    return np.sum(x1 * x1) + np.sum(2.0 * x0) + -0.8 * c
