"""The two backends of load_library: "closures" generates no Python text, and chooses nothing else.

That both give the same values and evidence is tested where the workloads are: the conformance tables
(tests/cql_like/conftest.py), the reference-agreement suite and every policy case (tests/policies/test_policy_cases.py).
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any, NoReturn

import pytest
import yaml

from cql_like import LibraryPool, LocalTerminology, PatientRecord, load_library
from cql_like.codegen import function_call, fused, query_loop
from cql_like.compile.types import Compiled

REPO = Path(__file__).resolve().parents[2]
CONFORMANCE = Path(__file__).parent / "conformance"
POLICY_LIBRARIES = sorted(
    p.parent / f"{yaml.safe_load(p.read_text(encoding='utf-8'))['library']}.cql"
    for p in (REPO / "policies").glob("*/*/policy.yaml")
)
BUNDLE = (
    REPO / "policies" / "centene" / "CP.PHAR.549" / "tests" / "data" / "continued-approved-without-kras-in-record.json"
)
NOW = dt.datetime(2026, 11, 23, tzinfo=dt.UTC)


def _generated_code(*args: Any, **kwargs: Any) -> NoReturn:
    raise AssertionError("the closures backend generated Python code")


@pytest.fixture
def no_generated_code(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every way cql_like turns text into code, and the one constructor of fused text, fail the test."""
    monkeypatch.setattr(fused, "eval", _generated_code, raising=False)
    monkeypatch.setattr(function_call, "exec", _generated_code, raising=False)
    monkeypatch.setattr(query_loop, "exec", _generated_code, raising=False)
    monkeypatch.setattr(Compiled, "fused", _generated_code)


def _load(path: Path, backend: Any, pool: LibraryPool | None = None) -> Any:
    shared = [d for d in path.parents if (d / "_shared").is_dir()]
    paths = [path.parent, *(d / "_shared" for d in shared[:1])]
    terminology = LocalTerminology.from_dirs([p / "valuesets" for p in paths if (p / "valuesets").is_dir()])
    return load_library(path, terminology=terminology, library_paths=paths, backend=backend, pool=pool)


def test_the_guard_catches_generated_code(no_generated_code: None) -> None:
    with pytest.raises(AssertionError, match="generated Python code"):
        _load(POLICY_LIBRARIES[0], "generated")


@pytest.mark.parametrize(
    "path", [*POLICY_LIBRARIES, *sorted(CONFORMANCE.glob("*.cql"))], ids=lambda p: p.relative_to(REPO).as_posix()
)
def test_the_closures_backend_compiles_and_evaluates_without_generated_code(
    path: Path, no_generated_code: None
) -> None:
    library = _load(path, "closures")
    assert library.backend == "closures"
    record = PatientRecord.from_bundle(json.loads(BUNDLE.read_text(encoding="utf-8")))
    results = library.evaluate(record, now=NOW, parameters={"OrderId": "mr-sotorasib"})
    assert set(results.values) == set(library.define_names)
    assert any(results.evidence.values()) or "conformance" in str(path)  # a policy names resources on this record


def test_generated_is_the_default_and_an_unknown_backend_is_refused() -> None:
    assert load_library(CONFORMANCE / "Logical.cql").backend == "generated"
    with pytest.raises(ValueError, match="unknown backend 'fast'"):
        load_library(CONFORMANCE / "Logical.cql", backend="fast")  # type: ignore[arg-type]


def test_a_pool_never_shares_an_included_library_between_backends() -> None:
    pool = LibraryPool()
    path = next(p for p in POLICY_LIBRARIES if "CP.PHAR.549" in str(p))
    generated = _load(path, "generated", pool)
    closures = _load(path, "closures", pool)
    assert pool.hits == 0
    shared_generated = generated._compiled.includes
    shared_closures = closures._compiled.includes
    assert shared_generated.keys() == shared_closures.keys()
    for alias, lib in shared_closures.items():
        if not lib.is_fhirhelpers:
            assert lib.backend == "closures" and shared_generated[alias] is not lib
    _load(path, "closures", pool)
    assert pool.hits > 0
