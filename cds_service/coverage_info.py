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
    """The draft order echoed unchanged except for our coverage-information (replacing an earlier one)."""
    resource = copy.deepcopy(dict(order))
    existing = resource.get("extension")
    kept = [
        e
        for e in (existing if isinstance(existing, list) else [])
        if not (isinstance(e, dict) and e.get("url") == COVERAGE_INFO_URL)
    ]
    resource["extension"] = [*kept, dict(extension)]
    return {"type": "update", "description": description, "resource": resource}


# ---- answers for orders no policy decision reaches (order identity, coverage in force, line of business)


def assertion_for_uncoded_order(reason: str) -> CoverageAssertion:
    """The drug cannot be told from the order's codes: coverage depends on a more specific code (detail-code,
    crd-ci-q3: info-needed goes with `conditional`). Never the no-policy default: the drug may well have one."""
    return CoverageAssertion(
        covered="conditional",
        info_needed=("detail-code",),
        reasons=(Reason(f"Coverage cannot be determined: {reason}. Re-sign with an RxNorm or NDC drug code."),),
    )


def assertion_for_unreadable_order(reason: str) -> CoverageAssertion:
    """CRD resp-43: what identifies the drug could not be read from the EHR (a technical failure)."""
    return CoverageAssertion(
        covered="indeterminate",
        pa_needed="indeterminate",
        reasons=(Reason(f"Coverage cannot be determined: {reason}.", code="technical"),),
    )


def assertion_for_no_active_coverage(why: str) -> CoverageAssertion:
    """CRD resp-45: the member's Coverage is not in force on the date of the order."""
    return CoverageAssertion(
        covered="not-covered",
        reasons=(Reason(f"No coverage in force for this order: {why}.", code="no-active-coverage"),),
    )


def assertion_for_line_not_covered(reason: str) -> CoverageAssertion:
    """The Coverage's line of business cannot be placed, or the drug's policy does not cover it: which rules
    apply is unknown here (info-needed OTH with the reason, crd-ci-q3 / q6)."""
    return CoverageAssertion(covered="conditional", info_needed=("OTH",), reasons=(Reason(reason),))
