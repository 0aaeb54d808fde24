"""LocalTerminology: value sets from expansion or enumerated compose, keyed by url and url|version."""

from __future__ import annotations

import json
from pathlib import Path

from cql_like import LocalTerminology
from cql_like.ops.clinical import in_value_set
from cql_like.runtime.clinical import Code, Concept


def _write(folder: Path, name: str, resource: dict[str, object]) -> None:
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
