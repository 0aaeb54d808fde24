"""CRD coverage-information: what the payer asserts about one order, as the ext-coverage-information
extension on an `update` systemAction that echoes the draft order unchanged (CRD resp-37).

The mapping from a policy decision to CRD codes lives in `assertion_for_*`; the JSON shape in
`extension_json`. Invariants crd-ci-q1..q9 hold by construction and are re-checked in the tests.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

COVERAGE_INFO_URL = "http://hl7.org/fhir/us/davinci-crd/StructureDefinition/ext-coverage-information"
REASON_SYSTEM = "http://hl7.org/fhir/us/davinci-crd/CodeSystem/temp"
DETAIL_SYSTEM = "http://terminology.hl7.org/CodeSystem/crd-coverage-detail"


@dataclass(frozen=True)
class Reason:
    text: str
    code: str | None = None  # from coverageAssertionReasons (e.g. "technical"), else text only


@dataclass(frozen=True)
class CoverageAssertion:
    """One payer assertion for one order, in CRD codes."""

    covered: str
    pa_needed: str | None = None
    doc_needed: str | None = None
    doc_purpose: str | None = None
    questionnaire: str | None = None
    reasons: tuple[Reason, ...] = ()
    satisfied_pa_id: str | None = None
    expiry: date | None = None
    policy_link: str | None = None
    info_needed: tuple[str, ...] = field(default=())


def assertion_for_approval(
    *,
    realtime: bool,
    primary: bool,
    satisfied_pa_id: str | None,
    expiry: date | None,
    questionnaire: str | None,
    policy_link: str | None,
    policy_label: str,
) -> CoverageAssertion:
    if realtime:
        return CoverageAssertion(
            covered="covered",
            pa_needed="satisfied",
            satisfied_pa_id=satisfied_pa_id,
            expiry=expiry,
            policy_link=policy_link,
            reasons=(Reason(f"Criteria of {policy_label} are met; prior authorization approved."),),
        )
    return _auth_needed(
        primary=primary,
        questionnaire=questionnaire,
        policy_link=policy_link,
        reason=f"Criteria of {policy_label} appear met; submit the prior authorization request.",
    )


def assertion_for_needs_info(
    *,
    primary: bool,
    questionnaire: str | None,
    policy_link: str | None,
    missing: Sequence[str],
    policy_label: str,
) -> CoverageAssertion:
    text = f"Prior authorization under {policy_label} needs: " + "; ".join(missing)
    return _auth_needed(primary=primary, questionnaire=questionnaire, policy_link=policy_link, reason=text)


def assertion_for_not_met(
    *,
    policy_link: str | None,
    failed: Sequence[str],
    policy_label: str,
    other_use_policy: str | None,
) -> CoverageAssertion:
    text = f"Not covered under {policy_label}: criteria not met: " + "; ".join(failed)
    if other_use_policy:
        text += f". Other uses are reviewed under {other_use_policy}."
    return CoverageAssertion(covered="not-covered", policy_link=policy_link, reasons=(Reason(text),))


def assertion_for_non_formulary(
    *,
    policy_link: str | None,
    product: str,
    exception_policy: str,
    policy_label: str,
) -> CoverageAssertion:
    """The product is off the plan's formulary: not covered under this policy whatever its criteria show."""
    text = (
        f"Not covered under {policy_label}: {product} is non-formulary for this plan: "
        f"request a formulary exception under {exception_policy}."
    )
    return CoverageAssertion(covered="not-covered", policy_link=policy_link, reasons=(Reason(text),))


def assertion_for_technical_gap(
    *,
    primary: bool,
    questionnaire: str | None,
    policy_link: str | None,
    unavailable: Sequence[str],
) -> CoverageAssertion:
    """CRD resp-43: data the decision depends on could not be retrieved; say so instead of guessing."""
    text = "Patient data could not be retrieved from the EHR (" + ", ".join(unavailable) + ")"
    return CoverageAssertion(
        covered="indeterminate",
        pa_needed="indeterminate",
        doc_needed="clinical" if primary and questionnaire else None,
        doc_purpose="withpa" if primary and questionnaire else None,
        questionnaire=questionnaire if primary else None,
        policy_link=policy_link,
        reasons=(Reason(text, code="technical"),),
    )


def assertion_for_default(covered: str, pa_needed: str) -> CoverageAssertion:
    return CoverageAssertion(covered=covered, pa_needed=None if covered == "not-covered" else pa_needed)


def _auth_needed(
    *, primary: bool, questionnaire: str | None, policy_link: str | None, reason: str
) -> CoverageAssertion:
    # Secondary hooks (order-select, encounter-start) must not ask for clinical/admin documentation (hook-19).
    return CoverageAssertion(
        covered="covered",
        pa_needed="auth-needed",
        doc_needed="clinical" if primary else None,
        doc_purpose="withpa" if primary else None,
        questionnaire=questionnaire if primary else None,
        policy_link=policy_link,
        reasons=(Reason(reason),),
    )


def extension_json(
    assertion: CoverageAssertion, *, coverage_reference: str, asserted_on: date, assertion_id: str
) -> dict[str, Any]:
    parts: list[dict[str, Any]] = [
        {"url": "coverage", "valueReference": {"reference": coverage_reference}},
        {"url": "covered", "valueCode": assertion.covered},
    ]
    if assertion.pa_needed:
        parts.append({"url": "pa-needed", "valueCode": assertion.pa_needed})
    if assertion.doc_needed:
        parts.append({"url": "doc-needed", "valueCode": assertion.doc_needed})
    if assertion.doc_purpose:
        parts.append({"url": "doc-purpose", "valueCode": assertion.doc_purpose})
    for info in assertion.info_needed:
        parts.append({"url": "info-needed", "valueCode": info})
    for reason in assertion.reasons:
        concept: dict[str, Any] = {"text": reason.text[:1000]}
        if reason.code:
            concept["coding"] = [{"system": REASON_SYSTEM, "code": reason.code}]
        parts.append({"url": "reason", "valueCodeableConcept": concept})
    if assertion.policy_link:
        parts.append(
            {
                "url": "detail",
                "extension": [
                    {"url": "category", "valueCode": "cat-other"},
                    {
                        "url": "code",
                        "valueCodeableConcept": {"coding": [{"system": DETAIL_SYSTEM, "code": "policy-link"}]},
                    },
                    {"url": "value", "valueUrl": assertion.policy_link},
                ],
            }
        )
    if assertion.questionnaire:
        parts.append({"url": "questionnaire", "valueCanonical": assertion.questionnaire})
    parts.append({"url": "date", "valueDate": asserted_on.isoformat()})
    parts.append({"url": "coverage-assertion-id", "valueString": assertion_id})
    if assertion.satisfied_pa_id:
        parts.append({"url": "satisfied-pa-id", "valueString": assertion.satisfied_pa_id})
    if assertion.expiry:
        parts.append({"url": "expiry-date", "valueDate": assertion.expiry.isoformat()})
    return {"url": COVERAGE_INFO_URL, "extension": parts}


def system_action(order: Mapping[str, Any], extension: Mapping[str, Any], description: str) -> dict[str, Any]:
    """The draft order echoed unchanged except for our coverage-information (CRD resp-37).

    Ours is the coverage-information for the same Coverage (or with the same assertion id): it is replaced where
    it stood. Every other extension, another payer's coverage-information for a secondary Coverage included
    (resp-32), is kept as it was and in its place; with none of ours present the new one is appended.
    """
    resource = copy.deepcopy(dict(order))
    existing = resource.get("extension")
    ours = _coverage_key(extension)
    replaced = False
    extensions: list[Any] = []
    for item in existing if isinstance(existing, list) else []:
        if isinstance(item, dict) and item.get("url") == COVERAGE_INFO_URL and _is_ours(item, ours):
            if not replaced:
                extensions.append(dict(extension))
                replaced = True
            continue
        extensions.append(item)
    if not replaced:
        extensions.append(dict(extension))
    resource["extension"] = extensions
    return {"type": "update", "description": description, "resource": resource}


def _coverage_key(extension: Mapping[str, Any]) -> tuple[str | None, str | None]:
    """(Coverage as Type/id, coverage-assertion-id) of one coverage-information extension."""
    coverage: str | None = None
    assertion_id: str | None = None
    parts = extension.get("extension")
    for part in parts if isinstance(parts, list) else []:
        if not isinstance(part, dict):
            continue
        if part.get("url") == "coverage":
            reference = (part.get("valueReference") or {}).get("reference")
            if isinstance(reference, str) and reference:
                coverage = "/".join(reference.rstrip("/").split("/")[-2:])  # absolute or relative alike
        elif part.get("url") == "coverage-assertion-id" and isinstance(part.get("valueString"), str):
            assertion_id = part["valueString"]
    return coverage, assertion_id


def _is_ours(existing: Mapping[str, Any], ours: tuple[str | None, str | None]) -> bool:
    coverage, assertion_id = _coverage_key(existing)
    return (coverage is not None and coverage == ours[0]) or (assertion_id is not None and assertion_id == ours[1])
