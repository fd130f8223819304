"""Every test runs with the IR verifier on: after each stage of the pipeline
(ir/verifier.py) and after out-of-SSA (ir/verify_names.py), for every function
any test transforms. Codegen's renderer is checked against astunparse's for
every statement it writes (codegen.CHECK_RENDER)."""

import pytest

from s2sgrad import codegen, transform


@pytest.fixture(autouse=True, scope="session")
def verify_every_stage():
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(transform, "VERIFY", True)
        mp.setattr(codegen, "CHECK_RENDER", True)
        yield


@pytest.fixture(autouse=True)
def own_registrations():
    """Registrations of custom rules are global (as TensorFlow's): what a test (or a
    module it imports, such as a golden case's input) registers ends with it."""
    from s2sgrad import custom

    saved = dict(custom.REGISTRY)
    yield
    if custom.REGISTRY != saved:
        custom.REGISTRY.clear()
        custom.REGISTRY.update(saved)
        custom.GENERATION += 1
