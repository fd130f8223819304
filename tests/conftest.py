"""Every test runs with the IR verifier on: after each stage of the pipeline
(ir/verifier.py) and after out-of-SSA (ir/verify_names.py), for every function
any test transforms."""

import pytest

from s2sgrad import transform


@pytest.fixture(autouse=True, scope="session")
def verify_every_stage():
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(transform, "VERIFY", True)
        yield
