"""Tracebacks that show the user's frames, not s2sgrad's.

An error raised from a call of the API (a located `UnsupportedError` from the first
call of a `grad` function, a NumPy error inside the generated module) passes through
many of s2sgrad's own frames: the frontend, the passes, the loader. They say nothing
to a user, and they bury the located message under a long traceback. As JAX does,
each public entry point is an `api_boundary`: an exception leaving it has s2sgrad's
frames taken out of its traceback. What stays is the user's code and the generated
module's frames (a module written to disk, which a user can read and step through in
pdb), and a note that says how to see everything:

    S2SGRAD_TRACEBACK_FILTERING=off     keep every frame (for a bug report)

An `InternalError` (a broken invariant: a bug in s2sgrad) always keeps its frames.
"""

import functools
import os
import sysconfig
import types
import weakref

from .errors import InternalError

ENV = "S2SGRAD_TRACEBACK_FILTERING"
_PACKAGE = os.path.dirname(os.path.abspath(__file__)) + os.sep
NOTE = f"(s2sgrad's own frames are hidden from this traceback; set {ENV}=off to see them)"


def filtering():
    """False when the environment asks for every frame."""
    return os.environ.get(ENV, "on").strip().lower() not in ("off", "0", "no", "false")


# fast codes with a generated function's body inlined (api._CallPath._inlined): their
# frames are the generated module's, but for the line of its def, which is the call
# path's (its tests, its call of the slow path)
INLINED: "weakref.WeakSet[types.CodeType]" = weakref.WeakSet()


def internal(code, line=None):
    """A frame of s2sgrad itself: a file of the package, or code s2sgrad compiled for
    its call path (api._CallPath names it `<s2sgrad call of ...>`; an inlined fast
    code at its def's line)."""
    name = code.co_filename
    return (
        name.startswith(_PACKAGE)
        or name.startswith("<s2sgrad ")
        or line == code.co_firstlineno
        and code in INLINED
    )


_LIBRARIES = tuple(sorted({sysconfig.get_path(k) + os.sep for k in ("stdlib", "platstdlib")}))


def library(code):
    """A frame of the standard library (an installed package may be the user's code)."""
    return code.co_filename.startswith(_LIBRARIES) or code.co_filename.startswith("<frozen ")


def filtered(tb):
    """`tb` without s2sgrad's frames, and without the standard library's frames s2sgrad
    called (its `inspect.signature(...).bind`): a new chain; the frames are the same objects. A
    user's function or a generated module that s2sgrad called stays, and so does what
    they call."""
    kept, hiding = [], False
    while tb is not None:
        code = tb.tb_frame.f_code
        if internal(code, tb.tb_lineno) or hiding and library(code):
            hiding = True
        else:
            kept.append(tb)
            hiding = False
        tb = tb.tb_next
    out = None
    for t in reversed(kept):
        out = types.TracebackType(out, t.tb_frame, t.tb_lasti, t.tb_lineno)
    return out


def hide_frames(e):
    """Take s2sgrad's frames out of `e`'s traceback, once, with a note saying so; then
    the caller re-raises `e` with a bare `raise` (which adds no frame of its own)."""
    if isinstance(e, InternalError) or not filtering():
        return
    tb = e.__traceback__
    short = filtered(tb)
    if _length(short) == _length(tb):
        return
    e.__traceback__ = short
    if NOTE not in getattr(e, "__notes__", ()):
        e.add_note(NOTE)


def _length(tb):
    n = 0
    while tb is not None:
        n, tb = n + 1, tb.tb_next
    return n


def api_boundary(fn):
    """`fn` with s2sgrad's frames taken out of the traceback of what it raises."""

    @functools.wraps(fn)
    def boundary(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except Exception as e:
            hide_frames(e)
            raise

    return boundary
