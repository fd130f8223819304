"""One error hierarchy.

Every error derives from `S2SGradError` and from the builtin that the
contract (SPEC.md, after `tf.gradients`) names, so `except LookupError` works
as it does with TensorFlow. Errors about user code carry a `Loc` and render
as ``file:line:col: error: what`` followed by the quoted line, a caret and
what to do instead.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class Loc:
    """A place in user source: file name, 1-based line, 1-based column, line text."""

    file: str
    line: int
    col: int
    text: str = ""

    def __str__(self):
        if not self.line:  # the file as a whole (it could not be read, lacks FUNC):
            return f"{self.file}:1:1"  # still FILE:LINE:COL, so every error parses alike
        return f"{self.file}:{self.line}:{self.col}"


class S2SGradError(Exception):
    """Base of every s2sgrad error."""

    def __init__(self, message, loc=None, hint=None):
        self.message = message
        self.loc = loc
        self.hint = hint
        super().__init__(self._render())

    def _render(self):
        if self.loc is None:
            text = self.message
        else:
            text = f"{self.loc}: error: {self.message}"
            if self.loc.text:
                line = self.loc.text.rstrip("\n")
                stripped = line.lstrip()
                caret = max(self.loc.col - 1 - (len(line) - len(stripped)), 0)
                text += f"\n    {stripped}\n    {' ' * caret}^"
        if self.hint:
            text += f"\n  {self.hint}"
        return text


class NoGradientError(S2SGradError, LookupError):
    """An op between an x and a y has no registered gradient."""


class InvalidArgumentError(S2SGradError, ValueError):
    """A bad argument: grad_ys length or shape, an unknown option, an x that is
    not a variable of the function."""


class OutsideFunctionError(S2SGradError, RuntimeError):
    """`gradients` called outside a function decorated with `@s2sgrad.function`."""


class UnsupportedError(S2SGradError, NotImplementedError):
    """Source the frontend does not accept (syntax, a call, a name)."""


class SourceNotFoundError(S2SGradError, ValueError):
    """The source of a function cannot be found (defined in a REPL, a C function...)."""


class InternalError(S2SGradError, AssertionError):
    """A broken invariant inside s2sgrad (IR verifier): a bug to report."""


class GradientCheckError(S2SGradError, AssertionError):
    """`check_grads` found a derivative that disagrees with central differences (or
    reverse mode that disagrees with forward mode). An AssertionError, so that pytest
    shows it as a failed check; its attributes say which: `check` ("rev", "fwd", "dot"),
    `function`, `argument` (a pytree's path), `index` (the worst entry), `analytic`,
    `numeric` (for "dot": <J^T u, v> and <u, J v>), `abs_error`, `rel_error`, `tolerance`
    (None where they do not apply)."""

    def __init__(
        self,
        message,
        *,
        check,
        function,
        argument,
        index=None,
        analytic=None,
        numeric=None,
        abs_error=None,
        rel_error=None,
        tolerance=None,
    ):
        self.check, self.function, self.argument, self.index = check, function, argument, index
        self.analytic, self.numeric = analytic, numeric
        self.abs_error, self.rel_error, self.tolerance = abs_error, rel_error, tolerance
        super().__init__(message)


# shown as `s2sgrad.UnsupportedError` in a traceback, where users import them from
for _cls in (
    S2SGradError,
    NoGradientError,
    InvalidArgumentError,
    OutsideFunctionError,
    UnsupportedError,
    SourceNotFoundError,
    GradientCheckError,
):
    _cls.__module__ = "s2sgrad"
