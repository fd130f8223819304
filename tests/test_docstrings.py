"""The public API's docstrings: each has its parameters, returns, raises and an example,
and each example runs as written (doctest), against the generated code it describes."""

import doctest
import inspect

import pytest

import s2sgrad

PUBLIC = [
    name
    for name in s2sgrad.__all__
    if callable(getattr(s2sgrad, name)) and not isinstance(getattr(s2sgrad, name), type)
]
SECTIONS = ("Parameters", "Returns", "Raises", "Example")


def test_every_public_function_is_listed():
    assert {
        "grad",
        "value_and_grad",
        "vjp",
        "jvp",
        "jacobian",
        "hessian",
        "function",
        "gradients",
        "source",
        "custom_vjp",
        "register_gradient",
    } <= set(PUBLIC)


@pytest.mark.parametrize("name", PUBLIC)
def test_docstring_has_the_sections_and_type_hints(name):
    fn = inspect.unwrap(getattr(s2sgrad, name))
    doc = inspect.getdoc(fn) or ""
    wanted = SECTIONS if len(inspect.signature(fn).parameters) > 1 else ("Example",)
    missing = [s for s in wanted if f"\n{s}\n" not in f"\n{doc}\n"]
    assert not missing, f"{name}: its docstring lacks {missing}"
    hints = inspect.get_annotations(fn)
    assert "return" in hints and all(p in hints for p in inspect.signature(fn).parameters), (
        f"{name}: type hints on every parameter and the result"
    )


@pytest.mark.parametrize("name", PUBLIC)
def test_docstring_example_runs(name):
    fn = inspect.unwrap(getattr(s2sgrad, name))
    finder = doctest.DocTestFinder(recurse=False)
    (test,) = finder.find(fn, name, globs={})
    assert test.examples, f"{name}: no example"
    runner = doctest.DocTestRunner(optionflags=doctest.NORMALIZE_WHITESPACE)
    result = runner.run(test, out=lambda text: pytest.fail(f"{name}:\n{text}"))
    assert result.failed == 0 and result.attempted == len(test.examples)
