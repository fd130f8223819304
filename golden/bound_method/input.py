# s2sgrad: emit model.loss --wrt x
"""A method bound to an object (s2sgrad.grad(model.loss)): self.W, self.scale and the
arrays of an object it holds (self.cfg.b) are constants, read when the method is
transformed and frozen then (written into the module as np.array literals), and
self.act(h) calls another method of the object. The golden case is made from the
live object `model` below (input.py is imported for it; the command line, which never
runs a file, takes functions, not methods)."""
import numpy as np


class Config:
    def __init__(self):
        self.gain = 0.5
        self.b = np.array([0.1, -0.2, 0.3])


class Model:
    def __init__(self):
        self.W = np.array([[1.0, 2.0, 0.5], [0.3, -1.0, 2.0], [0.1, 0.2, 0.3]]) * 0.5
        self.scale = 2.0
        self.steps = 2
        self.cfg = Config()

    def act(self, h):
        return np.tanh(h * self.cfg.gain) + self.cfg.b

    def loss(self, x: "float64[3]"):
        h = x
        for _ in range(self.steps):
            h = self.act(self.W @ h)
        return np.sum(h ** 2) * self.scale


model = Model()
