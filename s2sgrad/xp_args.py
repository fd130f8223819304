"""Arguments of other array libraries (`xp=True`: codegen_xp.py's modules): how the
API types, keys and checks an array of array_api_strict, CuPy, Dask... without
converting it (a Dask array is never computed here).

array_api_compat is imported on first use: it is an optional dependency (the `xp`
extra), which only calls given such arrays need.
"""

import math

import numpy as np

from .errors import InvalidArgumentError
from .ir import types as T


def _compat():
    try:
        import array_api_compat
    except ImportError:  # (only reached with an array NumPy does not make)
        return None
    return array_api_compat


def is_array(v):
    """True for an array of a library implementing the array API standard other than a
    NumPy ndarray or scalar (which the API takes on its own path)."""
    if v is None or isinstance(
        v, (np.ndarray, np.generic, int, float, complex, str, np.random.Generator)
    ):
        return False
    c = _compat()
    return c is not None and c.is_array_api_obj(v)


def library(v):
    """The name of v's array namespace (`array_api_strict`, `array_api_compat.dask.array`)."""
    return _compat().array_namespace(v).__name__


def dtype_name(v):
    """v's dtype as s2sgrad names it ('float64'): NumPy's name, or the standard's."""
    d = v.dtype
    return getattr(d, "name", None) or str(d).rsplit(".", 1)[-1]


def shape(name, v):
    """v's shape, refusing a size the library does not know yet (a Dask array after
    boolean indexing: its chunks are nan)."""
    s = tuple(v.shape)
    if any(n is None or isinstance(n, float) and math.isnan(n) for n in s):
        raise InvalidArgumentError(
            f"argument {name} is an array of unknown shape {s} (a Dask array whose chunk "
            "sizes are unknown): s2sgrad specialises on shapes",
            hint="compute the chunk sizes first (x.compute_chunk_sizes() for Dask)",
        )
    return s


def key(v, sizes):
    """signature_key's entry for v: its library, dtype and size pattern."""
    return (
        library(v),
        dtype_name(v),
        tuple(
            None if n == 1 else "0" if n == 0 else sizes.setdefault(n, len(sizes))
            for n in shape("", v)
        ),
    )


def type_of(name, v, sizes, xp):
    """The IR type of an array argument of another library (`xp=True` only)."""
    if not xp:
        raise InvalidArgumentError(
            f"argument {name} is a {type(v).__module__}.{type(v).__name__}, an array of "
            f"{library(v)}; the NumPy module takes NumPy arrays",
            hint="pass xp=True (grad(f, xp=True)) for array-API code that runs on it, or "
            "convert it with np.asarray(...)",
        )
    dt = dtype_name(v)
    if not (dt.startswith(("float", "int", "uint", "complex")) or dt == "bool"):
        raise InvalidArgumentError(
            f"argument {name} is an array of dtype {dt}; s2sgrad "
            "functions take arrays of numbers (bool, int, float)"
        )
    dims = [n if n in (0, 1) else sizes.setdefault(n, f"n{len(sizes)}") for n in shape(name, v)]
    return T.Type(dtype=dt, shape=tuple(dims))


def is_float(v):
    """v's dtype is a float or complex one (it has a gradient)."""
    xp = _compat().array_namespace(v)
    return bool(xp.isdtype(v.dtype, ("real floating", "complex floating")))


def like(t, p):
    """The tangent t as an array of p's library and dtype."""
    if is_array(t):
        return t
    xp = _compat().array_namespace(p)
    return xp.asarray(t, dtype=p.dtype)
