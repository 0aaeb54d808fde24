"""The code cache: generated texts that differ only in their fresh names share one compiled code object, a warm
load (memory or disk) answers as a cold one, and a corrupt or foreign entry is compiled again, never served."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from cql_like import LocalTerminology, PatientRecord, load_library
from cql_like.codegen import code_cache
from cql_like.syntax import cache as parse_cache
from cql_like.syntax.cache import ParseCache

NOW = dt.datetime(2026, 11, 23, tzinfo=dt.UTC)
POLICY = """library Policy version '1'
using FHIR version '4.0.1'
include FHIRHelpers version '4.0.1' called FHIRHelpers
context Patient
define "Adult": AgeInYears() >= 18
define "Conditions": [Condition] C where C.clinicalStatus is not null
define "Has Condition": exists "Conditions"
define function "Doubled"(value Integer): value * 2
define "Four": "Doubled"(2)
"""
RECORD = PatientRecord.from_resources([
    {"resourceType": "Patient", "id": "p1", "birthDate": "1990-01-01"},
    {"resourceType": "Condition", "id": "c1", "subject": {"reference": "Patient/p1"},
     "clinicalStatus": {"coding": [{"code": "active"}]}},
])  # fmt: skip
EXPECTED = {"Adult": True, "Has Condition": True, "Four": 4}


@pytest.fixture
def cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv(parse_cache.ENV_VAR, str(tmp_path / "cache"))
    code_cache.forget()
    yield tmp_path / "cache"
    code_cache.forget()  # no code object of this test's directory serves a later test


def _values(folder: Path) -> dict[str, Any]:
    folder.mkdir(exist_ok=True)
    (folder / "Policy.cql").write_text(POLICY)
    library = load_library(folder / "Policy.cql", terminology=LocalTerminology(), parse_cache=ParseCache(None))
    values = library.evaluate(RECORD, now=NOW).values
    return {name: values[name] for name in EXPECTED}


def test_fresh_names_are_renumbered_and_nothing_else_is_renamed() -> None:
    text = "x = _k12 + _v3 + '_k12' + o._k12 + x_k12  # _k12\ny = _k12"
    assert code_cache.canonical(text) == (
        "x = _k0 + _v1 + '_k12' + o._k12 + x_k12  # _k12\ny = _k0",
        {"_k12": "_k0", "_v3": "_v1"},
    )
    # where a consistent renaming might change the meaning, the text is kept whole
    for unsafe in ("f(_k1=2)", "f(a,\n  _k1 = 2)", "f'{_k1}'", "x = '''_k1'''"):
        assert code_cache.canonical(unsafe) == (unsafe, {})
    assert code_cache.canonical("_v1 == _k2")[0] == "_v0 == _k1"  # a comparison is no keyword argument


def test_texts_differing_only_in_fresh_names_share_one_code_object(cache_dir: Path) -> None:
    first: dict[str, Any] = {"_k7": 10}
    second: dict[str, Any] = {"_k9": 20}
    code_cache.run("def _q8(ctx):\n    return _k7 + ctx", "<query over X>", first)
    code_cache.run("def _q3(ctx):\n    return _k9 + ctx", "<query over X>", second)
    assert first["_q8"](1) == 11 and second["_q3"](1) == 21  # each bound to its own values
    assert first["_q8"].__code__ is second["_q3"].__code__
    assert code_cache.evaluate("lambda ctx: _k4 * ctx", {"_k4": 3, "_k5": "unused"})(2) == 6


def test_a_new_process_reads_the_code_from_disk_and_answers_the_same(cache_dir: Path, tmp_path: Path) -> None:
    before = code_cache.counts.compiled
    assert _values(tmp_path / "cold") == EXPECTED
    compiled = code_cache.counts.compiled - before
    assert compiled > 0 and len(list(cache_dir.rglob("*.marshal"))) == compiled
    code_cache.forget()  # as a new process starts
    before, disk = code_cache.counts.compiled, code_cache.counts.disk_hits
    assert _values(tmp_path / "warm") == EXPECTED
    assert code_cache.counts.compiled == before
    assert code_cache.counts.disk_hits - disk == compiled


def test_a_corrupt_or_foreign_entry_is_compiled_again(
    cache_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert _values(tmp_path / "first") == EXPECTED
    entries = sorted(cache_dir.rglob("*.marshal"))
    for entry in entries:
        data = bytearray(entry.read_bytes())
        data[-5] ^= 0xFF  # a flipped byte in the payload: its digest no longer matches
        entry.write_bytes(bytes(data))
    code_cache.forget()
    before = code_cache.counts.compiled
    assert _values(tmp_path / "second") == EXPECTED
    assert code_cache.counts.compiled - before == len(entries)
    assert all(code_cache._read(entry) is not None for entry in entries)  # rewritten whole
    monkeypatch.setattr(code_cache, "FORMAT", b"another engine")
    code_cache.forget()
    before = code_cache.counts.compiled
    assert _values(tmp_path / "third") == EXPECTED
    assert code_cache.counts.compiled - before == len(entries)  # another version's key: nothing read


def test_concurrent_writers_leave_whole_entries_and_no_temporary_files(cache_dir: Path, tmp_path: Path) -> None:
    def load(index: int) -> dict[str, Any]:
        code_cache.forget()
        return _values(tmp_path / f"copy-{index}")

    with ThreadPoolExecutor(4) as pool:
        assert all(values == EXPECTED for values in pool.map(load, range(8)))
    assert not list(cache_dir.rglob(".tmp-*"))
    assert all(code_cache._read(entry) is not None for entry in cache_dir.rglob("*.marshal"))


def test_the_cache_can_be_turned_off(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(parse_cache.ENV_VAR, "off")
    code_cache.forget()
    assert _values(tmp_path / "policy") == EXPECTED
    assert not list(tmp_path.rglob("*.marshal"))
