"""The on-disk cache of parsed libraries: a warm load answers as a cold one, and a stale entry is never served."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from cql_like import CqlError, LocalTerminology, PatientRecord, load_library
from cql_like.syntax import cache as parse_cache
from cql_like.syntax.cache import ParseCache

NOW = dt.datetime(2026, 11, 23, tzinfo=dt.UTC)
MAIN = """library Main version '1'
using FHIR version '4.0.1'
include FHIRHelpers version '4.0.1' called FHIRHelpers
include Shared version '1' called S
context Patient
define "Adult": AgeInYears() >= {age}
define "Shared Says": S."Has Condition"
"""
SHARED = """library Shared version '1'
using FHIR version '4.0.1'
context Patient
define "Has Condition": exists [Condition]
"""
RECORD = PatientRecord.from_resources([
    {"resourceType": "Patient", "id": "p1", "birthDate": "1990-01-01"},
    {"resourceType": "Condition", "id": "c1", "subject": {"reference": "Patient/p1"}},
])  # fmt: skip


def _write(folder: Path, age: int = 18) -> Path:
    folder.mkdir(exist_ok=True)
    (folder / "Shared.cql").write_text(SHARED)
    main = folder / "Main.cql"
    main.write_text(MAIN.format(age=age))
    return main


def _values(main: Path, cache: ParseCache) -> Mapping[str, object]:
    library = load_library(main, terminology=LocalTerminology(), parse_cache=cache)
    return library.evaluate(RECORD, now=NOW).values


def test_a_warm_load_reads_every_file_from_the_cache_and_answers_the_same(tmp_path: Path) -> None:
    main = _write(tmp_path / "cql")
    cold = ParseCache(tmp_path / "cache")
    assert _values(main, cold) == {"Adult": True, "Shared Says": True}
    assert (cold.hits, cold.misses) == (0, 2)  # Main and the included Shared
    warm = ParseCache(tmp_path / "cache")
    assert _values(main, warm) == {"Adult": True, "Shared Says": True}
    assert (warm.hits, warm.misses) == (1 + 1, 0)


def test_a_changed_file_is_parsed_again_and_its_new_text_decides(tmp_path: Path) -> None:
    main = _write(tmp_path / "cql", age=18)
    _values(main, ParseCache(tmp_path / "cache"))
    main = _write(tmp_path / "cql", age=65)
    changed = ParseCache(tmp_path / "cache")
    assert _values(main, changed)["Adult"] is False  # born 1990: not 65, so the old tree was not served
    assert (changed.hits, changed.misses) == (1, 1)  # Shared unchanged


def test_an_entry_of_another_engine_version_is_not_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    main = _write(tmp_path / "cql")
    _values(main, ParseCache(tmp_path / "cache"))
    monkeypatch.setattr(parse_cache, "engine_fingerprint", lambda: "another engine")
    other = ParseCache(tmp_path / "cache")
    _values(main, other)
    assert (other.hits, other.misses) == (0, 2)


def test_a_corrupt_entry_is_a_miss_and_is_rewritten(tmp_path: Path) -> None:
    main = _write(tmp_path / "cql")
    cache = ParseCache(tmp_path / "cache")
    _values(main, cache)
    entry = cache.entry(main.read_text())
    assert entry is not None and entry.is_file()
    entry.write_bytes(entry.read_bytes()[:20])  # a writer killed mid-entry (rename makes this rare, not impossible)
    again = ParseCache(tmp_path / "cache")
    assert _values(main, again)["Adult"] is True
    assert (again.hits, again.misses) == (1, 1)
    assert ParseCache(tmp_path / "cache").parse(main.read_text(), str(main)).name == "Main"  # rewritten whole


def test_a_syntax_error_is_reported_every_time_and_never_cached(tmp_path: Path) -> None:
    cache = ParseCache(tmp_path / "cache")
    for _ in range(2):
        with pytest.raises(CqlError) as err:
            cache.parse("library Broken version '1'\ndefine \"X\": (1 +", "Broken.cql")
        assert err.value.diagnostics[0].code == "syntax"
    assert not list((tmp_path / "cache").rglob("*.pickle"))


def test_concurrent_writers_leave_whole_entries_and_no_temporary_files(tmp_path: Path) -> None:
    main = _write(tmp_path / "cql")
    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(lambda _: _values(main, ParseCache(tmp_path / "cache")), range(16)))
    assert all(r == {"Adult": True, "Shared Says": True} for r in results)
    assert len(list((tmp_path / "cache").rglob("*.pickle"))) == 2
    assert not list((tmp_path / "cache").rglob(".tmp-*"))


def test_the_directory_comes_from_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(parse_cache.ENV_VAR, str(tmp_path / "shared"))
    main = _write(tmp_path / "cql")
    load_library(main, terminology=LocalTerminology())
    assert len(list((tmp_path / "shared").rglob("*.pickle"))) == 2
    monkeypatch.setenv(parse_cache.ENV_VAR, "off")
    assert ParseCache.from_environment().directory is None
    monkeypatch.delenv(parse_cache.ENV_VAR)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert ParseCache.from_environment().directory == tmp_path / "xdg" / "cql_like"


def test_a_copy_in_another_folder_reads_the_entry_with_its_own_locations(tmp_path: Path) -> None:
    first = _write(tmp_path / "release-1")
    _values(first, ParseCache(tmp_path / "cache"))
    second = _write(tmp_path / "release-2")
    tree = ParseCache(tmp_path / "cache").parse(second.read_text(), str(second))
    assert tree.file == str(second)
    assert {d.loc.file for d in tree.defines} == {str(second)}
    assert [d.loc.line for d in tree.defines] == [6, 7]


def test_the_cache_directory_is_made_owner_only_and_one_others_may_write_is_not_used(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # entries are pickles and code objects that loading runs: another user able to write them could run code as
    # the service
    fresh = tmp_path / "fresh" / "cql_like"
    monkeypatch.setenv(parse_cache.ENV_VAR, str(fresh))
    assert parse_cache.default_directory() == fresh
    assert fresh.stat().st_mode & 0o777 == 0o700
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o777)
    monkeypatch.setenv(parse_cache.ENV_VAR, str(shared))
    assert parse_cache.default_directory() is None
    library = load_library(_write(tmp_path / "cql"), terminology=LocalTerminology())
    assert library.evaluate(RECORD, now=NOW).values["Adult"] is True  # still loads, compiled without the cache
    assert list(shared.iterdir()) == []  # and wrote nothing there
