"""The synthetic Bulk Data export generator: deterministic, one file per type, realistic mix, real cases inside."""

from __future__ import annotations

import gzip
from collections import Counter
from pathlib import Path

import orjson

from cds_service.policy import PolicyRegistry
from tests.support.population import REPO, make_population
from tools.population.generate import ROUTINE_CARE


def _lines(folder: Path) -> dict[str, list[dict[str, object]]]:
    found: dict[str, list[dict[str, object]]] = {}
    for path in sorted(folder.iterdir()):
        raw = gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
        found[path.name.split(".")[0]] = [orjson.loads(line) for line in raw.splitlines()]
    return found


def test_the_same_seed_gives_the_same_bytes_gzipped_or_not(tmp_path: Path) -> None:
    first = make_population(tmp_path / "a", compress=True, patients=60)
    second = make_population(tmp_path / "b", compress=True, patients=60)
    names = sorted(p.name for p in first.iterdir())
    assert names == sorted(p.name for p in second.iterdir())
    assert all(n.endswith(".ndjson.gz") for n in names)
    assert all((first / n).read_bytes() == (second / n).read_bytes() for n in names)
    plain = make_population(tmp_path / "c", patients=60)
    assert _lines(plain) == _lines(first)


def test_one_file_per_type_with_most_members_never_taking_a_governed_drug(tmp_path: Path) -> None:
    export = _lines(make_population(tmp_path / "pop"))
    assert {"Patient", "Coverage", "Condition", "Observation", "Encounter", "MedicationRequest"} <= set(export)
    assert all(r["resourceType"] == kind for kind, rows in export.items() for r in rows)
    patients = [r["id"] for r in export["Patient"]]
    assert len(patients) == len(set(patients)) == 200
    governed = {(d.system, d.code) for p in PolicyRegistry.load(REPO / "policies") for d in p.metadata.drugs}
    takers = {
        r["subject"]["reference"]  # type: ignore[index]
        for r in export["MedicationRequest"]
        if r["status"] == "active" and any((c["system"], c["code"]) in governed for c in _codings(r))
    }
    assert 10 <= len(takers) <= 60  # 15 % of 200, give or take chance
    per_patient = Counter(
        str(ref["reference"])
        for rows in export.values()
        for r in rows
        for ref in [r.get("subject") or r.get("beneficiary")]
        if isinstance(ref, dict)
    )
    assert min(per_patient.values()) >= 10 and max(per_patient.values()) >= 100  # tens to hundreds each
    assert not {(RXNORM_SYSTEM, drug) for _, _, drug, _ in ROUTINE_CARE} & governed


def _codings(order: dict[str, object]) -> list[dict[str, str]]:
    concept = order.get("medicationCodeableConcept")
    return list(concept.get("coding", [])) if isinstance(concept, dict) else []


RXNORM_SYSTEM = "http://www.nlm.nih.gov/research/umls/rxnorm"
