"""A fixed slice of the differential fuzzer (tools/fuzz.py): programs 0..N-1 of
one seed, each checked by both oracles (the value against plain Python, the
gradient against central differences) with the IR verifier on. Any wrong
value, wrong gradient, mutated argument, crash or invalid program fails the
test with the programs' sources; `python tools/fuzz.py --n 20000` runs more.
"""

import sys
from pathlib import Path

import pytest

from s2sgrad import codegen, transform

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tools"))

import fuzz  # noqa: E402

SEED = 20240601
N = 200
N_FLOAT32 = 80


@pytest.fixture(autouse=True)
def verify_ir(monkeypatch):
    monkeypatch.setattr(transform, "VERIFY", True)
    monkeypatch.setattr(codegen, "CHECK_TYPES", True)  # (as tools/fuzz.py's workers)


CHUNK = 25  # (programs per test: chunks spread over the workers of `pytest -n`)


@pytest.mark.parametrize("start", range(0, N, CHUNK))
def test_fuzz_slice(tmp_path, start):
    failures = []
    for index in range(start, min(start + CHUNK, N)):
        prog = fuzz.program(SEED, index, max_stmts=7)
        outcome = fuzz.check(prog, tmp_path)
        if outcome.status in fuzz.FAILURES:
            failures.append(fuzz.failure_file(prog, outcome, SEED, index))
    assert not failures, f"{len(failures)} of programs {start}.. failed:\n\n" + "\n\n".join(
        failures
    )


@pytest.mark.parametrize("start", range(0, N_FLOAT32, CHUNK))
def test_fuzz_float32_slice(tmp_path, monkeypatch, start):
    # (each passing program again with float32 arrays beside its Python floats and
    # float64 constants: values of plain Python's type and dtype, float32 gradients)
    monkeypatch.setattr(fuzz, "FLOAT32", True)
    failures = []
    for index in range(start, min(start + CHUNK, N_FLOAT32)):
        prog = fuzz.program(SEED + 1, index, max_stmts=7)
        outcome = fuzz.check(prog, tmp_path)
        if outcome.status in fuzz.FAILURES:
            failures.append(fuzz.failure_file(prog, outcome, SEED + 1, index) + "\n# float32")
    assert not failures, f"{len(failures)} of float32 programs {start}.. failed:\n\n" + (
        "\n\n".join(failures)
    )


# programs the long runs found wrong or crashing, fixed since, as failure files (source
# and arguments inside: they do not depend on the generator, which changes); a
# `--float32` run's files are replayed with float32 arrays
FOUND = sorted((Path(__file__).parent / "fuzz_found").glob("seed*.py"))


@pytest.mark.parametrize("path", FOUND, ids=lambda p: p.name)
def test_what_the_long_runs_found(path, tmp_path, monkeypatch):
    # (seed 136: np.float32 casts of adjoints printed `v.astype(np.float32)`, which a
    # Python float has not: now `np.float32(v)` for a number)
    monkeypatch.setattr(fuzz, "FLOAT32", "\n# float32" in path.read_text())
    outcome = fuzz.check(fuzz.replay_program(path), tmp_path)
    assert outcome.status not in fuzz.FAILURES, f"{path.name}: {outcome.status}\n{outcome.detail}"
