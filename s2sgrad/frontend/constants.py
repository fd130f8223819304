"""Values the function reads that are frozen when it is transformed, for the lowerer
(_Lowerer in lower.py): NumPy arrays of its module (`K = np.array(...)` at module level),
the attributes of a bound method's object (`self.W`, `self.cfg.b`, `self.helper(x)`), and
the source's default values the generated `def` keeps.
"""

import types

import numpy as np

from ..ir import types as T
from ..ir.core import ModuleConstant
from . import source as S
from .shared import _MISSING, Static, _refuse_complex

# the largest module-level array (in elements) written into a generated module as a literal
MODULE_ARRAY_LIMIT = 1000


class _Object:
    """A bound method's object (or an object it holds), `path` its spelling in the source
    (`self`, `self.cfg`): its attributes are read when the function is transformed."""

    def __init__(self, value, path):
        self.value, self.path = value, path


class _Constants:
    """The frozen values of _Lowerer (lower.py)."""

    def kept_defaults(self):
        """((name, value), ...): the literal default values of the parameters whose type
        in this specialisation is the default's own (`scale=2.0` given a float, `n=3`
        specialised for 3), which the generated def keeps; a default that is not a
        literal, or that this specialisation's code would not compute with, is left out
        (a call without that argument is then a TypeError, never another number)."""
        a = self.p.node.args
        out = []
        for arg, d in zip(a.args[len(a.args) - len(a.defaults) :], a.defaults):
            literal = S.literal_value(d)
            t = self.arg_types.get(arg.id, T.UNKNOWN)
            if literal is None or isinstance(literal[0], complex):
                continue
            v = literal[0]
            same = (
                (type(t.value) is type(v) and t.value == v)
                if isinstance(t, Static)
                else not isinstance(v, (bool, str, type(None))) and T.of_python(v) == t
            )
            if same:
                out.append((arg.id, v))
        return tuple(out)

    def module_array(self, node, name, value, what=None):
        """A NumPy array the function reads from its module (or from the object of a bound
        method, `what` naming it): a constant, frozen now, which the generated module
        defines as `name = np.array([...], dtype=...)` and reads by name."""
        what = what or f"the module-level array {name!r}"
        a = np.asarray(value)
        if a.dtype.kind == "c":
            _refuse_complex(self, node, f"{what} is complex")
        if a.dtype.kind not in "biuf":
            self.unsupported(
                node,
                f"{what} has dtype {a.dtype}, not numbers",
                "pass it to the function as an argument",
            )
        if a.size > MODULE_ARRAY_LIMIT:
            self.unsupported(
                node,
                f"{what} has {a.size} elements: s2sgrad writes a module "
                f"constant into the generated module as a literal, up to "
                f"{MODULE_ARRAY_LIMIT} elements",
                f"pass {name!r} to the function as an argument (then it is not frozen either)",
            )
        c = ModuleConstant(name, a.dtype.name, tuple(a.shape), tuple(a.ravel().tolist()))
        held = self.module.bound.setdefault(name, c.statement)
        if held != c.statement:
            self.unsupported(
                node,
                f"two different arrays are called {name!r} in the functions "
                "written into one generated module (it holds one module constant "
                "of each name)",
                "rename one of them, or pass it as an argument",
            )
        self.module.prelude[c.statement] = None
        self.module.taken.add(name)
        v = self.b.const(c)
        self.module_arrays[id(v)] = (name, what, v)
        return v

    def object_attr(self, obj, node):
        """`self.attr` of a bound method's object (and `self.cfg.attr`), read now: a
        number or an array is a constant frozen now (an array a module constant of the
        generated module, `self_attr`); a method is the user's function, called with the
        object; another object is looked into in turn."""
        path = f"{obj.path}.{node.attr}"
        value = getattr(obj.value, node.attr, _MISSING)
        if value is _MISSING:
            self.unsupported(
                node,
                f"{path} does not exist ({type(obj.value).__name__} has no "
                f"attribute {node.attr!r} now)",
                "check the name",
            )
        if isinstance(value, np.ndarray):
            return self.module_array(node, path.replace(".", "_"), value, f"the array {path}")
        if (
            value is None
            or isinstance(value, (bool, int, str))
            and not isinstance(value, np.generic)
        ):
            return Static(value) if isinstance(value, str) else self.b.const(value)
        if isinstance(value, (float, np.floating, np.integer, np.bool_)):
            return self.b.const(value, hint=node.attr)
        if isinstance(value, (complex, np.complexfloating)):
            _refuse_complex(self, node, f"{path} is a complex number")
        if (
            isinstance(value, types.MethodType)
            and isinstance(value.__func__, types.FunctionType)
            or isinstance(value, types.FunctionType)
        ):
            return Static(S.Meaning("function", value=value))
        if isinstance(value, (types.ModuleType, complex, tuple, list, dict, set)) or callable(
            value
        ):
            self.unsupported(
                node,
                f"{path} is a {type(value).__name__}, which s2sgrad does not read from an object",
                f"make {path} an array or a number, or pass it to the function as an argument",
            )
        return Static(_Object(value, path))
