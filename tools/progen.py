"""Random well-formed differentiable programs: the generator shared by the
differential fuzzer (tools/fuzz.py) and the Hypothesis test
(tests/test_random_programs.py).

A program is the source text of a module: zero to two helper functions, then
`f(x0, x1[, x2][, w][, r], n)` over float64 arrays of one shape ((3,) or
(2, 3)), maybe a Python float `w`, a row `r` of shape (3,) in (2, 3) programs,
and a static int `n`. Its statements are drawn from what s2sgrad accepts:

- assignments of expression trees: `+ - * /`, unary minus, `**2`,
  `np.sin/cos/tanh/arctan/arcsinh`, `np.exp`/`np.exp2` of a bounded argument,
  `np.logaddexp`, `np.sum`/`np.mean`
  (with and without `axis`/`keepdims`), broadcasting with scalars,
  conditional expressions and kinks (`np.where`, `max`, `abs`, `np.nanmax`,
  `np.median`), calls to the
  helpers, indexing reads (`v[i % 3]`, `v[::-1]`, `v[1:]`, masks
  `v[v > c]`); `+=`/`-=`; plain copies `b = a`, and the new arrays
  `b = +a`, `b = a ** 1` (which later writes into `a` must not reach);
- `if`/`elif`/`else` on runtime scalar conditions (with `and`/`or`/`not`);
  "keep the best so far" (`if cand > best: best = cand`);
- `for` loops over ranges (`reversed(range(...))` and negative steps too; some
  `s2sgrad.checkpointed(range(...))`, checkpointed), arrays, `enumerate` (from 0,
  1 or a runtime start) and `zip`,
  nested, and `while`
  loops bounded by a counter (sometimes also by a runtime condition), with
  `break`/`continue` under runtime or integer conditions, some with an `else:`
  clause; a name a range() loop assigns first (the body's first statement) and the
  code after it reads;
- loops carrying values through the updates that once gave wrong numbers
  silently (`PATTERNS`): swaps `a, b = b, a + b`, swaps through a temporary,
  three-way rotations, `prev, cur = cur, g(prev, cur)` (also `prev = cur` in
  a `while`), momentum and Chebyshev-style three-term recurrences, each
  maybe under a branch taken in some iterations, among other statements;
- tuples carried through a loop (`p, q = st ... st = (.., ..)`);
- helpers returning tuples (of two arrays, or with an int), unpacked or indexed
  (`t = h(..)`, `t[1]`), in loops and branches;
- lists built with append in `for`/`while` loops (`L = [..]` or `[]`, appends under
  branches, from the last item `L[-1]`, loops left by `break`), then read by
  np.stack (axis 0 or 1), np.array, np.concatenate, np.mean, sum, len, `L[i]` and
  iteration; list comprehensions and generator expressions over ranges, an array's
  rows and tuples of values, with `if` filters, inside np.sum/np.mean of np.array,
  np.stack and sum;
- calls of functions with custom rules (`CUSTOM`: three `custom_vjp` functions of the
  module's own, of an array and a scalar, one whose rule gives None for an argument
  the function does not read and computes its entry in float64, and `np.hypot`
  registered);
- `np.zeros` buffers written element by element (`y[i % 3] = ...`,
  `y[i % 2, j % 3] = ...` in nested loops, `y[0, 0] = w`), read back in later
  iterations, inside the loops and after them;
- in-place writes (`+=`, `*=`, `v[k] = ...`) into buffers, arrays the program
  computed and f's parameters, also where other names share the array (a
  copy, a value a pattern moved, a loop's item): Python's meaning is the
  oracle, and s2sgrad must follow it or refuse the write with a located
  error. Helpers never write into their parameters (always refused).

Values stay bounded (tanh, sin, scaling by 0.5) so central differences are
accurate.

Every choice goes through a *chooser*, so one generator serves both users:
`HypothesisChooser(draw)` (inside `st.composite`: failures shrink towards the
first option of each choice) and `RandomChooser(random.Random(seed))` (long
runs, program i reproducible from its seed). Usage, with tools/ on sys.path:

    import random, progen
    prog = progen.draw_program(progen.RandomChooser(random.Random(7)))
    prog.source, prog.params, prog.args, prog.n, prog.constructs
"""

import re
from dataclasses import dataclass

import numpy as np

# functions with custom rules (s2sgrad.custom_vjp, register_gradient), smooth everywhere
CUSTOM = """import s2sgrad


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


@s2sgrad.custom_vjp
def stretch(x, k):
    return x * 1.5


@stretch.defvjp
def _(g, ans, x, k):
    return (g * np.full(np.shape(x), 1.5), None)


@s2sgrad.register_gradient(np.hypot, override=True)
def _(g, ans, x, y):
    return (g * x / ans, g * y / ans)
"""

CONSTS = ("0.5", "-0.5", "0.3", "1.5", "-1.2", "2.0", "0.7", "-0.8")
THRESHOLDS = ("0.0", "0.5", "-0.5", "1.0", "-1.0", "0.2", "1.5")

# loop-carried update patterns: name -> the roles of the values it carries (also
# the prefixes of their names, which never clash with parameters and helpers)
PATTERNS = {
    "swap": ("sa", "sb"),  # a, b = b, a + b
    "temp-swap": ("ta", "tb"),  # t = a; a = b; b = t * 2.0
    "rotation": ("ra", "rb", "rc"),  # a, b, c = b, c, a
    "prev-cur": ("prev", "cur"),  # prev, cur = cur, g(prev, cur)
    "momentum": ("vel", "pos"),  # v = 0.9 * v + g(x); x = x - 0.1 * v
    "recurrence": ("lag", "cheb"),  # t0, t1 = t1, 2.0 * z * t1 - t0
}


# ---- choosers ------------------------------------------------------------------------------


class RandomChooser:
    """Choices from a seeded `random.Random` (uniform over the options given)."""

    def __init__(self, rng):
        self.rng = rng

    def pick(self, options):
        options = list(options)
        return options[self.rng.randrange(len(options))]

    def flip(self):
        return self.rng.random() < 0.5

    def integer(self, lo, hi):
        return self.rng.randint(lo, hi)

    def some(self, options, most):
        """One to `most` distinct items of `options`."""
        options = list(options)
        return self.rng.sample(options, self.integer(1, min(most, len(options))))


class HypothesisChooser:
    """Choices drawn by Hypothesis (`draw` of an `st.composite`), so failures
    shrink: towards the first option of each choice, False, the lower bound."""

    def __init__(self, draw):
        from hypothesis import strategies

        self.draw, self.st = draw, strategies

    def pick(self, options):
        return self.draw(self.st.sampled_from(list(options)))

    def flip(self):
        return self.draw(self.st.booleans())

    def integer(self, lo, hi):
        return self.draw(self.st.integers(lo, hi))

    def some(self, options, most):
        return self.draw(
            self.st.lists(
                self.st.sampled_from(list(options)), min_size=1, max_size=most, unique=True
            )
        )


@dataclass(frozen=True)
class Program:
    """A generated module: `f(*args, n)` is the function to differentiate with
    respect to `params` (its float parameters, in order); `constructs` names
    the kinds of construct it contains (for the fuzzer's statistics)."""

    source: str
    params: tuple
    args: tuple
    n: int
    constructs: frozenset
    tree: object = None  # f takes its float parameters packed in one pytree `p`: this
    # structure of their names (dicts, lists, tuples); None: flat

    def call_args(self, args=None):
        """f's arguments but n: `args` (default: self.args, one per name in `params`),
        packed into the pytree `p` if f takes one."""
        args = self.args if args is None else args
        if self.tree is None:
            return list(args)
        by_name = dict(zip(self.params, args))
        return [_map_names(self.tree, by_name)]


def _map_names(tree, by_name):
    if type(tree) is dict:
        return {k: _map_names(v, by_name) for k, v in tree.items()}
    if type(tree) in (list, tuple):
        return type(tree)(_map_names(v, by_name) for v in tree)
    return by_name[tree]


def tree_names(tree):
    """The parameter names at the leaves of a Program's tree, in flatten order."""
    if type(tree) is dict:
        return [n for v in tree.values() for n in tree_names(v)]
    if type(tree) in (list, tuple):
        return [n for v in tree for n in tree_names(v)]
    return [tree]


def draw_program(chooser, max_stmts=7):
    """One program, its arguments (uniform in [-1, 1]) and n, all from `chooser`."""
    shape = chooser.pick([(3,), (2, 3)])
    gen = Gen(chooser, shape, max_stmts)
    src, shapes = gen.module()
    rng = np.random.default_rng(chooser.integer(0, 2**16))
    args = tuple(
        float(rng.uniform(-1, 1)) if s == () else rng.uniform(-1, 1, s) for s in shapes.values()
    )
    return Program(
        src, tuple(shapes), args, chooser.integer(0, 3), frozenset(gen.constructs()), gen.tree
    )


# helpers of dict_state: a dict in, a new dict out (step_pair through a tuple in a list)
DICT_HELPERS = """
def step_dict(q, c):
    out = {**q, 'a': np.tanh(q['a'] * q['s'] + c)}
    return {'a': out['a'], 's': q['s'] * 0.9}


def step_pair(q, c):
    pairs = [(q['a'], q['s'])]
    for a, s in pairs:
        q = {'a': np.sin(a) * s + c, 's': s * 0.9}
    return q
"""


def indent(lines):
    return ["    " + ln for ln in lines]


# ---- what the generator knows about the program it writes ---------------------------------


class Var:
    """A float variable of the generated program: 'a' (an array of the
    program's shape), 'r' (a row, shape (3,), in programs over (2, 3) arrays)
    or 's' (a scalar). The program may write into a `writable` array (one it
    made, or f's parameter; never a helper's parameter, which s2sgrad refuses,
    nor a loop's item); no other name refers to a `fresh` one's memory (a
    write into another array is a write into shared memory, which Python
    makes visible through every name); `buffer`s come from np.zeros and are
    written element by element."""

    def __init__(self, kind, fresh=False, buffer=False, writable=False):
        self.kind, self.fresh, self.buffer, self.writable = kind, fresh, buffer, writable

    def copy(self):
        return Var(self.kind, self.fresh, self.buffer, self.writable)


def new_buffer():
    """A new np.zeros buffer's Var."""
    return Var("a", fresh=True, buffer=True, writable=True)


class Scope:
    """The names visible at one point: floats (name -> Var), ints (loop
    indices, counters, n), the innermost loop's name and the loop depth."""

    def __init__(self, floats=None, ints=(), loop=None, loops=0, lambdas=None):
        self.floats = dict(floats or {})
        self.ints = list(ints)
        self.loop = loop
        self.loops = loops
        self.lambdas = dict(lambdas or {})  # name -> (parameter kind, result kind)

    def child(self, loop=None, ints=(), floats=None):
        s = Scope(
            {k: v.copy() for k, v in self.floats.items()},
            self.ints + list(ints),
            self.loop if loop is None else loop,
            self.loops + (loop is not None),
            self.lambdas,
        )
        s.floats.update(floats or {})
        return s

    def of_kind(self, kind, buffers=True):
        return [n for n, v in self.floats.items() if v.kind == kind and (buffers or not v.buffer)]


# ---- expressions ---------------------------------------------------------------------------


class Exprs:
    """Draws expressions (as text). `top` marks a value that may be bound to a
    name as it is, so never a bare buffer (the name would alias it)."""

    def __init__(self, chooser, shape):
        self.choose = chooser
        self.shape = shape
        self.rows = len(shape) == 2  # (2, 3) programs also have rows: shape (3,)
        self.counter = 0
        self.helpers = []  # (name, param kinds, return kinds, has a keyword default)
        self.in_helper = False  # helpers have no x0 and no n
        self.current = "f"  # the function being written
        self.marks = {"f": set()}  # function -> the constructs it contains
        self.calls = {"f": set()}  # function -> the helpers it calls
        self.custom = False  # the module defines the custom rules of CUSTOM
        self.uses_checkpointed = False  # a loop of f is s2sgrad.checkpointed(range(...))
        self.module_arrays = []  # names of module-level arrays of the program's shape

    def pick(self, options):
        return self.choose.pick(options)

    def flip(self):
        return self.choose.flip()

    def mark(self, construct):
        self.marks[self.current].add(construct)

    def constructs(self):
        """The constructs of f and of the helpers it calls (directly or not)."""
        seen, todo = set(), ["f"]
        while todo:
            fn = todo.pop()
            if fn not in seen:
                seen.add(fn)
                todo += self.calls[fn]
        return set().union(*(self.marks[fn] for fn in seen)) | (
            {"helper"} if len(seen) > 1 else set()
        )

    def fresh_name(self, prefix):
        self.counter += 1
        return f"{prefix}{self.counter}"

    def const(self):
        return self.pick(CONSTS)

    def leaf(self, scope, kind, allow_buffer):
        names = scope.of_kind(kind, buffers=allow_buffer)
        choices = ["var"] if names else []
        if kind == "s":
            choices += ["const", "sum"]
            if scope.ints:
                choices.append("int")
            if scope.of_kind("a"):
                choices.append("index")
        if kind == "r" or not choices:
            choices.append("row")
        if kind == "a" and self.module_arrays:
            choices.append("module")
        c = self.pick(choices)
        if c == "var":
            return self.pick(names)
        if c == "module":  # a module-level array, a constant frozen at transform time
            self.mark("module-array")
            return self.pick(self.module_arrays)
        if c == "const":
            return self.const()
        if c == "int":
            return f"{self.const()} * {self.pick(scope.ints)}"
        if c == "sum":
            arrays = scope.of_kind("a")
            return f"np.sum({self.pick(arrays)})" if arrays else self.const()
        if c == "row":
            if kind == "a":
                return f"({self.pick(scope.of_kind('a'))} * 1.0)"
            return self.row(scope)
        return self.index_scalar(scope)

    def row(self, scope):
        """A (3,) value made from the (2, 3) arrays."""
        v = self.pick(scope.of_kind("a"))
        forms = [f"np.sum({v}, axis=0)", f"np.mean({v}, axis=0)", f"{v}[1]", f"{v}[-1, :]"]
        if scope.ints:
            forms.append(f"{v}[{self.pick(scope.ints)} % 2]")
        return self.pick(forms)

    def index_scalar(self, scope, v=None):
        """A scalar read from array `v` (or one in scope)."""
        v = v or self.pick(scope.of_kind("a"))
        i = self.pick(scope.ints) if scope.ints and self.flip() else None
        if not self.rows:
            forms = [
                f"{v}[0]",
                f"{v}[-1]",
                f"np.sum({v}[1:])",
                f"np.sum({v}[::2])",
                f"np.sum({v}[{v} > {self.pick(THRESHOLDS)}])",
            ]
            if i:
                forms += [f"{v}[{i} % 3]", f"{v}[({i} + 1) % 3]"]
        else:
            forms = [
                f"{v}[1, 2]",
                f"np.sum({v}[0])",
                f"np.sum({v}[:, 1:])",
                f"np.sum({v}[-1, ::2])",
                f"np.sum({v}[{v} > {self.pick(THRESHOLDS)}])",
            ]
            if i:
                forms += [
                    f"{v}[{i} % 2, {i} % 3]",
                    f"np.sum({v}[{i} % 2])",
                    f"np.sum({v}[:, {i} % 3])",
                ]
        return self.pick(forms)

    def expr(self, scope, kind, depth, top=True):
        if depth <= 0 or (not top and self.flip()):
            if kind == "a" and not scope.of_kind("a", buffers=not top):
                return f"({self.pick(scope.of_kind('a'))} * 1.0)"
            return self.leaf(scope, kind, allow_buffer=not top)
        sub = lambda k=kind: self.expr(scope, k, depth - 1, top=False)  # noqa: E731
        if kind == "r":
            return self.row_expr(sub)
        forms = ["binop", "unary", "square", "div", "neg", "mixed", "reduce", "ifexp", "nonsmooth"]
        forms += ["index", "view"] if kind == "a" else ["matmul", "builtin"]
        if kind == "a" and self.current == "f" and not self.in_helper and self.flip():
            forms.append("builtin")  # (x.astype(x0.dtype))
        if self.rows:
            forms.append("row")
        if self.helpers_returning(kind):
            forms.append("call")
        if self.custom:
            forms.append("custom")
        if any(r == kind for _, r in scope.lambdas.values()):
            forms.append("lambda")
        if kind in "as" and depth >= 2:
            forms.append("comprehension")
        if kind in "as":
            forms.append("shifted")
        form = self.pick(forms)
        if form == "lambda":
            name = self.pick(sorted(n for n, (_, r) in scope.lambdas.items() if r == kind))
            self.mark("lambda")
            return f"{name}({sub(scope.lambdas[name][0])})"
        if form == "comprehension":
            return self.comprehension(scope, kind, depth)
        if form == "ifexp":
            return f"({sub()} if {self.cond(scope, depth - 1)} else {sub()})"
        if form == "index":
            v = self.pick(scope.of_kind("a"))
            flips = ["::-1", ":, ::-1"] if self.rows else ["::-1"]
            return f"({v}[{self.pick(flips)}] * {self.const()})"
        if form == "view":  # (a view of a named array, bound to a name where at the top:
            # aliasing for out-of-SSA's in-place writes and reused dead arrays)
            self.mark("view")
            v = self.pick(scope.of_kind("a"))
            idx = "ij" if self.rows else "i"
            views = [f"{v}[::-1]", f"np.flip({v})", f"{v}.reshape({v}.shape)"]
            views += [f"np.einsum('{idx}->{idx}', {v})"] + ([f"{v}[:, ::-1]"] if self.rows else [])
            return self.pick(views)
        if form == "call":
            return self.call(scope, kind, depth)
        return getattr(self, "expr_" + form)(kind, sub)

    def comprehension(self, scope, kind, depth):
        """A list comprehension or generator expression (`[e for i in range(3) if c]`, over
        an array's rows or a tuple of values), read by np.sum/np.mean of np.array, np.stack
        or sum: never empty where NumPy would raise or warn (np.stack, np.mean, the builtin
        sum of arrays); `sum` of nothing is the int 0, as in Python."""
        var = self.fresh_name("c")
        source = self.pick(["range", "range", "rows", "tuple"])
        if not scope.of_kind("a", buffers=False):  # (no array but buffers: over a range)
            source = "range"
        if source == "range":
            rng = self.pick(
                ["range(3)", "range(1, 3)"] + ([] if self.current != "f" else ["range(n)"])
            )
            inner = scope.child(ints=[var])
            gen = f"for {var} in {rng}"
            filt = f" if {var} % 2 == 0" if self.flip() else ""  # (keeps 2 of either range)
            never_empty = rng != "range(n)"
        else:
            arrays = scope.of_kind("a", buffers=False)
            item = "a" if source == "tuple" else "r" if self.rows else "s"
            seq = (
                f"({', '.join(self.choose.some(arrays, 3) or arrays[:1])},)"
                if source == "tuple"
                else self.pick(arrays)
            )
            inner = scope.child(floats={var: Var(item)})
            gen = f"for {var} in {seq}"
            filt = ""
            if self.flip():
                filt = (
                    f" if {self.expr(inner, 's', 0, top=False)} {self.pick('<>')} "
                    f"{self.pick(THRESHOLDS)}"
                )
            never_empty = not filt
        elt_kind = kind if self.flip() else self.pick("as")
        elt = self.expr(inner, elt_kind, depth - 1, top=False)
        if kind == "a":
            if elt_kind == "a" and never_empty:
                if self.flip():
                    self.mark("genexp")
                    return f"sum({elt} {gen}{filt})"
                self.mark("comprehension")
                return f"np.sum(np.stack([{elt} {gen}{filt}]), axis=0)"
            return f"({self.pick(scope.of_kind('a'))} * {self.comprehension(scope, 's', depth)})"
        if elt_kind == "s" and self.flip():
            self.mark("genexp")
            return f"(0.5 * sum({elt} {gen}{filt}))"
        self.mark("comprehension")
        if never_empty and self.flip():
            reader = self.pick(
                [
                    "np.sum(np.sin(np.stack([{}])))",
                    "np.mean(np.array([{}]))",
                    "np.sum(np.array([{}]))",
                ]
            )
        else:
            reader = "np.sum(np.array([{}]))"
        return reader.format(f"{elt} {gen}{filt}")

    def row_expr(self, sub):
        form = self.pick(["unary", "mixed", "binop"])
        if form == "unary":
            return f"np.{self.pick(['sin', 'tanh', 'cos'])}({sub()})"
        if form == "mixed":
            return f"({sub('r')} * {sub('s')})"
        return f"({sub('r')} {self.pick('+-*')} {sub('r')})"

    def expr_custom(self, kind, sub):
        """Calls of functions with custom rules (CUSTOM): the user's own, and np.hypot."""
        self.mark("custom-rule")
        form = self.pick(["soft_abs", "smooth_max", "hypot", "stretch"])
        if form == "soft_abs":
            return f"soft_abs({sub()})"
        if form == "stretch":  # (a rule's None, and its float64 entry of a float32 x)
            return f"stretch({sub()}, {sub(self.pick(['s', kind]))})"
        if form == "smooth_max":  # (a scalar with an array: the rule's entry is summed)
            args = [sub(), sub(self.pick(["s", kind]))]
            return f"smooth_max({', '.join(args if self.flip() else args[::-1])})"
        return f"np.hypot({sub()}, 0.5 + {sub()} ** 2)"

    def expr_binop(self, kind, sub):
        return f"({sub()} {self.pick('+-*')} {sub()})"

    def expr_unary(self, kind, sub):
        fn = self.pick(
            [
                "np.sin",
                "np.cos",
                "np.tanh",
                "np.exp",
                "np.arctan",
                "np.arcsinh",
                "np.exp2",
                "np.logaddexp",
            ]
        )
        if fn in ("np.exp", "np.exp2"):
            return f"{fn}(0.5 * np.tanh({sub()}))"
        if fn == "np.logaddexp":
            return f"np.logaddexp({sub()}, 0.5 * np.tanh({sub()}))"
        return f"{fn}({sub()})"

    def expr_square(self, kind, sub):
        return f"np.tanh({sub()}) ** 2"

    def expr_div(self, kind, sub):
        return f"({sub()} / (1.5 + {sub()} ** 2))"

    def expr_neg(self, kind, sub):
        return f"(-{sub()})"

    def expr_shifted(self, kind, sub):
        """Max-stabilised idioms (logsumexp, softmax, log-softmax), whose shift the reverse
        sweep must not differentiate (passes/shift.py), and near misses where it must."""
        e = sub("a")
        self.mark("shifted")
        rows = self.rows and self.flip()
        m = f"np.max({e}, axis=1, keepdims=True)" if rows else f"np.max({e})"
        s = f"np.sum(np.exp({e} - {m}){', axis=1, keepdims=True' if rows else ''})"
        near = self.flip() and self.flip() and self.flip()
        if near:
            self.mark("shifted-near-miss")
        if kind == "a":
            if self.flip():
                return (
                    f"(np.exp({e} - {m}) / {s})" if not near else f"(np.exp({e} - {m}) / {s} * {m})"
                )
            return f"({e} - {m} - np.log({s}))" if not near else f"({e} - np.log({s}))"
        lse = f"({m} + np.log({s}))" if not near else f"({m} * 0.5 + np.log({s}))"
        return f"np.sum({lse})" if rows else lse

    def expr_mixed(self, kind, sub):
        """Broadcasting an array with a scalar (kind a), or a scalar from both (kind s)."""
        if kind == "a":
            return (
                f"({sub('s')} {self.pick('+-*')} {sub('a')})"
                if self.flip()
                else f"({sub('a')} {self.pick('+-*')} {sub('s')})"
            )
        return f"({sub('s')} * {self.const()})"

    def expr_reduce(self, kind, sub):
        if kind == "s":
            fn = self.pick(["np.sum", "np.mean"])
            if self.rows and self.flip():
                return f"np.sum({fn}({sub('a')}, axis={self.pick('01')}) ** 2)"
            return f"{fn}({sub('a')})"
        axis = self.pick(range(len(self.shape)))
        return f"(np.{self.pick(['sum', 'mean'])}({sub()}, axis={axis}, keepdims=True) * {sub()})"

    def expr_nonsmooth(self, kind, sub):
        """Kinks and jumps: the sample point is checked to be away from them."""
        if kind == "a":
            return self.pick(
                [
                    f"np.where({sub()} > {self.pick(THRESHOLDS)}, {sub()}, {sub()})",
                    f"np.where(~({sub()} > {self.pick(THRESHOLDS)}), {sub()}, {sub()})",
                    f"np.maximum({sub()}, {sub()})",
                    f"np.abs({sub()})",
                ]
            )
        return self.pick(
            [
                f"max({sub()}, {sub()})",
                f"min({sub()}, {sub()})",
                f"abs({sub()})",
                f"np.nanmax({sub('a')})",
                f"np.median({sub('a')})",
            ]
        )

    def expr_matmul(self, kind, sub):
        a, b = sub("a"), sub("a")
        if not self.rows:
            return f"({a} @ {b})"
        return self.pick([f"np.sum({a} @ ({b}).T)", f"np.sum({a} @ {sub('r')})"])

    def expr_builtin(self, kind, sub):
        """Builtins and Python's math of a scalar, and NumPy functions of Python ints (an
        np.int64, which promotes float32 arrays to float64 where an int would not)."""
        if kind == "a":  # (x0's dtype: float32 in --float32 programs)
            self.mark("astype-dtype")
            return f"({sub()}).astype(x0.dtype)"
        form = self.pick(["float", "float", "math", "npint", "pow", "round"])
        if form == "round":  # (a step function: the sample point is checked away from steps)
            self.mark("builtin-round")
            # (of float(...): round() of a 0-d array, which a scalar expression may be, is a
            # TypeError in Python)
            return self.pick(
                [f"(round(float({sub()}), 1) * {sub()})", f"(round(float({sub()})) + {sub()})"]
            )
        if form == "pow":  # (the builtin: a ** b)
            self.mark("builtin-pow")
            return self.pick([f"pow({sub()}, 2)", f"pow({sub()}, 3)", f"pow(1.2, {sub()})"])
        if form == "math":
            self.mark("math")
            fn = self.pick(["math.sin", "math.cos", "math.tanh", "math.atan", "math.exp"])
            return f"{fn}(0.5 * np.tanh({sub()}))" if fn == "math.exp" else f"{fn}({sub()})"
        if form == "npint":
            self.mark("numpy-of-int")
            i = self.pick(["n", "len(K)"]) if self.current == "f" else "2"
            i = i.replace("len(K)", f"len({self.module_arrays[0]})") if self.module_arrays else "n"
            i = i if self.current == "f" else "2"
            fn = self.pick(["np.maximum({}, 1)", "np.abs(-{})", "np.floor_divide({} + 2, 2)"])
            return f"({sub()} * {fn.format(i)})"
        return f"float({sub()})"

    def expr_row(self, kind, sub):
        if kind == "a":  # (a row broadcast into a temporary: `t = ...; t += r` where out-of-SSA
            self.mark("row-broadcast")  # writes the temporary in place)
            return f"({sub('a')} {self.pick('+-*')} {sub('r')})"
        return f"np.sum({sub('r')} * {self.const()})"

    def helpers_returning(self, kinds):
        kinds = (kinds,) if isinstance(kinds, str) else kinds
        return [h for h in self.helpers if h[2] == kinds]

    def call(self, scope, kinds, depth, given=()):
        """A call of a helper returning `kinds`; arguments of the helper's
        parameter kinds are taken from `given` (names) first, in turn."""
        name, params, _, default = self.pick(self.helpers_returning(kinds))
        self.calls[self.current].add(name)
        if scope.loops:
            self.mark("helper-in-loop")
        given, args = list(given), []
        for p in params:
            if p == "i":
                args.append(self.pick(scope.ints) if scope.ints else "2")
            elif given and scope.floats[given[0]].kind == p:
                args.append(given.pop(0))
            else:
                args.append(self.expr(scope, p, depth - 1, top=False))
        if default and self.flip():
            args.append(f"c={self.const()}")
        return f"{name}({', '.join(args)})"

    def cond(self, scope, depth):
        form = self.pick(["sum", "scalar", "and", "not", "chain"] + (["int"] if scope.ints else []))
        c = self.pick(THRESHOLDS)
        op = self.pick("<>")
        if form == "chain":  # (a chained comparison: `lo < e < hi`, e evaluated once)
            self.mark("chained-compare")
            lo, hi = sorted((c, self.pick(THRESHOLDS)), key=float)
            hi = hi if hi != lo else "3.0"
            e = self.expr(scope, "s", min(depth, 1), top=False)
            return f"{lo} < {e} <= {hi}"
        if form == "sum":
            return f"np.sum({self.expr(scope, 'a', min(depth, 1), top=False)}) {op} {c}"
        if form == "scalar":
            return f"{self.expr(scope, 's', min(depth, 1), top=False)} {op} {c}"
        if form == "and":
            a = f"np.sum({self.leaf(scope, 'a', True)}) {op} {c}"
            b = f"{self.leaf(scope, 's', True)} {self.pick('<>')} {self.pick(THRESHOLDS)}"
            return f"({a} {self.pick(['and', 'or'])} {b})"
        if form == "not":
            return f"not np.sum({self.leaf(scope, 'a', True)}) {op} {c}"
        i = self.pick(scope.ints)
        return self.pick([f"{i} % 2 == 0", f"{i} == 1", f"{i} > 0"])

    def bounded(self, scope, kind, target, depth):
        """(text, fresh) of a value to assign to `target`, bounded in a loop."""
        e = self.expr(scope, kind, depth)
        forms = ["tanh", "sin", "half"] + ([] if scope.loop is not None else ["plain"])
        if target in scope.floats and scope.floats[target].kind == kind:
            forms.append("accumulate")
        form = self.pick(forms)
        if form == "tanh":
            return f"np.tanh({e})", True
        if form == "sin":
            return f"np.sin({e})", True
        if form == "half":
            return f"0.5 * {e}", True
        if form == "accumulate":
            return f"0.5 * {target} + np.tanh({e})", True
        return e, False


# ---- statements ----------------------------------------------------------------------------


class Gen(Exprs):
    """Draws one program: statements, loops, helpers and the module. Each
    statement method returns a list of lines (unindented) and updates `scope`."""

    def __init__(self, chooser, shape, max_stmts=7):
        super().__init__(chooser, shape)
        self.budget = max_stmts  # statements left in the whole function
        self.featured = set()  # names carried by a pattern: worth returning

    def shared(self, scope, *names):
        """`names` now (may) share their arrays: writable only if all were."""
        writable = all(scope.floats[n].writable for n in names)
        for n in names:
            scope.floats[n].fresh = False
            scope.floats[n].writable = writable

    def written(self, scope, name):
        """Note a write into array `name` (into shared memory, unless fresh)."""
        if not scope.floats[name].fresh:
            self.mark("write-shared")
        if scope.loops:
            self.mark("write-in-loop")
        if scope.loops > 1:
            self.mark("nested-loop-write")

    def assign(self, scope, depth):
        kind = self.pick("as")
        # parameters may be rebound too (never written into: that would change the caller's)
        existing = scope.of_kind(kind, buffers=False)
        target = (
            self.pick(existing)
            if existing and self.flip()
            else self.fresh_name("v" if kind == "a" else "s")
        )
        rhs, fresh = self.bounded(scope, kind, target, depth)
        scope.floats[target] = Var(kind, fresh and kind == "a", writable=fresh)
        return [f"{target} = {rhs}"]

    def augassign(self, scope, depth):
        """`t += ...` on a scalar (a new binding) or into a writable array."""
        targets = [
            n for n, v in scope.floats.items() if v.kind == "s" or v.kind == "a" and v.writable
        ]
        if not targets:
            return self.assign(scope, depth)
        t = self.pick(targets)
        kind = scope.floats[t].kind
        if kind == "a":
            self.written(scope, t)
            if self.flip() and self.flip():  # (unbuffered: the repeated row adds twice)
                self.mark("add-at")
                e = self.expr(scope, "s", depth)
                return [f"np.add.at({t}, np.array([0, 1, 0]), 0.5 * np.tanh({e}))"]
        return [
            f"{t} {self.pick(['+=', '-=', '*='])} 0.5 * np.tanh({self.expr(scope, kind, depth)})"
        ]

    def copy(self, scope, depth):
        """`b = a`, a plain copy of a (maybe carried) value, buffers too (b then
        shares a's memory); then maybe `a = ...`."""
        a = self.pick([n for n, v in scope.floats.items() if v.kind in "as"])
        old = scope.floats[a]
        targets = [n for n in scope.of_kind(old.kind, buffers=False) if n != a]
        b = self.pick(targets) if targets and self.flip() else self.fresh_name("b")
        if old.kind == "a" and self.pick(["new", "same", "same"]) == "new":
            # `+a` and `a ** 1` of an array are new arrays (np.positive, np.power),
            # which later writes into a do not reach
            scope.floats[b] = Var("a", fresh=True, writable=True)
            self.mark("copy-new")
            lines = [f"{b} = {self.pick([f'+{a}', f'{a} ** 1'])}"]
        else:
            scope.floats[b] = old.copy()
            self.shared(scope, a, b)
            self.mark("copy")
            lines = [f"{b} = {a}"]
        if self.flip():
            rhs, fresh = self.bounded(scope, old.kind, a, depth)
            scope.floats[a] = Var(old.kind, fresh and old.kind == "a", writable=fresh)
            lines.append(f"{a} = {rhs}")
        return lines

    def best_so_far(self, scope, depth):
        """`if cand > best: best = cand` (and maybe `best_v = v`), on a carried scalar."""
        scalars = scope.of_kind("s", buffers=False)
        if not scalars:
            return self.assign(scope, depth)
        best, cand = self.pick(scalars), self.fresh_name("cand")
        lines = [
            f"{cand} = {self.bounded(scope, 's', cand, depth)[0]}",
            f"if {cand} {self.pick('<>')} {best}:",
            f"    {best} = {cand}",
        ]
        arrays = scope.of_kind("a", buffers=False)
        if len(arrays) > 1 and self.flip():
            keep, v = self.pick(arrays), self.pick(arrays)
            if keep != v:
                lines.append(f"    {keep} = {v}")
                self.shared(scope, keep, v)
        scope.floats[cand] = Var("s")
        self.mark("best-so-far")
        self.mark_branch(scope)
        return lines

    def mark_branch(self, scope):
        if scope.loops:
            self.mark("branch-in-loop")

    def if_stmt(self, scope, depth, nest):
        branches = [self.cond(scope, 1)]
        if self.flip():
            branches.append(self.cond(scope, 1))
        has_else = self.flip()
        bodies, scopes = [], []
        one = None  # a name only one branch binds, nothing before it: read after the `if`
        if self.flip() and self.flip():  # (Python raises UnboundLocalError where it is not)
            one = (self.fresh_name("v"), self.pick(["s", "a"]), self.choose.integer(0, 1))
        alias = None  # a second name for it, bound in its branch, written after the `if`
        for k in range(len(branches) + has_else):
            s = scope.child()
            first = []
            if one is not None and k == min(one[2], len(branches) + has_else - 1):
                rhs, _ = self.bounded(s, one[1], one[0], depth)
                first = [f"{one[0]} = {rhs}"]
                if one[1] == "a" and self.flip() and self.flip():
                    alias = self.fresh_name("w")
                    first.append(f"{alias} = {one[0]}")
            bodies.append(first + self.block(s, depth, nest + 1, min_stmts=1))
            scopes.append(s)
        lines = []
        for k, body in enumerate(bodies):
            head = (
                f"if {branches[0]}:"
                if k == 0
                else f"elif {branches[k]}:"
                if k < len(branches)
                else "else:"
            )
            lines += [head] + indent(body)
        self.merge(scope, scopes, exhaustive=has_else)
        if one is not None:
            self.mark("assigned-in-one-branch")
            scope.floats[one[0]] = Var(one[1])
        if alias is not None:  # (Python's `v` sees the write through `w`: refused in words)
            lines.append(f"{self.pick([one[0], alias])} += 0.5")
            self.mark("alias-in-one-branch")
        self.mark_branch(scope)
        return lines

    def merge(self, scope, scopes, exhaustive):
        """After branches (or a loop body: one scope, not exhaustive): a name is
        defined after when every path defines it with the same kind."""
        if exhaustive:
            common = set.intersection(*(set(s.floats) for s in scopes))
            for n in sorted(common):
                vs = [s.floats[n] for s in scopes]
                if n in scope.floats or (
                    all(v.kind == vs[0].kind for v in vs) and not any(v.buffer for v in vs)
                ):
                    old = scope.floats.get(n)
                    scope.floats[n] = Var(
                        vs[0].kind,
                        all(v.fresh for v in vs),
                        old.buffer if old else False,
                        all(v.writable for v in vs),
                    )
        for n, v in scope.floats.items():
            v.fresh = v.fresh and all(s.floats[n].fresh for s in scopes)
            v.writable = v.writable and all(s.floats[n].writable for s in scopes)

    # -- loops
    def loop_header(self, scope):
        """(header, int names, float names -> Var) of a for loop."""
        i = self.fresh_name("i")
        if self.in_helper:
            rng = self.pick(["range(2)", "range(3)"] + [f"range({k})" for k in scope.ints])
            return f"for {i} in {rng}:", [i], {}
        form = self.pick(["range", "range", "array", "enumerate", "zip"])
        if form == "range":
            rng = self.pick(
                [
                    "range(n)",
                    "range(3)",
                    "range(1, n)",
                    "range(x0.shape[0])",
                    "range(n - 1)",
                    "range(len(x1))",
                    "reversed(range(n))",
                    "reversed(range(1, 3))",
                    "range(n - 1, -1, -1)",
                    "range(int(n))",
                ]
            )
            if "reversed" in rng or "-1)" in rng:
                self.mark("reversed-range")
            return f"for {i} in {rng}:", [i], {}
        self.mark("for-over-array")
        arrays = scope.of_kind("a", buffers=False)
        item = "r" if self.rows else "s"
        e, g = self.fresh_name("e"), self.fresh_name("e")
        if form == "array":
            if self.flip() and self.flip():  # (the rows last first)
                self.mark("reversed-array")
                return f"for {e} in reversed({self.pick(arrays)}):", [], {e: Var(item)}
            return f"for {e} in {self.pick(arrays)}:", [], {e: Var(item)}
        if form == "enumerate":
            start = self.pick(["", "", ", 1"] + ([] if self.in_helper else [", start=n - 2"]))
            seq = self.pick(arrays)
            if self.flip() and self.flip():  # (two sequences at once)
                self.mark("enumerate-zip")
                return (
                    f"for {i}, ({e}, {g}) in enumerate(zip({seq}, {self.pick(arrays)}){start}):",
                    [i],
                    {e: Var(item), g: Var(item)},
                )
            if self.flip() and self.flip():
                self.mark("reversed-array")
                seq = f"reversed({seq})"
            return f"for {i}, {e} in enumerate({seq}{start}):", [i], {e: Var(item)}
        return (
            f"for {e}, {g} in zip({self.pick(arrays)}, {self.pick(arrays)}):",
            [],
            {e: Var(item), g: Var(item)},
        )

    def while_header(self, scope, cond=None):
        """(counter, lines before and including the header) of a while loop
        bounded by a counter, sometimes also by `cond` or a runtime condition.
        Its body must start with `counter = counter + 1`."""
        k = self.fresh_name("k")
        bound = self.pick(["3", "2"] + ([] if self.in_helper else ["n"]))
        test = f"{k} < {bound}"
        if self.flip():
            test += f" and {cond or self.cond(scope, 0)}"
            self.mark("while-runtime-cond")
        self.mark("while")
        return k, [f"{k} = 0", f"while {test}:"]

    def escape(self, scope):
        """`if cond: [assign] break/continue`, at the start or end of a loop body."""
        lines = [f"if {self.cond(scope, 1)}:"]
        if self.flip():
            s = scope.child()
            existing = [n for n in s.floats if not s.floats[n].buffer and s.floats[n].kind != "r"]
            if existing:
                t = self.pick(existing)
                rhs, _ = self.bounded(s, s.floats[t].kind, t, 1)
                lines.append(f"    {t} = {rhs}")
                scope.floats[t].fresh = False
        word = self.pick(["break", "continue"])
        self.mark(word)
        return lines + ["    " + word]

    def loop_scope(self, scope, ints, floats):
        if scope.loops:
            self.mark("nested-loop")
        return scope.child(loop=(ints or list(floats) or ["_"])[0], ints=ints, floats=floats)

    def for_stmt(self, scope, depth, nest):
        head, ints, items = self.loop_header(scope)
        body_scope = self.loop_scope(scope, ints, items)
        first = []  # a name the body assigns first, read after the loop
        if (
            ints
            and head.startswith((f"for {ints[0]} in range", f"for {ints[0]} in reversed"))
            and self.flip()
        ):
            first = [self.fresh_name("v"), self.pick(["s", "a"])]
            rhs, _ = self.bounded(body_scope, first[1], first[0], depth)
            body_scope.floats[first[0]] = Var(first[1])
            first.append(f"{first[0]} = {rhs}")
            wrap = self.pick(["none", "none", "loop", "branch"])
            if wrap == "loop":  # (bound only on trips where the inner loop runs: a flag)
                j = self.fresh_name("j")
                trips = self.pick(["2", *self.n_trips(), f"{ints[0]}"])
                first[2] = f"for {j} in range({trips}):\n    {first[2]}"
                self.mark("assigned-in-nested-loop")
            elif wrap == "branch":  # (bound only on trips that take the branch)
                first[2] = f"if {self.cond(body_scope, 1)}:\n    {first[2]}"
                self.mark("assigned-in-branch-in-loop")
        where = self.pick(["none", "end", "start"])
        body = self.escape(body_scope) if where == "start" else []
        body = (first[2].split("\n") if first else []) + body  # (an escape before it:
        # refused)
        body += self.block(body_scope, depth, nest + 1, min_stmts=1)
        if where == "end":
            body += self.escape(body_scope)
        self.merge(scope, [body_scope], exhaustive=False)
        if first:  # (Python raises UnboundLocalError at a read after a loop that ran no
            # time, and so must s2sgrad's code)
            self.mark("assigned-in-loop")
            scope.floats[first[0]] = Var(first[1])
        head = self.checkpointed(head, ints, body)
        orelse = []  # (a loop's else clause: run where no break of its own left it)
        existing = [n for n, v in scope.floats.items() if not v.buffer and v.kind != "r"]
        if existing and self.flip() and self.flip():
            t = self.pick(existing)
            rhs, _ = self.bounded(scope, scope.floats[t].kind, t, 1)
            orelse = ["else:", f"    {t} = {rhs}"]
            scope.floats[t].fresh = False
            self.mark("loop-else")
        pre = []
        if (
            ints
            and head.startswith(
                (f"for {ints[0]} in range", f"for {ints[0]} in reversed", f"for {ints[0]}, ")
            )
            and self.flip()
        ):
            # the index read after the loop: the last iteration's (or where `break` left
            # it); when the loop runs no time, its old value if it had one, else Python
            # raises UnboundLocalError at the read (and so must s2sgrad's code)
            if head.startswith(f"for {ints[0]} in range") and self.flip():
                pre = [f"{ints[0]} = {self.choose.integer(0, 2)}"]
                self.mark("index-after-loop")
            else:
                self.mark("index-after-loop-unbound")
                t = self.fresh_name("s")  # read right after the loop (Python may raise)
                scope.ints.append(ints[0])
                scope.floats[t] = Var("s")
                return [head] + indent(body) + orelse + [f"{t} = {self.const()} * {ints[0]}"]
            scope.ints.append(ints[0])
        return pre + [head] + indent(body) + orelse

    def checkpointed(self, head, ints, body):
        """Sometimes `for i in s2sgrad.checkpointed(range(...)):` for a loop over a range()
        of f whose body neither breaks nor returns (nested loops' included): its reverse
        sweep recomputes segments from checkpoints (s2sgrad/checkpoint.py)."""
        if (
            self.in_helper
            or not ints
            or not head.startswith(f"for {ints[0]} in range(")
            or any(re.search(r"\b(break|return)\b", line) for line in body)
            or not self.flip()
        ):
            return head
        self.mark("checkpointed")
        self.uses_checkpointed = True
        rng = head[len(f"for {ints[0]} in ") : -1]
        return f"for {ints[0]} in s2sgrad.checkpointed({rng}):"

    def n_trips(self):
        """Trip counts from f's `n` (none in a helper: it has no `n`)."""
        return [] if self.in_helper else ["n", "n - 2"]

    def while_stmt(self, scope, depth, nest):
        forever = self.flip() and self.flip()  # `while True:` left by a break at the top
        if forever:
            k = self.fresh_name("k")
            bound = self.pick(["3", "2"] + ([] if self.in_helper else ["n"]))
            head = [f"{k} = 0", "while True:"]
            self.mark("while-true")
        else:
            k, head = self.while_header(scope)
        body_scope = self.loop_scope(scope, [k], {})
        first = []  # a name the body assigns first, read after the loop
        if self.flip():
            first = [self.fresh_name("v"), self.pick(["s", "a"])]
            rhs, _ = self.bounded(body_scope, first[1], first[0], depth)
            body_scope.floats[first[0]] = Var(first[1])
            first.append(f"{first[0]} = {rhs}")
            wrap = self.pick(["none", "none", "loop", "branch"])
            if wrap == "loop":  # (bound only on trips where the inner loop runs: a flag)
                j = self.fresh_name("j")
                trips = self.pick(["2", *self.n_trips(), k])
                first[2] = f"for {j} in range({trips}):\n    {first[2]}"
                self.mark("assigned-in-nested-loop")
            elif wrap == "branch":  # (bound only on trips that take the branch)
                first[2] = f"if {self.cond(body_scope, 1)}:\n    {first[2]}"
                self.mark("assigned-in-branch-in-loop")
        body = first[2].split("\n") if first else []
        body += [f"{k} = {k} + 1"]
        body += [f"if {k} > {bound}:", "    break"] if forever else []
        body += self.block(body_scope, depth, nest + 1, min_stmts=1)
        if self.flip():
            body += self.escape(body_scope)
        self.merge(scope, [body_scope], exhaustive=False)
        if first:  # (read after a loop that ran no time, Python raises UnboundLocalError)
            self.mark("assigned-in-while")
            scope.floats[first[0]] = Var(first[1])
        scope.ints.append(k)
        return head + indent(body)

    def tuple_loop(self, scope, depth, nest):
        """State carried through a loop as a tuple, unpacked in the body and after."""
        t = self.fresh_name("st")
        kinds = (self.pick("as"), self.pick("as"))
        init = ", ".join(self.bounded(scope, k, t, depth)[0] for k in kinds)
        head, ints, items = self.loop_header(scope)
        p, q = self.fresh_name("p"), self.fresh_name("q")
        made = not self.in_helper  # a helper's tuple may hold its parameters
        body_scope = self.loop_scope(
            scope,
            ints,
            dict(items, **{p: Var(kinds[0], writable=made), q: Var(kinds[1], writable=made)}),
        )
        body = [f"{p}, {q} = {t}"] + self.block(body_scope, depth, nest + 1, min_stmts=0)
        new = ", ".join(self.bounded(body_scope, k, t, depth)[0] for k in kinds)
        body.append(f"{t} = ({new})")
        self.merge(scope, [body_scope], exhaustive=False)
        a, b = self.fresh_name("p"), self.fresh_name("q")
        scope.floats[a], scope.floats[b] = (
            Var(kinds[0], writable=made),
            Var(kinds[1], writable=made),
        )
        self.mark("tuple-loop")
        return [f"{t} = ({init})", head] + indent(body) + [f"{a}, {b} = {t}"]

    # -- loops carrying values through the patterns of PATTERNS
    def carried_loop(self, scope, depth, nest):
        """A loop carrying values through one of PATTERNS, maybe under a branch,
        among other statements, maybe writing a carried value into a buffer."""
        pattern = self.pick(list(PATTERNS))
        kind = self.pick("as")
        names, lines = self.carried_values(scope, pattern, kind, depth)
        if self.flip():
            k, head = self.while_header(scope, self.converged(names, kind))
            body_scope = self.loop_scope(scope, [k], {})
            body = [f"{k} = {k} + 1"]
        else:
            header, ints, items = self.loop_header(scope)
            head, body_scope, body = [header], self.loop_scope(scope, ints, items), []
        if self.flip():
            body += self.block(body_scope, depth, nest + 1, min_stmts=1)
        body += self.maybe_in_branch(body_scope, pattern, names, kind)
        buffers = [n for n, v in body_scope.floats.items() if v.buffer]
        if buffers and kind == "s" and self.flip():
            body += self.setitem(body_scope, self.pick(buffers), depth, value=self.pick(names))
        if self.flip():
            body += self.escape(body_scope)
        self.merge(scope, [body_scope], exhaustive=False)
        self.featured.update(names)
        self.mark(pattern)
        if len(head) == 1:
            head = [self.checkpointed(head[0], ints, body)]
        return lines + head + indent(body)

    def carried_values(self, scope, pattern, kind, depth):
        """(names, lines before the loop) of the values `pattern` carries: names
        in scope (parameters too) or new ones given a value. They may share
        arrays from here on (the pattern moves them from name to name)."""
        names, lines, start = [], [], self.starts(scope, pattern, kind)
        if pattern == "recurrence":  # lag, cheb = 1, z: Chebyshev polynomials of |z| <= 1
            lines.append(
                f"{start['cheb']} = np.{self.pick(['sin', 'tanh'])}({self.expr(scope, kind, 1)})"
            )
            scope.floats[start["cheb"]] = Var(kind, writable=True)
        for role in PATTERNS[pattern]:
            reuse = [
                n
                for n in scope.of_kind(kind, buffers=False)
                if n not in names and n not in start.values()
            ]
            if reuse and self.flip():
                names.append(self.pick(reuse))
                continue
            name = self.fresh_name(role)
            value = start.get(role) or self.bounded(scope, kind, name, depth)[0]
            lines.append(f"{name} = {value}")
            names.append(name)
            scope.floats[name] = Var(kind, writable=True)
        if pattern == "recurrence":
            names.append(start["cheb"])
        self.shared(scope, *names)
        return names, lines

    def starts(self, scope, pattern, kind):
        """{role: the value it starts from} where a pattern needs one: momentum
        starts at rest, the recurrence at (1, z) (the name z is start["cheb"])."""
        if pattern == "momentum":
            arrays = scope.of_kind("a", buffers=False)
            return {
                "vel": "0.0"
                if kind == "s"
                else self.pick([f"np.zeros({self.shape})", f"0.0 * {self.pick(arrays)}"])
            }
        if pattern == "recurrence":
            z = self.fresh_name("z")
            return {"lag": "1.0" if kind == "s" else f"np.ones_like({z})", "cheb": z}
        return {}

    def converged(self, names, kind):
        """A runtime condition on two carried values: have they come together?"""
        a, b = names[0], names[1]
        gap = f"abs({a} - {b})" if kind == "s" else f"np.sum(np.abs({a} - {b}))"
        return f"{gap} > {self.pick(['0.1', '0.01', '0.5'])}"

    def update(self, scope, pattern, names, kind):
        """The lines of one step of `pattern` over the carried `names`."""
        mix = lambda: self.expr(scope, kind, 1, top=False)  # noqa: E731
        if pattern == "swap":
            a, b = names
            return [
                self.pick(
                    [
                        f"{a}, {b} = {b}, {a} + {b}",
                        f"{a}, {b} = {b}, np.tanh({a} - {b} * {mix()})",
                        f"{a}, {b} = {b} * {self.const()}, np.sin({a} + {mix()})",
                    ]
                )
            ]
        if pattern == "temp-swap":
            a, b = names
            t = self.fresh_name("t")
            scope.floats[t] = Var(kind)
            return [
                f"{t} = {a}",
                f"{a} = {b}",
                f"{b} = {self.pick([f'{t} * 2.0', f'np.tanh({t} * 2.0)', f'{t} * -0.8'])}",
            ]
        if pattern == "rotation":
            a, b, c = names
            last = self.pick([a, f"np.sin({a} + {mix()})"])
            return [f"{a}, {b}, {c} = {b}, {c}, {last}"]
        if pattern == "prev-cur":
            return self.prev_cur(scope, names, kind, mix)
        if pattern == "momentum":
            v, x = names
            g = self.pick([f"np.tanh({x} * {mix()})", f"np.sin({x}) * {mix()}", f"({x} - {mix()})"])
            return [f"{v} = 0.9 * {v} + {g}", f"{x} = {x} - 0.1 * {v}"]
        t0, t1, z = names
        if self.flip():
            return [f"{t0}, {t1} = {t1}, 2.0 * {z} * {t1} - {t0}"]
        t2 = self.fresh_name("t")
        scope.floats[t2] = Var(kind)
        return [f"{t2} = 2.0 * {z} * {t1} - {t0}", f"{t0} = {t1}", f"{t1} = {t2}"]

    def prev_cur(self, scope, names, kind, mix):
        """`prev, cur = cur, g(prev, cur)`, spelled as a tuple assignment, as
        `prev = cur` then `cur = g(prev)`, or through a temporary."""
        prev, cur = names
        form = self.pick(["tuple", "sequential", "temporary"])
        if form == "sequential":
            return [f"{prev} = {cur}", f"{cur} = np.tanh({self.const()} * {prev} + {mix()})"]
        if self.helpers_returning(kind) and self.flip():
            g = self.call(scope, kind, 2, given=(prev, cur))
        else:
            g = self.pick(
                [
                    f"np.tanh({self.const()} * {cur} - {prev} * {mix()})",
                    f"0.5 * {cur} + np.sin({prev})",
                ]
            )
        if form == "tuple":
            return [f"{prev}, {cur} = {cur}, {g}"]
        t = self.fresh_name("t")
        scope.floats[t] = Var(kind)
        return [f"{t} = {g}", f"{prev} = {cur}", f"{cur} = {t}"]

    def maybe_in_branch(self, scope, pattern, names, kind):
        """One step of `pattern`, as it is or under an `if` (with an `else` that
        rebinds one value, or not): then it happens in some iterations only, and
        its temporaries are not defined after the `if`."""
        form = self.pick(["plain", "plain", "if", "if-else"])
        if form == "plain":
            return self.update(scope, pattern, names, kind)
        self.mark_branch(scope)
        out = [f"if {self.cond(scope, 1)}:"] + indent(
            self.update(scope.child(), pattern, names, kind)
        )
        if form == "if-else":
            out += ["else:"] + indent(self.assign(scope.child(), 1))
        return out

    # -- writes into buffers
    def buffer_loop(self, scope, depth, nest):
        """A np.zeros buffer filled in a loop, reading what earlier iterations wrote."""
        y = self.fresh_name("y")
        head, ints, items = self.loop_header(scope)
        body_scope = self.loop_scope(scope, ints, dict(items, **{y: new_buffer()}))
        body = self.block(body_scope, depth, nest + 1, min_stmts=0)
        body += self.setitem(body_scope, y, depth)
        self.merge(scope, [body_scope], exhaustive=False)
        scope.floats[y] = new_buffer()
        return [f"{y} = {self.zeros()}", head] + indent(body)

    def append_loop(self, scope, depth, nest):
        """A list built with append in a loop (under a branch too; from an RNN's last item),
        then read: np.stack, np.array, np.concatenate, sum, len, indexing, iteration."""
        L, kind = self.fresh_name("L"), self.pick("as")
        seeded = self.flip()  # starts with an item: never empty
        lines = [f"{L} = [{self.expr(scope, kind, depth)} * 1.0]" if seeded else f"{L} = []"]
        counter = None
        if self.flip():
            head, ints, items = self.loop_header(scope)
            body_scope, pre, body = self.loop_scope(scope, ints, items), [head], []
        else:
            counter, pre = self.while_header(scope)
            body_scope, body = self.loop_scope(scope, [counter], {}), [f"{counter} = {counter} + 1"]
        body += self.block(body_scope, depth, nest + 1, min_stmts=0)
        item = self.expr(body_scope, kind, depth)
        if seeded and self.flip():
            item = f"{item} + 0.5 * {L}[-1]"
            self.mark("append-rnn")
        append = [f"{L}.append(np.tanh({item}))"]
        if self.flip():
            self.mark("branch-in-loop")
            append = [f"if {self.cond(body_scope, 1)}:"] + indent(append)
            if self.flip():
                append += ["else:", f"    {L}.append(np.sin({self.expr(body_scope, kind, 1)}))"]
        body += append
        if self.flip():
            body += self.escape(body_scope)
        self.merge(scope, [body_scope], exhaustive=False)
        if counter is not None:
            scope.ints.append(counter)
        lines += pre + indent(body)
        self.mark("append-stack")
        s = self.fresh_name("s")
        scope.floats[s] = Var("s")
        readers = [f"np.sum(np.array({L}) ** 2)", f"0.25 * len({L})"]
        if seeded:
            readers += [
                f"np.sum(np.sin(np.stack({L})))",
                f"np.mean({L})",
                f"np.sum(np.stack({L}, axis={self.pick('01') if kind == 'a' else 0})[0])",
                f"np.sum({L}[-1] * {L}[0])",
                f"np.sum(np.cos(sum({L})))",
            ]
            if kind == "a":
                readers.append(f"np.sum(np.tanh(np.concatenate({L})))")
            if scope.ints:
                readers.append(f"np.sum({L}[{self.pick(scope.ints)} % len({L})])")
        if self.flip():  # iterated
            v = self.fresh_name("v")
            lines += [
                f"{s} = 0.0",
                f"for {v} in {L}:",
                f"    {s} = 0.5 * {s} + np.sum(np.sin({v}))",
            ]
            self.mark("for-over-array")
        else:
            lines.append(f"{s} = {' + '.join(self.choose.some(readers, 2) or readers[:1])}")
        return lines

    def zeros(self):
        return self.pick(
            [f"np.zeros({self.shape})"] + ([] if self.in_helper else ["np.zeros_like(x0)"])
        )

    def grid_loop(self, scope, depth, nest):
        """Two nested loops writing a buffer at both indices (`y[i % 2, j % 3] = ...`),
        reading it back inside the loops; later statements read it after them."""
        y, i, j = self.fresh_name("y"), self.fresh_name("i"), self.fresh_name("j")
        small = ["range(2)", "range(3)"] + ([] if self.in_helper else ["range(n)"])
        head = [f"{y} = {self.zeros()}", f"for {i} in {self.pick(small)}:"]
        inner_head = f"for {j} in {self.pick(small + [f'range({i} + 1)'])}:"
        outer = self.loop_scope(scope, [i], {y: new_buffer()})
        before = self.block(outer, depth, nest + 1, min_stmts=0) if self.flip() else []
        inner = self.loop_scope(outer, [j], {})
        body = self.block(inner, depth, nest + 2, min_stmts=0) if self.flip() else []
        body += self.setitem(inner, y, depth, ints=(i, j))
        if self.flip():
            body += self.read_back(inner, y)
        self.merge(outer, [inner], exhaustive=False)
        after = self.escape(outer) if self.flip() else []
        self.merge(scope, [outer], exhaustive=False)
        scope.floats[y] = new_buffer()
        self.mark("nested-loop-write")
        return head + indent(before + [inner_head] + indent(body) + after)

    def read_back(self, scope, y):
        """A scalar (carried by the loops, if there is one) takes in what was just written into y."""
        read = self.index_scalar(scope, y)
        self.mark("read-after-write")
        scalars = scope.of_kind("s", buffers=False)
        if not scalars:
            t = self.fresh_name("s")
            scope.floats[t] = Var("s")
            return [f"{t} = np.sin({read})"]
        t = self.pick(scalars)
        return [f"{t} = 0.5 * {t} + np.sin({read})"]

    def index_keys(self, ints):
        """The keys `y[...]` may be written at, from up to two int names."""
        if not ints:
            return ["1, 2", "0", ":, 1", "1", "0, 0"] if self.rows else ["0", "-1", "1"]
        i, j = ints[0], ints[-1]
        if not self.rows:
            return [f"{i} % 3", f"({i} + 1) % 3", f"({i} + {j}) % 3"]
        return [f"{i} % 2, {j} % 3", f"{i} % 2", f":, {j} % 3", f"{j} % 2, {i} % 3"]

    def writable_arrays(self, scope):
        return [n for n, v in scope.floats.items() if v.kind == "a" and v.writable]

    def setitem(self, scope, y, depth, ints=None, value=None):
        """A write into array `y` (of `value`, a scalar's name, if given)."""
        if ints is None:
            ints = self.choose.some(scope.ints, 2) if scope.ints and self.flip() else ()
        prev = f"{y}[{self.pick(self.index_keys(ints))}]"
        self.written(scope, y)
        scalars = scope.of_kind("s", buffers=False)
        forms = ["set", "update", "augmented", "out"] + (["name"] if scalars else [])
        form = "name" if value else self.pick(forms)
        if form == "name":
            return [f"{prev} = {value or self.pick(scalars)}"]
        if form == "out":  # a ufunc into its own operand: a write into all of y
            f = self.pick(["tanh", "sin"])
            # (as a statement, or as an assignment `y = np.f(a, b, out=y)`, read as `y[...] =
            # np.f(a, b); y = y`: chosen by the key's text, with no draw, so that the programs
            # a seed drew before the assignment form was written stay the same after it)
            way = (len(prev) + len(y)) % 4
            if way == 0:
                self.mark("ufunc-out")
                return [f"np.{f}({y}, out={y})"]
            self.mark("ufunc-out-assign")
            if way == 1:
                return [f"{y} = np.{f}({y}, out={y})"]
            g = ["add", "subtract", "multiply"][way - 2 + len(y) % 2]
            a, b = (y, f"np.{f}({y})") if len(prev) % 2 else (f"np.{f}({y})", y)
            return [f"{y} = np.{g}({a}, {b}, out={y})"]
        e = self.expr(scope, "s", depth)
        if form == "set":
            return [f"{prev} = np.tanh({e})"]
        if form == "update":
            return [f"{prev} = 0.5 * {prev} + np.sin({e})"]
        return [f"{prev} {self.pick(['+=', '-=', '*='])} np.sin({e})"]

    def view_augassign(self, scope, depth):
        """`v = a[k, ...]` (a 0-d array of a 1-D a, a row of a 2-D one), then `v += e`:
        a write into a through v."""
        arrays = self.writable_arrays(scope)
        if not arrays:
            return self.assign(scope, depth)
        a, v = self.pick(arrays), self.fresh_name("v")
        self.written(scope, a)
        self.shared(scope, a)
        scope.floats[a].fresh = False
        scope.floats[v] = Var("s" if len(self.shape) == 1 else "r")
        self.mark("view-augassign")
        return [
            f"{v} = {a}[{self.choose.integer(0, self.shape[0] - 1)}, ...]",
            f"{v} {self.pick(['+=', '*='])} 0.5 * np.tanh({self.expr(scope, 's', depth)})",
        ]

    def tuple_setitem(self, scope, depth):
        """`a[i], a[j] = a[j], a[i]` (elements of a 1-D a; rows, which are views, of a
        2-D one: Python reads the second value after the first write)."""
        arrays = self.writable_arrays(scope)
        if not arrays:
            return self.assign(scope, depth)
        a = self.pick(arrays)
        i, j = self.choose.integer(0, self.shape[0] - 1), self.choose.integer(0, self.shape[0] - 1)
        if self.rows and self.flip():  # elements of a 2-D a: numbers, swapped
            k = self.choose.integer(0, self.shape[1] - 1)
            i, j = f"{i}, {k}", f"{j}, {self.choose.integer(0, self.shape[1] - 1)}"
        self.written(scope, a)
        self.mark("tuple-setitem")
        return [f"{a}[{i}], {a}[{j}] = {a}[{j}], {a}[{i}]"]

    def float_accumulator(self, scope, depth):
        """`acc = 0.0`, then `acc += <array>` in a loop: a Python number the first
        time, an array written in place after; maybe `keep = acc` in the first
        iteration, which then sees the later writes."""
        acc, i = self.fresh_name("acc"), self.fresh_name("i")
        body_scope = self.loop_scope(scope, [i], {})
        lines = [
            f"{acc} = 0.0",
            f"for {i} in range({self.pick(['2', '3'])}):",
            f"    {acc} += 0.5 * np.tanh({self.expr(body_scope, 'a', depth)})",
        ]
        if scope.of_kind("a", buffers=False) and self.flip():
            keep = self.fresh_name("keep")
            lines = (
                [f"{keep} = {self.pick(scope.of_kind('a', buffers=False))}"]
                + lines
                + [f"    if {i} == 0:", f"        {keep} = {acc}"]
            )
            scope.floats[keep] = Var("a")
            self.mark("branch-in-loop")
        scope.floats[acc] = Var("a")  # (a number when the loop runs no time: read as one)
        self.mark("float-accumulator")
        return lines

    def row_recurrence(self, scope, depth):
        """An RNN's step over the rows of x0, read in order (`for i in range(x0.shape[0])`):
        `x0[i] @ r` and `w @ x0[i]`, r and w made before the loop. The reverse loop's
        adjoints of r and w are what passes/loop_accumulate.py sums after the loop, the
        products what passes/hoist_invariant.py computes before it (in a `grad`: the
        fuzzer checks `grad` too for these programs)."""
        r, i = self.fresh_name("r"), self.fresh_name("i")
        arrays, scalars = scope.of_kind("a", buffers=False), scope.of_kind("s", buffers=False)
        w = self.pick(arrays) if arrays else "x0"
        lines = [f"{r} = {self.expr(scope, 'r', min(depth, 1))}"]
        if scalars:  # (carried on in a scalar the function may read later)
            s = self.pick(scalars)
        else:
            s = self.fresh_name("s")
            lines.append(f"{s} = {self.expr(scope, 's', min(depth, 1))}")
        if self.flip():
            lines += [
                f"for {i} in range(x0.shape[0]):",
                f"    {s} = np.tanh(x0[{i}] @ {r} + 0.5 * {s}) + 0.1 * np.sum({w} @ x0[{i}])",
            ]
        else:
            # a row carried (q), read out into s: passes/loop_stack.py stacks q's rows and
            # computes what the sweep needs of them (tanh's and sin's derivatives, the
            # read-out) once for all the rows, in a `grad`
            q = self.fresh_name("q")
            step = self.pick(
                [
                    f"np.tanh(x0[{i}] * {q} + 0.5 * {r})",
                    f"np.sin({q}) * 0.9 + x0[{i}] * {r}",
                    f"np.tanh({q} @ np.outer({r}, {r}) * 0.3 + x0[{i}])",
                ]
            )
            out = self.pick(
                [f"np.sum(np.sin({q}) * {r})", f"np.cos({q}) @ x0[{i}]", f"np.sum({q} * {q}) * 0.5"]
            )
            lines += [
                f"{q} = {r} * 0.5",
                f"for {i} in range(x0.shape[0]):",
                f"    {q} = {step}",
                f"    {s} = {s} + {out}",
            ]
            scope.floats[q] = Var("r")
            self.mark("stacked-carry")
        scope.floats[r] = Var("r")
        scope.floats[s] = Var("s")
        self.mark("row-recurrence")
        return lines

    # -- calls and returns
    def assert_stmt(self, scope, depth):
        """`assert test` (with a message, sometimes): mostly a test that holds, sometimes
        a runtime condition, false on some inputs (Python's AssertionError, which the
        generated code must raise too)."""
        self.mark("assert")
        arrays = scope.of_kind("a", buffers=False)
        tests = [
            f"np.all(np.isfinite({self.pick(arrays)}))" if arrays else "n >= 0",
            f"{self.pick(arrays)}.ndim >= 1" if arrays else "True",
            f"abs({self.expr(scope, 's', min(depth, 1), top=False)}) < 1e9",
            self.cond(scope, 1),
        ]
        test = self.pick(tests)
        message = self.pick(["", "", ', "the test failed"'])
        return [f"assert {test}{message}"]

    def tuple_call(self, scope, depth):
        """`p, q = h(...)` of a helper returning a tuple (maybe holding an int: `p, q, m`),
        or `t = h(...)` and its items read by index."""
        kinds = self.pick([h for h in self.helpers if len(h[2]) >= 2])[2]
        text = self.call(scope, kinds, depth)
        names = [self.fresh_name("m" if k == "i" else "p") for k in kinds]
        self.mark("helper-tuple")
        if self.flip():
            lines = [f"{', '.join(names)} = {text}"]
            fresh = True
        else:
            t = self.fresh_name("t")
            order = list(range(len(kinds)))[:: self.pick([1, -1])]
            lines = [f"{t} = {text}"] + [f"{names[k]} = {t}[{k}]" for k in order]
            fresh = False  # (t holds them too)
        for name, k in zip(names, kinds):
            if k == "i":
                scope.ints.append(name)
            else:
                scope.floats[name] = Var(k, fresh=fresh, writable=fresh)
        return lines

    def early_return(self, scope, depth):
        self.mark("return-in-loop" if scope.loops else "early-return")
        return [f"if {self.cond(scope, 1)}:", f"    return {self.result(scope)}"]

    def lambda_def(self, scope, depth):
        """`fN = lambda v: ...` of a parameter and the variables in scope, which it reads
        when it is called (late binding: later statements may rebind them)."""
        name, v = self.fresh_name("lam"), self.fresh_name("lv")
        kind, result = self.pick("as"), self.pick("as")
        inner = scope.child()
        inner.floats[v] = Var(kind)
        body = self.expr(inner, result, min(depth, 2))
        scope.lambdas[name] = (kind, result)
        self.mark("lambda")
        return [f"{name} = lambda {v}: {body}  # noqa: E731"]

    def result(self, scope):
        """A scalar of some of the variables in scope (one carried by a pattern,
        if any is): what f returns."""
        candidates = sorted(scope.floats)
        chosen = self.choose.some(candidates, 4)
        featured = [n for n in candidates if n in self.featured and n not in chosen]
        if featured:
            chosen.append(self.pick(featured))
        terms = []
        for n in chosen:
            c = self.const()
            if scope.floats[n].kind == "s":
                terms.append(self.pick([f"{c} * {n}", f"np.sin({n})"]))
            else:
                terms.append(
                    self.pick([f"np.sum({c} * {n})", f"np.sum(np.sin({n}))", f"np.sum({n} * {n})"])
                )
        return " + ".join(terms)

    def stmt(self, scope, depth, nest):
        forms = ["assign", "assign", "augassign", "copy"]
        if nest < 3:
            forms += [
                "if",
                "for",
                "while",
                "tuple_loop",
                "buffer_loop",
                "carried_loop",
                "carried_loop",
                "append_loop",
            ]
        if nest < 2:
            forms.append("grid_loop")
        if scope.loops:
            forms += ["best_so_far", "copy"]
        if self.writable_arrays(scope):
            forms.append("setitem")
            if self.choose.integer(0, 3) == 0:  # (rarer: most are refused)
                forms.append(self.pick(["view_augassign", "tuple_setitem"]))
        if nest < 3 and not self.in_helper and self.choose.integer(0, 3) == 0:
            forms.append("float_accumulator")
        if (
            self.rows
            and not self.in_helper
            and self.choose.integer(0, 3) == 0
            and getattr(scope.floats.get("x0"), "kind", None) == "a"
        ):
            forms.append("row_recurrence")
        if any(len(h[2]) >= 2 for h in self.helpers):
            forms.append("tuple_call")
        if not self.in_helper and (scope.loop is None or self.choose.integer(0, 2) == 0):
            forms.append("early_return")  # (in a loop too: return-in-loop)
        if self.choose.integer(0, 3) == 0:
            forms.append("lambda_def")
        if self.choose.integer(0, 4) == 0:
            forms.append("assert_stmt")
        form = self.pick(forms)
        self.budget -= 1
        if form == "setitem":
            buffers = [n for n, v in scope.floats.items() if v.buffer]
            y = self.pick(buffers if buffers and self.flip() else self.writable_arrays(scope))
            return self.setitem(scope, y, depth)
        if form in (
            "assign",
            "augassign",
            "copy",
            "best_so_far",
            "tuple_call",
            "early_return",
            "lambda_def",
            "assert_stmt",
            "view_augassign",
            "tuple_setitem",
            "float_accumulator",
            "row_recurrence",
        ):
            return getattr(self, form)(scope, depth)
        return getattr(self, form if form.endswith("loop") else form + "_stmt")(scope, depth, nest)

    def block(self, scope, depth, nest, min_stmts=1):
        n = self.choose.integer(min_stmts, max(min_stmts, min(3, self.budget)))
        lines = []
        for _ in range(n):
            lines += self.stmt(scope, depth, nest)
        return lines or ["pass"]

    # -- helpers and the whole module
    def helper(self, index):
        name = f"h{index}"
        params = [self.pick("as") for _ in range(self.choose.integer(1, 2))]
        if self.flip():
            params.append("i")
        names = [f"a{k}" if p != "i" else "k" for k, p in enumerate(params)]
        default = self.flip()
        scope = Scope(
            {n: Var(p) for n, p in zip(names, params) if p != "i"},
            ints=["k"] if "i" in params else (),
        )
        if default:
            scope.floats["c"] = Var("s")
        body = []
        none_default = default and self.flip()  # `c=None`, then `if c is None: c = 0.5`
        if none_default:
            self.marks[name] = {"is-none"}
            body = ["if c is None:", "    c = 0.5"]
        if not scope.of_kind("a"):
            # an array to read (a scalar-only helper broadcasts its result against the zeros)
            scope.floats["a9"] = Var("a", fresh=True, writable=True)
            body += [f"a9 = {names[0]} + np.zeros({self.shape})"]
        saved, self.budget, self.in_helper, self.current = self.budget, 2, True, name
        self.marks[name], self.calls[name] = self.marks.get(name, set()), set()
        inner = scope.child()
        body += self.block(inner, 2, 1, min_stmts=0)
        self.budget, self.in_helper = saved, False
        kinds = self.pick([("a",), ("s",), ("a", "s"), ("a", "a"), ("s", "a", "i")])
        outs = [
            self.pick(["2", "k"] if "k" in names else ["2"])
            if k == "i"
            else self.bounded(inner.child(loop="h"), k, "_", 2)[0]
            for k in kinds
        ]
        arrays = [n for n, p in zip(names, params) if p == "a"]
        if kinds == ("a",) and arrays and self.choose.integer(0, 3) == 0:
            # hands back its argument, or a view of it: the caller's name sees its writes
            outs = [self.pick([arrays[0], f"{arrays[0]}[::-1]", f"{arrays[0]}[...]"])]
            self.mark("helper-returns-arg")
        body.append(f"return {', '.join(outs)}")
        self.current = "f"
        self.helpers.append((name, params, kinds, default))
        sig = ", ".join(names + ([f"c={'None' if none_default else '0.5'}"] if default else []))
        return [f"def {name}({sig}):"] + indent(body)

    def module(self):
        """(source, {float parameter: shape})."""
        lines = ["import math", "", "import numpy as np", ""]
        self.custom = self.choose.integer(0, 3) == 0
        if self.custom:
            lines += ["", CUSTOM]
        for k in range(self.choose.integer(0, 1) * self.choose.integer(1, 2)):
            name = f"K{k}"  # module-level arrays: constants of the generated module
            lines += [f"{name} = np.array({self.array_literal(self.shape)})"]
            self.module_arrays.append(name)
        for k in range(self.choose.integer(0, 2)):
            lines += ["", *self.helper(k), ""]
        params = {f"x{k}": self.shape for k in range(self.choose.integer(2, 3))}
        scope = Scope({p: Var("a", writable=True) for p in params}, ints=["n"])
        if self.flip():
            params["w"] = ()
            scope.floats["w"] = Var("s")
        if self.rows and self.flip():
            params["r"] = self.shape[1:]
            scope.floats["r"] = Var("r")
        tail = ["n"]
        if self.choose.integer(0, 2) == 0:  # default values, kept by the generated def
            tail = [self.pick(["n", "n=2"]), f"c={self.const()}"]
            scope.floats["c"] = Var("s")
            self.mark("default-arg")
        body = self.block(scope, 3, 0, min_stmts=1)
        result = self.result(scope)
        self.tree, self.dict_helper = None, False
        if self.choose.integer(0, 3) == 0:
            prologue, reads, term = self.pytree(params, body)
            body = prologue + body + reads
            result += term
        body.append(f"return {result}")
        signature = ["p"] if self.tree is not None else list(params)
        if self.dict_helper:
            lines += ["", DICT_HELPERS]
        lines += ["", f"def f({', '.join(signature + tail)}):"] + indent(body)
        if self.uses_checkpointed and not self.custom:
            lines.insert(1, "import s2sgrad")
        return "\n".join(lines) + "\n", params

    def dict_state(self, arrays, others):
        """(lines, a result term): a dict display carried through a loop (for or while)
        and rebound in a run-time branch with `{**d, ...}`, read after the loop."""
        self.mark("dict-carried")
        d, i, t = self.fresh_name("d"), self.fresh_name("i"), self.fresh_name("tt")
        a = self.pick(arrays)
        s = self.pick(others) if others and self.flip() else self.const()
        head = self.pick(
            [
                f"for {i} in range(n):",
                f"for {i} in range({self.pick(['2', '3'])}):",
                f"while {i} < n and np.sum(np.abs({d}['a'])) > 0.1:",
            ]
        )
        step = [f"{d} = {{'a': np.tanh({d}['a'] * {d}['s'] + 0.1), 's': {d}['s'] * 0.9}}"]
        if self.flip():  # a helper taking the dict and returning a new one
            self.dict_helper = True
            self.mark("dict-helper")
            step = [f"{d} = {self.pick(['step_dict', 'step_pair'])}({d}, {self.const()})"]
        if self.flip():
            self.mark("branch-in-loop")
            step += [
                f"if np.sum({d}['a']) > 0.0:",
                f"    {d} = {{**{d}, 's': {d}['s'] + 0.5 * np.sum(np.sin({d}['a']))}}",
            ]
        if head.startswith("while"):
            step.append(f"{i} = {i} + 1")
        lines = (
            [f"{d} = {{'a': {a}, 's': {s}}}"]
            + ([f"{i} = 0"] if head.startswith("while") else [])
            + [head]
            + indent(step)
        )
        lines.append(f"{t} = np.sum({d}['a'] ** 2) + {d}['s']")
        return lines, f" + 0.5 * {t}"

    def pytree(self, params, body):
        """f's float parameters packed into one pytree argument `p` (a dict, a list, or a
        dict holding a list): (the lines binding the parameters' names from p, lines
        reading p again after the body, a term for the result). A name the body writes
        into is bound to a copy (a write into a leaf of p would change the caller's p,
        which s2sgrad refuses); the others are p's leaves themselves."""
        names = list(params)
        arrays = [x for x in names if params[x] != ()]
        others = [x for x in names if x not in arrays]
        layout = self.pick(["dict", "list", "nested"])
        if layout == "dict":
            self.tree = {x: x for x in names}
            paths = {x: f'p["{x}"]' for x in names}
            seq_text = "p"
        elif layout == "list":
            self.tree = list(names)
            paths = {x: f"p[{k}]" for k, x in enumerate(names)}
            seq_text = "p"
        else:
            self.tree = {"xs": list(arrays), **{x: x for x in others}}
            paths = {x: f'p["xs"][{k}]' for k, x in enumerate(arrays)}
            paths.update({x: f'p["{x}"]' for x in others})
            seq_text = 'p["xs"]'
        text = "\n".join(body)
        written = {
            x
            for x in names
            if re.search(  # `x[k] = v`, `x += v`, `x[k] += v`
                rf"(^|[^\w.]){x}(\[[^\n]*?\]\s*[-+*]?=(?!=)|\s*[-+*]=)", text, re.M
            )
        }
        self.mark("pytree")
        if layout == "list" and not written and self.flip():
            prologue = [f"{', '.join(names)} = p"]  # unpacked as Python unpacks
            self.mark("pytree-unpack")
        else:
            prologue = [
                f"{x} = {paths[x]}" + (".copy()" if x in written and x in arrays else "")
                for x in names
            ]
        if self.flip():
            return prologue, *self.dict_state(arrays, others)
        if not self.flip():
            return prologue, [], ""
        self.mark("pytree-loop")
        t, v = self.fresh_name("tt"), self.fresh_name("v")
        form = self.pick(
            ["for", "enumerate", "range", "items"]
            if layout == "dict" or layout == "nested" and seq_text == "p"
            else ["for", "enumerate", "range"]
        )
        step = self.pick([f"np.sum(np.sin({v}))", f"np.sum(np.tanh({v}) * {v})"])
        if form == "for":
            head = f"for {v} in {seq_text if layout != 'dict' else 'p.values()'}:"
        elif form == "items":
            head = f"for _k, {v} in p.items():"
        elif form == "enumerate":
            i = self.fresh_name("i")
            head = f"for {i}, {v} in enumerate({seq_text if layout != 'dict' else 'p.values()'}):"
            step = f"({i} + 1) * {step}"
        else:
            i = self.fresh_name("i")
            if layout == "dict":
                head = f"for {v} in p.values():"
            else:
                head = f"for {i} in range(len({seq_text})):"
                step = step.replace(v, f"{seq_text}[{i}]")
        inner = [f"{t} = {t} + {step}"]
        if self.flip():  # a branch in the unrolled loop, on a run-time condition
            self.mark("branch-in-loop")
            inner = (
                [
                    f"if np.sum({v}) > 0:"
                    if "range(len" not in head
                    else f"if np.sum({seq_text}[{i}]) > 0:"
                ]
                + indent(inner)
                + ["else:", f"    {t} = {t} * 0.5"]
            )
        return prologue, [f"{t} = 0.0", head] + indent(inner), f" + 0.5 * {t}"

    def array_literal(self, shape):
        if len(shape) == 1:
            return "[" + ", ".join(self.const() for _ in range(shape[0])) + "]"
        return "[" + ", ".join(self.array_literal(shape[1:]) for _ in range(shape[0])) + "]"
