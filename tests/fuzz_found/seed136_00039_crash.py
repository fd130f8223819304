# s2sgrad fuzz: crash (seed 136, program 39); check again with python tools/fuzz.py --replay THIS_FILE
# float32: AttributeError: 'float' object has no attribute 'astype'
#   File "/work/main/tools/fuzz.py", line 316, in check_float32
#     got, grads = derivative_fn(*prog.call_args(copies(args)), prog.n)
#                  ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
#   File "<s2sgrad:value_and_grad_f#134>", line 338, in value_and_grad_f
#     _d11 = d__result1.astype(np.float32)
#            ^^^^^^^^^^^^^^^^^
# n = 1
# args = {"x0": [[0.5473931145883915, 0.6505956106901865, 0.4900923765542593], [0.16380418251858164, 0.6120941467151226, 0.7985692338113597]], "x1": [[-0.3873736527143332, 0.6580557355236307, -0.3204111914902146], [-0.8737996267445003, 0.41942233827762343, 0.6751763621788527]], "x2": [[0.5076577779256111, 0.20354847937188403, -0.011143552012561342], [0.42719007900639916, 0.7826048109340105, -0.24508507590926798]], "w": -0.9182273837803081, "r": [-0.5462222266024559, 0.6991321286620638, -0.035108914617605125]}
import numpy as np


import s2sgrad


@s2sgrad.custom_vjp
def soft_abs(x):
    return np.sqrt(x * x + 0.01)


@soft_abs.defvjp
def _(g, ans, x):
    return (g * x / ans,)


@s2sgrad.custom_vjp
def smooth_max(a, b):
    return 0.5 * (a + b + np.sqrt((a - b) ** 2 + 0.01))


@smooth_max.defvjp
def _(g, ans, a, b):
    t = (a - b) / np.sqrt((a - b) ** 2 + 0.01)
    return (0.5 * g * (1.0 + t), 0.5 * g * (1.0 - t))


@s2sgrad.register_gradient(np.hypot, override=True)
def _(g, ans, x, y):
    return (g * x / ans, g * y / ans)

K0 = np.array([[2.0, 1.5, 1.5], [2.0, 2.0, -0.5]])
K1 = np.array([[0.7, 0.7, 2.0], [-0.8, -0.5, -1.2]])

def h0(a0, a1):
    y1 = np.zeros((2, 3))
    for i2 in range(3):
        for j3 in range(i2 + 1):
            y1[i2 % 2, j3 % 3] += np.sin(np.tanh((-np.sum(a1))) ** 2)
    return np.sin((np.exp(K0 - np.max(K0, axis=1, keepdims=True)) / np.sum(np.exp(K0 - np.max(K0, axis=1, keepdims=True)), axis=1, keepdims=True))), np.tanh(np.sum(np.mean((K0 - np.max(K0, axis=1, keepdims=True) - np.log(np.sum(np.exp(K0 - np.max(K0, axis=1, keepdims=True)), axis=1, keepdims=True))), axis=1) ** 2))


def h1(a0, k, c=0.5):
    if np.sum(a0) > 0.5:
        y4 = np.zeros((2, 3))
        for i5 in range(k):
            pass
            y4[i5 % 2, i5 % 3] = np.tanh((-np.tanh(y4[k % 2, k % 3]) ** 2))
    elif not np.sum(K0) < -1.0:
        s6 = np.sum(np.array([-0.5 for c7 in range(1, 3) if c7 % 2 == 0]))
    else:
        st8 = (0.5 * np.exp2(0.5 * np.tanh(-0.5 * k)), np.tanh(np.tanh((0.5 / (1.5 + np.sum(a0[0]) ** 2))) ** 2))
        for i9 in range(2):
            p10, q11 = st8
            pass
            st8 = (np.sin(np.sum(np.array([K0 for c12 in a0 if np.sum(a0) > 0.5]))), np.sin(np.sum(np.sum(a0, axis=1) ** 2)))
        p13, q14 = st8
    z15 = np.tanh((a0[::-1] * 0.3))
    cheb16 = z15
    k17 = 0
    while k17 < 3:
        k17 = k17 + 1
        b18 = a0
        if k17 > 0:
            a0, cheb16 = cheb16, 2.0 * z15 * cheb16 - a0
        else:
            c = 0.5 * (np.sum(a0) * -0.8)
        if (np.sum(K1) > 0.0 and np.sum(a0[0]) < 1.5):
            continue
    return np.sin(np.tanh((c if k > 0 else c)) ** 2), np.tanh(np.hypot(K0, 0.5 + np.einsum('ij->ij', cheb16) ** 2)), 2


def f(x0, x1, x2, w, r, n=2, c=0.7):
    y19 = np.zeros((2, 3))
    for i20 in range(3):
        sa22 = np.sin(np.sum(np.array([np.sum(x2[-1, :] * 0.5) for c23 in x2 if -1.2 < -0.5])))
        sb24 = np.sin(smooth_max((-(-1.5)), np.mean((np.mean(K0, axis=0, keepdims=True) * x2))))
        k25 = 0
        while k25 < 3:
            k25 = k25 + 1
            b26 = w
            w = 0.5 * w + np.tanh(np.tanh(np.exp(0.5 * np.tanh((x2[1, 2] if not np.sum(K0) > 0.2 else np.sum(x0))))) ** 2)
            for e28 in x2:
                y19[1, 2] = 0.5 * y19[1, 2] + np.sin((-1.2 * i20 * np.sum(y19)))
                if k25 > 0:
                    return np.sin(w) + np.sum(x0 * x0) + np.sum(y19 * y19) + np.sum(np.sin(x1))
                b30 = sb24
            rb31 = np.sin((np.sum(x1[:, i20 % 3]) / (1.5 + np.sum((x0[i20 % 2] - y19[i20 % 2]) * 2.0) ** 2)))
            rc32 = np.sin(np.sum(np.array([-1.2 for c33 in range(1, 3)])))
            k34 = 0
            while k34 < 3:
                k34 = k34 + 1
                cand35 = np.tanh((w * -0.8))
                if cand35 < c:
                    c = cand35
                sa22, rb31, rc32 = rb31, rc32, np.sin(sa22 + np.sum(r * 0.3))
                if (np.sum(K0) > 0.2 and -0.8 * n < 1.5):
                    cand35 = 0.5 * np.mean(K0)
                    break
            if np.sum(np.tanh(K1) ** 2) < 1.5:
                sa22, sb24 = sb24, sa22 + sb24
            else:
                x1 = np.sin(soft_abs(K0))
            if not np.sum(x1) < -1.0:
                continue
        for j21 in range(n):
            pass
            y19 = np.tanh(y19, out=y19)
            sa22 = 0.5 * sa22 + np.sin(np.sum(y19[n % 2]))
        if not np.sum(K0) > -1.0:
            break
    vel36 = 0.0
    pos37 = (0.5 * sum(-0.5 for c38 in range(3)))
    for e40, e41 in zip(x2, x2):
        vel36 = 0.9 * vel36 + (pos37 - w)
        pos37 = pos37 - 0.1 * vel36
    if np.sum((x1 * -0.5 * n)) < -1.0:
        return np.sum(x2 * x2) + 0.5 * c + -1.2 * pos37
    return np.sum(y19 * y19) + 0.5 * pos37
