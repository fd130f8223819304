"""Integer and bool values are constant for differentiation, as in tf.gradients."""


def is_constant(value):
    """True for values that never carry a gradient: int/bool arrays and
    scalars, and non-array values (tuples of sizes, None, strings)."""
    return value.type.is_integer
