"""Local terminology: FHIR R4 ValueSet JSON files, membership by (system, code).

Members come from `expansion.contains` (recursively) when present, else from the concepts
listed in `compose.include`. A compose `filter` or an included value set needs a terminology
server; such a value set loads with a problem that load_library reports where CQL refers to it.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any


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
                problem = (
                    f"value set {url} ({origin}) uses a compose filter or an included value set, "
                    "which needs a terminology server; add an expansion"
                )
                continue
            if not include.get("concept"):
                problem = (
                    f"value set {url} ({origin}) includes a whole code system, "
                    "which needs a terminology server; list the concepts"
                )
                continue
            for concept in include.get("concept", ()):
                codes.add((include.get("system"), str(concept["code"])))
    by_value: dict[str, set[str | None]] = {}
    for system, code in codes:
        by_value.setdefault(code, set()).add(system)
    return ValueSet(url, version, frozenset(codes), {k: frozenset(v) for k, v in by_value.items()}, problem)


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
        terminologies over one shared directory reads it once and builds each with LocalTerminology(...)."""
        found: list[ValueSet] = []
        if not directory.is_dir():
            return found
        for path in sorted(directory.rglob("*.json")):
            try:
                data = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                continue
            if isinstance(data, dict) and data.get("resourceType") == "ValueSet":
                found.append(value_set_from_json(data, str(path)))
        return found

    def find(self, url: str, version: str | None = None) -> ValueSet | None:
        if version:
            return self._by_url.get(f"{url}|{version}") or self._by_url.get(url)
        return self._by_url.get(url)

    def urls(self) -> list[str]:
        return sorted({vs.url for vs in self._by_url.values()})
