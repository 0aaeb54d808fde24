"""A policy's Libraries (CQL text and build-time ELM, tools/dtr/build_elm.py) and the ValueSets they name.

Read from the policy folders once per policy and kept: the package repeats them on every call.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..policy.registry import Policy, shared_dirs
from .fhir import b64, library_url

_LIBRARY = re.compile(r"^\s*library\s+(\w+)\s+version\s+'([^']+)'", re.MULTILINE)
_INCLUDE = re.compile(r"^\s*include\s+(\w+)\s+version\s+'([^']+)'", re.MULTILINE)
_VALUESET = re.compile(r"^\s*valueset\s+\"[^\"]+\"\s*:\s*'([^']+)'", re.MULTILINE)
ELM_SUFFIX = ".elm.json"
FHIRHELPERS = "FHIRHelpers"
# DTR §oper-15: a value set of fewer codes travels expanded; a larger one as its definition.
EXPAND_BELOW = 40


class LibraryFileError(RuntimeError):
    """A library's CQL or ELM file is missing (run tools/dtr/build_elm.py)."""


@dataclass(frozen=True)
class PolicyLogic:
    main: str  # main library name
    main_version: str
    libraries: tuple[dict[str, Any], ...]  # Library resources, main first
    valuesets: tuple[dict[str, Any], ...]

    @property
    def main_canonical(self) -> str:
        return f"{library_url(self.main)}|{self.main_version}"


def _find(name: str, suffix: str, folders: list[Path]) -> Path:
    for folder in folders:
        candidate = folder / f"{name}{suffix}"
        if candidate.is_file():
            return candidate
    raise LibraryFileError(f"{name}{suffix} not found in {', '.join(str(f) for f in folders)}")


def _library(name: str, version: str, cql: str, elm: str) -> dict[str, Any]:
    depends = [
        {"type": "depends-on", "resource": f"{library_url(included)}|{v}"} for included, v in _INCLUDE.findall(cql)
    ]
    depends += [{"type": "depends-on", "resource": url} for url in dict.fromkeys(_VALUESET.findall(cql))]
    library: dict[str, Any] = {
        "resourceType": "Library",
        "id": name,
        "meta": {"profile": ["http://hl7.org/fhir/uv/cql/StructureDefinition/cql-library"]},
        "url": library_url(name),
        "version": version,
        "name": name,
        "status": "active",
        "type": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/library-type", "code": "logic-library"}]},
        "content": [
            {"contentType": "text/cql", "data": b64(cql)},
            {"contentType": "application/elm+json", "data": b64(elm)},
        ],
    }
    if depends:
        library["relatedArtifact"] = depends
    return library


def _valueset_index(folders: list[Path]) -> dict[str, Path]:
    index: dict[str, Path] = {}
    for folder in folders:
        for path in sorted((folder / "valuesets").glob("*.json")):
            url = json.loads(path.read_text(encoding="utf-8")).get("url")
            if isinstance(url, str):
                index.setdefault(url, path)
    return index


def _as_packaged(valueset: dict[str, Any]) -> dict[str, Any]:
    contains = (valueset.get("expansion") or {}).get("contains") or []
    if len(contains) >= EXPAND_BELOW and valueset.get("compose"):
        return {k: v for k, v in valueset.items() if k != "expansion"}
    return valueset


_LOADED: dict[tuple[str, str], PolicyLogic] = {}


def policy_logic(policy: Policy) -> PolicyLogic:
    key = (policy.id, str(policy.folder))
    if key not in _LOADED:
        _LOADED[key] = _load(policy)
    return _LOADED[key]


def _load(policy: Policy) -> PolicyLogic:
    folders = [policy.folder, *shared_dirs(policy.folder)]
    elm_folders = [folder / "elm" for folder in folders]
    pending = [policy.metadata.library]
    seen: dict[str, dict[str, Any]] = {}
    valueset_urls: list[str] = []
    main_version = ""
    while pending:
        name = pending.pop(0)
        if name in seen:
            continue
        if name == FHIRHELPERS:
            cql = _find(FHIRHELPERS, ".cql.txt", elm_folders).read_text(encoding="utf-8")
        else:
            cql = _find(name, ".cql", folders).read_text(encoding="utf-8")
        declared = _LIBRARY.search(cql)
        version = declared.group(2) if declared else "4.0.1"
        if name == policy.metadata.library:
            main_version = version
        elm = _find(name, ELM_SUFFIX, elm_folders).read_text(encoding="utf-8").strip()
        seen[name] = _library(name, version, cql, elm)
        pending += [included for included, _ in _INCLUDE.findall(cql)]
        valueset_urls += _VALUESET.findall(cql)
    index = _valueset_index(folders)
    valuesets = []
    for url in dict.fromkeys(valueset_urls):
        path = index.get(url)
        if path is not None:
            valuesets.append(_as_packaged(json.loads(path.read_text(encoding="utf-8"))))
    return PolicyLogic(policy.metadata.library, main_version, tuple(seen.values()), tuple(valuesets))
