"""The compiled-library cache: a library loaded from its entry answers exactly as a fresh compile, a later process
loads without compiling, anything the compiled form depends on is part of the key, a damaged entry is compiled
again and rewritten, included libraries stay one shared object, and a broken library is still reported."""

from __future__ import annotations

import datetime as dt
import gc
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from cds_service.policy.cases import case_resources, load_cases
from cds_service.policy.registry import SharedLoads, load_policy
from cql_like import CqlError, Library, LibraryPool, LocalTerminology, PatientRecord, load_library
from cql_like import compiled_cache as cc
from cql_like.codegen import code_cache
from cql_like.compile.host import Backend
from cql_like.compile.stages import CompiledFunction, CompiledLibrary
from cql_like.syntax import cache as parse_cache
from tests.cql_like.helpers import SHARED_LIBRARY

REPO = Path(__file__).resolve().parents[2]
POLICIES = [REPO / "policies/centene/CP.PHAR.549", REPO / "policies/centene/CP.PHAR.63",
            REPO / "policies/fep-blue/5.21.177"]  # fmt: skip
NOW = dt.datetime(2026, 11, 23, tzinfo=dt.UTC)
SHARED = SHARED_LIBRARY + 'define function "Twice"(value Integer): value * 2\n'
MAIN = """library {name} version '1'
using FHIR version '4.0.1'
include Shared version '1' called S
valueset "Drugs": 'https://example.org/ValueSet/drugs'
context Patient
define "Ordered": S."Ordered"
define "Ordered Here": exists ([MedicationRequest] M where M.medication in "Drugs")
define "Four": S."Twice"(2)
"""
RECORD = PatientRecord.from_resources([
    {"resourceType": "Patient", "id": "p1"},
    {"resourceType": "MedicationRequest", "id": "m1", "subject": {"reference": "Patient/p1"},
     "medicationCodeableConcept": {"coding": [{"system": "http://rx", "code": "111"}]}},
])  # fmt: skip


@pytest.fixture
def cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A cache directory of this test's own (parsed trees and code objects too): no other test's entries."""
    monkeypatch.setenv(parse_cache.ENV_VAR, str(tmp_path / "cache"))
    code_cache.forget()
    yield tmp_path / "cache"
    code_cache.forget()


class Tree:
    """A shared library, its value set and policies including it, written into a folder."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.shared = root / "shared"
        self.shared.mkdir(parents=True)
        (self.shared / "Shared.cql").write_text(SHARED)
        self.valuesets = root / "vs"
        self.value_set("111")

    def value_set(self, code: str) -> None:
        self.valuesets.mkdir(exist_ok=True)
        (self.valuesets / "drugs.json").write_text(json.dumps({
            "resourceType": "ValueSet", "url": "https://example.org/ValueSet/drugs", "status": "active",
            "expansion": {"contains": [{"system": "http://rx", "code": code}]},
        }))  # fmt: skip

    def policy(self, name: str, text: str | None = None) -> Path:
        folder = self.root / name
        folder.mkdir(exist_ok=True)
        (folder / f"{name}.cql").write_text(text if text is not None else MAIN.format(name=name))
        return folder / f"{name}.cql"

    def load(self, main: Path, pool: LibraryPool, backend: Backend = "generated") -> Library:
        terminology = LocalTerminology.from_dirs([self.valuesets])
        return load_library(main, terminology=terminology, library_paths=[self.shared], pool=pool, backend=backend)


def _values(library: Library) -> dict[str, Any]:
    return dict(library.evaluate(RECORD, now=NOW).values)


def _pool(directory: Path | None) -> LibraryPool:
    return LibraryPool(cc.LibraryCache(directory))


@pytest.mark.parametrize("backend", ["generated", "closures"])
def test_a_later_pool_loads_every_library_from_its_entry_and_answers_alike(
    cache_dir: Path, tmp_path: Path, backend: Backend
) -> None:
    tree = Tree(tmp_path / "tree")
    main = tree.policy("PolicyA")
    cold = _pool(cache_dir)
    fresh = _values(tree.load(main, cold, backend))
    assert fresh == {"Ordered": True, "Ordered Here": True, "Four": 4}
    assert (cold.cache.counts.hits, cold.cache.counts.stored) == (0, 2)
    warm = _pool(cache_dir)
    library = tree.load(main, warm, backend)
    assert library.backend == backend
    assert (warm.cache.counts.hits, warm.cache.counts.misses) == (2, 0)
    assert _values(library) == fresh


def test_a_loaded_library_is_in_the_collectors_oldest_generation_and_the_collector_runs(
    cache_dir: Path, tmp_path: Path
) -> None:
    gc.unfreeze()  # another test's app froze its heap: a frozen process keeps loaded objects young (never thawed)
    tree = Tree(tmp_path / "tree")
    main = tree.policy("PolicyA")
    tree.load(main, _pool(cache_dir))
    gc.collect()
    library = tree.load(main, _pool(cache_dir))
    assert gc.isenabled()
    oldest = {id(obj) for obj in gc.get_objects(generation=2)}
    assert id(library._compiled) in oldest  # young collections never traverse it
    assert _values(library) == {"Ordered": True, "Ordered Here": True, "Four": 4}


def test_included_libraries_stay_one_object_across_policies_loaded_from_the_cache(
    cache_dir: Path, tmp_path: Path
) -> None:
    tree = Tree(tmp_path / "tree")
    mains = [tree.policy("PolicyA"), tree.policy("PolicyB")]
    cold = _pool(cache_dir)
    for main in mains:
        tree.load(main, cold)
    warm = _pool(cache_dir)
    first, second = (tree.load(main, warm) for main in mains)
    assert warm.cache.counts.misses == 0
    shared = first._compiled.includes["S"]
    assert second._compiled.includes["S"] is shared
    # nothing a policy holds is a copy of the shared library or of one of its functions
    for library in (first, second):
        reachable = _reachable(library._compiled)
        assert [lib for lib in reachable if isinstance(lib, CompiledLibrary) and lib.name == "Shared"] == [shared]
        functions = [f for f in reachable if isinstance(f, CompiledFunction) and f.name == "Twice"]
        assert functions == shared.functions["Twice"]
    assert _values(first) == _values(second) == {"Ordered": True, "Ordered Here": True, "Four": 4}


def _reachable(root: object) -> list[object]:
    """Every object reachable from `root` through references (modules and classes not entered)."""
    seen: dict[int, object] = {}
    stack = [root]
    while stack:
        obj = stack.pop()
        if id(obj) in seen or isinstance(obj, type | type(sys)):
            continue
        seen[id(obj)] = obj
        stack.extend(gc.get_referents(obj))
    return list(seen.values())


def test_a_changed_text_value_set_or_engine_is_a_miss(
    cache_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    tree = Tree(tmp_path / "tree")
    main = tree.policy("PolicyA")
    assert _values(tree.load(main, _pool(cache_dir)))["Ordered"] is True
    # the main library's text: it alone is compiled again
    tree.policy("PolicyA", MAIN.format(name="PolicyA").replace('"Four": S."Twice"(2)', '"Four": S."Twice"(3)'))
    pool = _pool(cache_dir)
    assert _values(tree.load(main, pool))["Four"] == 6
    assert (pool.cache.counts.hits, pool.cache.counts.misses) == (1, 1)
    # a value set's content: every library declaring it is compiled against the new content
    tree.value_set("222")
    pool = _pool(cache_dir)
    assert _values(tree.load(main, pool)) == {"Ordered": False, "Ordered Here": False, "Four": 6}
    assert (pool.cache.counts.hits, pool.cache.counts.misses) == (0, 2)
    # the engine: nothing is read
    monkeypatch.setattr(cc, "engine_fingerprint", lambda: "another engine")
    pool = _pool(cache_dir)
    assert _values(tree.load(main, pool))["Ordered"] is False
    assert (pool.cache.counts.hits, pool.cache.counts.misses) == (0, 2)


def test_the_engine_fingerprint_covers_the_engine_files() -> None:
    fingerprint = cc.engine_fingerprint()
    assert len(fingerprint) == 64 and fingerprint == cc.engine_fingerprint()
    cc.engine_fingerprint.cache_clear()
    assert cc.engine_fingerprint() == fingerprint  # computed from the files, not from the process


def test_a_corrupt_or_truncated_entry_is_a_miss_and_is_rewritten(cache_dir: Path, tmp_path: Path) -> None:
    tree = Tree(tmp_path / "tree")
    main = tree.policy("PolicyA")
    expected = _values(tree.load(main, _pool(cache_dir)))
    entries = sorted((cache_dir / cc.KIND).glob("*.pickle"))
    assert len(entries) == 2
    intact = {entry: entry.read_bytes() for entry in entries}
    entries[0].write_bytes(intact[entries[0]][:100])  # truncated
    damaged = bytearray(intact[entries[1]])
    damaged[-10] ^= 0xFF  # one flipped bit behind an intact length
    entries[1].write_bytes(bytes(damaged))
    pool = _pool(cache_dir)
    assert _values(tree.load(main, pool)) == expected
    assert pool.cache.counts.hits == 0 and pool.cache.counts.stored == 2
    pool = _pool(cache_dir)
    assert _values(tree.load(main, pool)) == expected
    assert (pool.cache.counts.hits, pool.cache.counts.misses) == (2, 0)


def test_a_broken_library_is_reported_with_a_warm_cache(cache_dir: Path, tmp_path: Path) -> None:
    tree = Tree(tmp_path / "tree")
    main = tree.policy("PolicyA")
    tree.load(main, _pool(cache_dir))
    tree.policy("PolicyA", MAIN.format(name="PolicyA") + 'define "Broken": "No Such Define"\n')
    with pytest.raises(CqlError, match="No Such Define"):
        tree.load(main, _pool(cache_dir))
    # a broken include under an unchanged main library: its dependencies are known, the include is compiled
    tree.policy("PolicyA")
    (tree.shared / "Shared.cql").write_text(SHARED + 'define "Broken": "Nope"\n')
    with pytest.raises(CqlError) as raised:
        tree.load(main, _pool(cache_dir))
    assert [d.loc.file for d in raised.value.diagnostics] == [str(tree.shared / "Shared.cql")]
    assert not list((cache_dir / cc.KIND).glob("*.tmp*"))


def test_a_second_process_loads_without_compiling(cache_dir: Path, tmp_path: Path) -> None:
    tree = Tree(tmp_path / "tree")
    main = tree.policy("PolicyA")
    expected = _values(tree.load(main, _pool(cache_dir)))
    script = f"""
import datetime as dt, json, sys
from pathlib import Path
sys.path.insert(0, {str(REPO)!r})
from cql_like import LibraryPool, LocalTerminology, PatientRecord, load_library
from cql_like.codegen import code_cache
from cql_like.syntax.cache import ParseCache
pool, parses = LibraryPool(), ParseCache.from_environment()
library = load_library(Path({str(main)!r}), terminology=LocalTerminology.from_dirs([Path({str(tree.valuesets)!r})]),
                       library_paths=[Path({str(tree.shared)!r})], pool=pool, parse_cache=parses)
record = PatientRecord.from_resources({json.dumps(_resources())})
values = library.evaluate(record, now=dt.datetime(2026, 11, 23, tzinfo=dt.UTC)).values
counts = pool.cache.counts
print(json.dumps({{"values": dict(values), "hits": counts.hits, "misses": counts.misses,
                  "compiled": code_cache.counts.compiled, "parsed": parses.misses, "parse_hits": parses.hits}}))
"""
    env = {**os.environ, parse_cache.ENV_VAR: str(cache_dir)}
    done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True)
    report = json.loads(done.stdout)
    assert report["values"] == expected
    assert (report["hits"], report["misses"], report["compiled"], report["parsed"]) == (2, 0, 0, 0)
    assert report["parse_hits"] == 1  # the included file, for its pool key; the main library is not parsed


def _resources() -> list[dict[str, Any]]:
    return [
        {"resourceType": "Patient", "id": "p1"},
        {"resourceType": "MedicationRequest", "id": "m1", "subject": {"reference": "Patient/p1"},
         "medicationCodeableConcept": {"coding": [{"system": "http://rx", "code": "111"}]}},
    ]  # fmt: skip


@pytest.mark.parametrize("folder", POLICIES, ids=[p.name for p in POLICIES])
def test_every_policy_case_answers_alike_from_the_cache(cache_dir: Path, folder: Path) -> None:
    """Values and evidence of every define, loaded from the entries against a fresh compile (no cache)."""
    load_policy(folder, SharedLoads())  # fills the cache
    warm = SharedLoads()
    cached = load_policy(folder, warm)
    assert warm.pool.cache.counts.misses == 0 and warm.pool.cache.counts.hits > 0
    fresh_loads = SharedLoads()
    fresh_loads.pool = _pool(None)
    fresh = load_policy(folder, fresh_loads)
    cases = load_cases(cached)
    assert cases
    for case in cases:
        resources = case_resources(case)
        now = dt.datetime(case.now.year, case.now.month, case.now.day, 12, tzinfo=dt.UTC)
        parameters: dict[str, Any] = {"OrderId": case.order_id or "x"}
        if "Medication History Available" in cached.library.parameter_names:
            parameters["Medication History Available"] = True
        ours = cached.library.evaluate(PatientRecord.from_resources(resources), now=now, parameters=parameters)
        theirs = fresh.library.evaluate(PatientRecord.from_resources(resources), now=now, parameters=parameters)
        assert repr(ours.values) == repr(theirs.values), case.test_id
        assert ours.evidence == theirs.evidence, case.test_id
