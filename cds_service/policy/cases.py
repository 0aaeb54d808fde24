"""A policy's own test cases (tests/cases.yaml beside the policy): load, run, compare with expectations."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import yaml

from cql_like import PatientRecord

from ..gather.drug_codes import default_crosswalk
from ..gather.order_identity import identify_medication
from ..gather.record import GatheredData
from .decision import OrderDecision
from .evaluate import evaluate_order
from .registry import Policy

CASES_FILE = Path("tests") / "cases.yaml"


@dataclass(frozen=True)
class PolicyCase:
    policy: Policy
    note: str
    data_files: tuple[Path, ...]
    order_id: str
    now: date
    line_of_business: str
    expect: dict[str, Any]
    source: Path
    # A case's record is the patient's whole medication history unless it says otherwise
    # (`medication_history_available: false`: the EHR could not give it, so exclusions cannot be met).
    medication_history_available: bool = True

    @property
    def test_id(self) -> str:
        return f"{self.policy.id}/{self.note}"


@dataclass
class CaseOutcome:
    case: PolicyCase
    decision: OrderDecision
    mismatches: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not self.mismatches


def load_cases(policy: Policy) -> list[PolicyCase]:
    source = policy.folder / CASES_FILE
    if not source.is_file():
        return []
    raw = yaml.safe_load(source.read_text(encoding="utf-8")) or {}
    cases = []
    for index, entry in enumerate(raw.get("cases", [])):
        where = f"{source}: case #{index + 1}"
        try:
            data = entry["data"]
            data_files = tuple(source.parent / name for name in ([data] if isinstance(data, str) else data))
            cases.append(
                PolicyCase(
                    policy=policy,
                    note=str(entry["note"]),
                    data_files=data_files,
                    order_id=str(entry["order"]),
                    now=date.fromisoformat(str(entry.get("now", "2026-11-23"))),
                    line_of_business=str(entry.get("line_of_business", policy.metadata.lines_of_business[0])),
                    expect=dict(entry.get("expect") or {}),
                    source=source,
                    medication_history_available=_flag(entry, "medication_history_available", default=True),
                )
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"{where}: malformed case ({exc})") from exc
    return cases


def _flag(entry: dict[str, Any], key: str, *, default: bool) -> bool:
    value = entry.get(key, default)
    if not isinstance(value, bool):
        raise TypeError(f"{key} must be true or false, not {value!r}")
    return value


def case_resources(case: PolicyCase) -> list[dict[str, Any]]:
    """Every resource of the case's data files (Bundles of any type, single resources, or NDJSON)."""
    resources: list[dict[str, Any]] = []
    for path in case.data_files:
        resources.extend(read_resources(path))
    return resources


def read_resources(path: Path) -> Iterator[dict[str, Any]]:
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".ndjson":
        for line in text.splitlines():
            if line.strip():
                yield json.loads(line)
        return
    document = json.loads(text)
    if document.get("resourceType") == "Bundle":
        for entry in document.get("entry", []):
            resource = entry.get("resource")
            if isinstance(resource, dict):
                yield resource
    else:
        yield document


def decide_case(case: PolicyCase, resources: list[dict[str, Any]]) -> OrderDecision:
    """The case's order decided over `resources` (its own record, or a mutation of it in property tests)."""
    order = _order(case, resources)
    now = datetime(case.now.year, case.now.month, case.now.day, 12, tzinfo=UTC)
    return evaluate_order(
        case.policy,
        PatientRecord.from_resources(resources),
        case.order_id,
        now=now,
        line_of_business=case.line_of_business,
        order_resource=order,
        ordered_codings=_ordered_codings(order, resources),
        medication_history_available=case.medication_history_available,
    )


def _order(case: PolicyCase, resources: list[dict[str, Any]]) -> dict[str, Any] | None:
    return next(
        (r for r in resources if r.get("resourceType") == "MedicationRequest" and r.get("id") == case.order_id),
        None,
    )


def run_case(case: PolicyCase) -> CaseOutcome:
    resources = case_resources(case)
    order = _order(case, resources)
    decision = decide_case(case, resources)
    outcome = CaseOutcome(case=case, decision=decision)
    if order is None:
        outcome.mismatches.append(f"no MedicationRequest/{case.order_id} in the case data")
    expect = case.expect
    if "decision" in expect and decision.decision != expect["decision"]:
        outcome.mismatches.append(f"decision: expected {expect['decision']}, got {decision.decision}")
    if "path" in expect and decision.path.id != expect["path"]:
        outcome.mismatches.append(f"path: expected {expect['path']}, got {decision.path.id}")
    statuses = {c.id: c.status for p in decision.paths for c in p.criteria}
    for criterion_id, wanted in (expect.get("criteria") or {}).items():
        got = statuses.get(str(criterion_id))
        if got is None:
            outcome.mismatches.append(f"criterion {criterion_id}: not declared by the policy")
        elif got != wanted:
            outcome.mismatches.append(f"criterion {criterion_id}: expected {wanted}, got {got}")
    if "expiry" in expect:
        got_expiry = decision.expiry.isoformat() if decision.expiry else None
        if got_expiry != (str(expect["expiry"]) if expect["expiry"] else None):
            outcome.mismatches.append(f"expiry: expected {expect['expiry']}, got {got_expiry}")
    for key, actual in (
        ("other_use_policy", decision.other_use_policy),
        ("formulary_exception_policy", decision.formulary_exception_policy),
    ):
        if key in expect and actual != expect[key]:
            outcome.mismatches.append(f"{key}: expected {expect[key]}, got {actual}")
    return outcome


def _ordered_codings(order: dict[str, Any] | None, resources: list[dict[str, Any]]) -> list[tuple[str, str]]:
    """The ordered drug's codings read as the service reads them (a medicationReference resolved too)."""
    if order is None:
        return []
    data = GatheredData()
    for resource in resources:
        data.add(resource)
    return list(identify_medication(order, data, default_crosswalk()).codings)


def describe(outcome: CaseOutcome) -> str:
    """A readable trace of every criterion, for failing-case reports."""
    lines = [f"{outcome.case.test_id}: {outcome.decision.decision} via {outcome.decision.path.id}"]
    for path in outcome.decision.paths:
        lines.append(f"  {path.id} {path.title}: {path.status}")
        for criterion in path.criteria:
            evidence = ", ".join(criterion.evidence)
            lines.append(f"    {criterion.id:<10} {criterion.status:<8} {evidence}")
    lines.extend(f"  MISMATCH {m}" for m in outcome.mismatches)
    return "\n".join(lines)
