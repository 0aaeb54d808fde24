"""Local terminology: FHIR R4 ValueSet JSON files, membership by (system, code).

Members come from `expansion.contains` (recursively) when present, else from the concepts
listed in `compose.include`. A compose `filter` or an included value set needs a terminology
server; such a value set loads with a problem that load_library reports where CQL refers to it.
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .document_cache import parsed


@dataclass(frozen=True, slots=True)
class ValueSet:
    url: str
    version: str | None
    codes: frozenset[tuple[str | None, str]]
    codes_by_value: Mapping[str, frozenset[str | None]]  # code -> systems (for String membership)
    problem: str | None = None

    def contains_key(self, system: str | None, code: str) -> bool:
        return (system, code) in self.codes


def _walk_contains(items: Iterable[Any], out: set[tuple[str | None, str]]) -> None:
    for item in items:
        if not isinstance(item, dict):
            continue
        if item.get("code") is not None and not item.get("abstract", False):
            out.add((item.get("system"), str(item["code"])))
        _walk_contains(item.get("contains", ()) or (), out)


def value_set_from_json(resource: Mapping[str, Any], origin: str = "") -> ValueSet:
    return _value_set(_members(resource), origin)


# what a ValueSet file gives, before its origin names it: url, version, codes, codes by value, problem kind
_Members = tuple[str, Any, frozenset[tuple[str | None, str]], dict[str, frozenset[str | None]], str | None]
_PROBLEMS = {
    "server": "uses a compose filter or an included value set, which needs a terminology server; add an expansion",
    "system": "includes a whole code system, which needs a terminology server; list the concepts",
}


def _members(resource: Mapping[str, Any]) -> _Members:
    url = str(resource.get("url", ""))
    version = resource.get("version")
    codes: set[tuple[str | None, str]] = set()
    problem: str | None = None
    expansion = resource.get("expansion")
    if isinstance(expansion, dict) and expansion.get("contains"):
        _walk_contains(expansion["contains"], codes)
    else:
        for include in (resource.get("compose") or {}).get("include", ()) or ():
            if include.get("filter") or include.get("valueSet"):
                problem = "server"
                continue
            if not include.get("concept"):
                problem = "system"
                continue
            for concept in include.get("concept", ()):
                codes.add((include.get("system"), str(concept["code"])))
    by_value: dict[str, set[str | None]] = {}
    for system, code in codes:
        by_value.setdefault(code, set()).add(system)
    return url, version, frozenset(codes), {k: frozenset(v) for k, v in by_value.items()}, problem


def _value_set(members: _Members, origin: str) -> ValueSet:
    url, version, codes, by_value, problem = members
    message = None if problem is None else f"value set {url} ({origin}) {_PROBLEMS[problem]}"
    return ValueSet(url, version, codes, by_value, message)


def _parse_file(data: bytes) -> _Members | None:
    """The members of a ValueSet file's bytes; None when it holds another resource. Raises ValueError when it is
    not JSON."""
    resource = json.loads(data.decode("utf-8"))
    if isinstance(resource, dict) and resource.get("resourceType") == "ValueSet":
        return _members(resource)
    return None


@functools.cache
def _format() -> bytes:
    """The key prefix of a parsed file: this module's source, which decides what a file's members are."""
    return b"valueset\0" + hashlib.sha256(Path(__file__).read_bytes()).digest()


_UNREAD = object()


class ValueSetReader:
    """Reads ValueSet files, each distinct text parsed once: its members are kept on disk (document_cache.py), and
    a reader gives one ValueSet for every file of a text it has read (policies copied from one template share their
    value-set files; a payer has about a thousand policies of twenty value sets each). A value set with a problem
    names its own file, so it is never shared."""

    def __init__(self) -> None:
        self._by_digest: dict[bytes, ValueSet | None] = {}

    def read_dir(self, directory: Path) -> list[ValueSet]:
        """Every *.json ValueSet under `directory`, in path order (none when it is missing); files that are not
        JSON or hold another resource are skipped."""
        found: list[ValueSet] = []
        if not directory.is_dir():
            return found
        for path in sorted(directory.rglob("*.json")):
            vs = self.read_file(path)
            if vs is not None:
                found.append(vs)
        return found

    def read_file(self, path: Path) -> ValueSet | None:
        try:
            data = path.read_bytes()
        except OSError:
            return None
        digest = hashlib.sha256(data).digest()
        known = self._by_digest.get(digest, _UNREAD)
        if known is not _UNREAD:
            return known  # type: ignore[return-value]
        try:
            members = parsed("valueset", _format() + digest, lambda: _parse_file(data))
        except ValueError:
            members = None
        vs = None if members is None else _value_set(members, str(path))
        if vs is None or vs.problem is None:
            self._by_digest[digest] = vs
        return vs


class LocalTerminology:
    """Value sets keyed by canonical url (and `url|version`)."""

    def __init__(self, value_sets: Iterable[ValueSet] = ()) -> None:
        self._by_url: dict[str, ValueSet] = {}
        for vs in value_sets:
            self.add(vs)

    def add(self, vs: ValueSet) -> None:
        self._by_url[vs.url] = vs
        if vs.version:
            self._by_url[f"{vs.url}|{vs.version}"] = vs

    @classmethod
    def from_dirs(cls, dirs: Iterable[Path]) -> LocalTerminology:
        """Load every *.json ValueSet under the given directories (missing directories are skipped); a later
        directory's value set replaces an earlier one's of the same url."""
        return cls(vs for directory in dirs for vs in cls.read_dir(Path(directory)))

    @staticmethod
    def read_dir(directory: Path) -> list[ValueSet]:
        """Every *.json ValueSet under `directory`, in path order (none when it is missing). A caller loading many
        terminologies reads through one ValueSetReader and builds each with LocalTerminology(...)."""
        return ValueSetReader().read_dir(directory)

    def find(self, url: str, version: str | None = None) -> ValueSet | None:
        if version:
            return self._by_url.get(f"{url}|{version}") or self._by_url.get(url)
        return self._by_url.get(url)

    def urls(self) -> list[str]:
        return sorted({vs.url for vs in self._by_url.values()})
