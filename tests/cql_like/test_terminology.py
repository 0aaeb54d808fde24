"""LocalTerminology: value sets from expansion or enumerated compose, keyed by url and url|version."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from cql_like import LocalTerminology, terminology
from cql_like.ops.clinical import in_value_set
from cql_like.runtime.clinical import Code, Concept
from cql_like.syntax import cache as syntax_cache
from cql_like.terminology import ValueSetReader


def _write(folder: Path, name: str, resource: dict[str, Any]) -> None:
    (folder / name).write_text(json.dumps(resource), encoding="utf-8")


def test_expansion_compose_and_versions(tmp_path: Path) -> None:
    _write(tmp_path, "a.json", {"resourceType": "ValueSet", "url": "u:a", "version": "2", "expansion": {"contains": [
        {"system": "s", "code": "1", "contains": [{"system": "s", "code": "2"}]},
        {"system": "s", "code": "group", "abstract": True}]}})  # fmt: skip
    _write(tmp_path, "b.json", {"resourceType": "ValueSet", "url": "u:b", "compose": {"include": [
        {"system": "t", "concept": [{"code": "x"}, {"code": "y"}]}]}})  # fmt: skip
    _write(tmp_path, "not-a-vs.json", {"resourceType": "CodeSystem", "url": "u:c"})
    (tmp_path / "broken.json").write_text("{", encoding="utf-8")
    terminology = LocalTerminology.from_dirs([tmp_path, tmp_path / "missing"])
    a = terminology.find("u:a")
    assert a is not None and a.codes == frozenset({("s", "1"), ("s", "2")})
    assert terminology.find("u:a", "2") is a
    b = terminology.find("u:b")
    assert b is not None and b.codes == frozenset({("t", "x"), ("t", "y")})
    assert terminology.find("u:c") is None
    assert terminology.urls() == ["u:a", "u:b"]


def test_membership_by_system_and_code(tmp_path: Path) -> None:
    _write(tmp_path, "a.json", {"resourceType": "ValueSet", "url": "u:a", "expansion": {"contains": [
        {"system": "s", "code": "1"}]}})  # fmt: skip
    vs = LocalTerminology.from_dirs([tmp_path]).find("u:a")
    assert vs is not None
    assert in_value_set(Code("1", "s"), vs) is True
    assert in_value_set(Code("1", "other-system"), vs) is False
    assert in_value_set(Concept((Code("9", "s"), Code("1", "s"))), vs) is True
    assert in_value_set("1", vs) is True
    assert in_value_set(None, vs) is False
    assert in_value_set([Code("9", "s")], vs) is False


def test_a_reader_parses_each_text_once_and_a_changed_file_is_read_anew(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(syntax_cache.ENV_VAR, str(tmp_path / "cache"))
    resource: dict[str, Any] = {"resourceType": "ValueSet", "url": "u:a", "compose": {"include": [
        {"system": "s", "concept": [{"code": "1"}]}]}}  # fmt: skip
    for folder in ("one", "two"):
        (tmp_path / folder).mkdir()
        _write(tmp_path / folder, "a.json", resource)
    parses: list[object] = []
    real = terminology._members

    def counted(resource: Any) -> Any:
        parses.append(resource)
        return real(resource)

    monkeypatch.setattr(terminology, "_members", counted)
    reader = ValueSetReader()
    [one], [two] = reader.read_dir(tmp_path / "one"), reader.read_dir(tmp_path / "two")
    assert one is two and one.codes == frozenset({("s", "1")}) and len(parses) == 1
    [again] = ValueSetReader().read_dir(tmp_path / "one")  # another process: from the cache on disk
    assert again == one and len(parses) == 1
    resource["compose"]["include"][0]["concept"] = [{"code": "2"}]
    _write(tmp_path / "two", "a.json", resource)
    [changed] = ValueSetReader().read_dir(tmp_path / "two")
    assert changed.codes == frozenset({("s", "2")}) and changed.codes_by_value == {"2": frozenset({"s"})}


def test_a_value_set_with_a_problem_names_its_own_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(syntax_cache.ENV_VAR, str(tmp_path / "cache"))
    resource: dict[str, Any] = {"resourceType": "ValueSet", "url": "u:f", "compose": {"include": [
        {"system": "s", "filter": [{"property": "concept", "op": "is-a", "value": "1"}]}]}}  # fmt: skip
    for folder in ("one", "two"):
        (tmp_path / folder).mkdir()
        _write(tmp_path / folder, "f.json", resource)
    reader = ValueSetReader()
    [one], [two] = reader.read_dir(tmp_path / "one"), reader.read_dir(tmp_path / "two")
    assert one.problem is not None and str(tmp_path / "one" / "f.json") in one.problem
    assert two.problem is not None and str(tmp_path / "two" / "f.json") in two.problem
    assert "needs a terminology server" in two.problem
