"""FHIR R4 ValueSet JSON from reviewed code lists: the toolkit both value-set builders share (build time only).

tools/terminology/build_valuesets.py (the shared sotorasib sets) and tools/everolimus/build_valuesets.py
(everolimus) describe each set as a ValueSetSpec and render it with to_resource. What legitimately differs between
them is a parameter: the version string, and whether concepts are sorted by (system, code) or kept in the reviewed
order of the code tables.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

CANONICAL_BASE = "https://coverage-hooks.example.org/fhir/ValueSet/"
EXPANSION_TIMESTAMP = "2026-11-23T00:00:00Z"  # fixed so output is reproducible

# Code system URLs (terminology.md §0)
LOINC = "http://loinc.org"
SNOMED = "http://snomed.info/sct"
ICD10CM = "http://hl7.org/fhir/sid/icd-10-cm"
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
NUCC = "http://nucc.org/provider-taxonomy"
AJCC = "http://cancerstaging.org"
NCIT = "http://ncicb.nci.nih.gov/xml/owl/EVS/Thesaurus.owl"
CPT = "http://www.ama-assn.org/go/cpt"
GR_TBD = "http://hl7.org/fhir/uv/genomics-reporting/CodeSystem/tbd-codes-cs"
GR_TBD_STU1 = "http://hl7.org/fhir/uv/genomics-reporting/CodeSystem/tbd-codes"

Concept = tuple[str, str, str]  # system, code, display
RxNormRow = Mapping[str, object]  # one row of the RxNorm subset file: {"code": ..., "display": ..., ...}
ConceptOrder = Literal["sorted", "first-seen"]


@dataclass(frozen=True)
class ValueSetSpec:
    vs_id: str
    title: str
    description: str
    concepts: Sequence[Concept]


def icd(codes: str) -> list[Concept]:
    """'C34.00 Malignant neoplasm ...|C34.01 ...' -> ICD-10-CM concepts (code, then its display)."""
    out: list[Concept] = []
    for item in codes.strip().split("|"):
        code, _, display = item.strip().partition(" ")
        out.append((ICD10CM, code, display))
    return out


def sct(rows: Iterable[tuple[str, str]]) -> list[Concept]:
    return [(SNOMED, code, display) for code, display in rows]


def rx(code: str, display: str) -> Concept:
    return (RXNORM, code, display)


def rxnorm_named(rows: Iterable[RxNormRow], names: Iterable[str], exclude: Iterable[str] = ()) -> list[Concept]:
    """Subset rows whose display names one of the ingredients (all term types), once each, by numeric RxCUI."""
    names, exclude = tuple(names), tuple(exclude)
    picked: set[Concept] = set()
    for row in rows:
        display = str(row["display"]).lower()
        if any(name in display for name in names) and not any(word in display for word in exclude):
            picked.add(rx(str(row["code"]), str(row["display"])))
    return sorted(picked, key=lambda concept: int(concept[1]))


def rxnorm_codes(rows: Iterable[RxNormRow], codes: Iterable[str]) -> list[Concept]:
    """The subset's display for each listed code (a KeyError names a code the subset lacks)."""
    display_by_code = {str(row["code"]): str(row["display"]) for row in rows}
    return [rx(code, display_by_code[code]) for code in codes]


def unique_concepts(concepts: Iterable[Concept], order: ConceptOrder) -> list[Concept]:
    """One concept per (system, code), the first display listed winning; 'sorted' orders by (system, code)."""
    first: dict[tuple[str, str], Concept] = {}
    for concept in concepts:
        first.setdefault((concept[0], concept[1]), concept)
    unique = list(first.values())
    return sorted(unique, key=lambda c: (c[0], c[1])) if order == "sorted" else unique


def resource_name(vs_id: str) -> str:
    return "".join(part.capitalize() for part in vs_id.split("-"))


def to_resource(spec: ValueSetSpec, *, version: str, order: ConceptOrder) -> dict[str, object]:
    concepts = unique_concepts(spec.concepts, order)
    resource: dict[str, object] = {
        "resourceType": "ValueSet",
        "id": spec.vs_id,
        "url": CANONICAL_BASE + spec.vs_id,
        "version": version,
        "name": resource_name(spec.vs_id),
        "title": spec.title,
        "status": "active",
        "description": spec.description,
    }
    if not concepts:
        # FHIR forbids empty arrays and a compose.include without concepts would mean "the whole code system":
        # an intentionally empty value set is an expansion with total 0 and nothing else.
        resource["expansion"] = {"timestamp": EXPANSION_TIMESTAMP, "total": 0}
        return resource
    by_system: dict[str, list[dict[str, str]]] = {}  # systems in order of first appearance
    for system, code, display in concepts:
        by_system.setdefault(system, []).append({"code": code, "display": display})
    resource["compose"] = {"include": [{"system": s, "concept": c} for s, c in by_system.items()]}
    resource["expansion"] = {
        "timestamp": EXPANSION_TIMESTAMP,
        "total": len(concepts),
        "contains": [{"system": s, "code": c, "display": d} for s, c, d in concepts],
    }
    return resource
