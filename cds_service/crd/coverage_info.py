"""CRD coverage-information: what the payer asserts about one order, as the ext-coverage-information
extension on an `update` systemAction that echoes the draft order unchanged (CRD resp-37).

The mapping from a policy decision to CRD codes lives in `assertion_for_*`; the JSON shape in
`extension_json`. Invariants crd-ci-q1..q9 hold by construction and are re-checked in the tests.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import jinja2

from cql_like.fhir.references import relative_reference

from ..hook.crd_version import CRD_2_0, NEWEST
from ..hook.request_model import copy_json

COVERAGE_INFO_URL = "http://hl7.org/fhir/us/davinci-crd/StructureDefinition/ext-coverage-information"
REASON_SYSTEM = "http://hl7.org/fhir/us/davinci-crd/CodeSystem/temp"
DETAIL_SYSTEM = "http://terminology.hl7.org/CodeSystem/crd-coverage-detail"
LEGACY_DETAIL_SYSTEM = REASON_SYSTEM  # CRD 2.0.1 kept its detail codes (allowed-quantity ...) in CodeSystem/temp
UCUM = "http://unitsofmeasure.org"
INDETERMINATE = "indeterminate"
CONDITIONAL = "conditional"
# The display_values names (policy.yaml) under which every drug policy reports the ordered daily dose.
DAILY_DOSE_VALUE = "Daily dose (mg/day)"
TABLETS_PER_DAY_VALUE = "Tablets per day"
_REASONS = jinja2.Environment(
    loader=jinja2.FileSystemLoader(str(Path(__file__).resolve().parent / "templates" / "coverage")),
    undefined=jinja2.StrictUndefined,
    autoescape=False,  # plain text inside FHIR JSON
).get_template("reasons.txt.j2")


@dataclass(frozen=True)
class Reason:
    text: str
    code: str | None = None  # from coverageAssertionReasons (e.g. "technical"), else text only


@dataclass(frozen=True)
class AllowedQuantity:
    """resp-30: the quantity an approval holds for, e.g. 960 mg/d, with a note such as the tablets per day."""

    value: int | float
    unit: str  # UCUM, e.g. "mg/d"
    note: str | None = None


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
    allowed_daily: AllowedQuantity | None = None  # approvals only: the qualifier resp-30 asks for


def allowed_daily_dose(values: Mapping[str, Any]) -> AllowedQuantity | None:
    """The approved daily dose from a decision's display values (policy.yaml `display_values`), if computed."""
    dose = values.get(DAILY_DOSE_VALUE)
    if not isinstance(dose, int | float | Decimal) or isinstance(dose, bool) or dose <= 0:
        return None
    tablets = values.get(TABLETS_PER_DAY_VALUE)
    tablets = _number(tablets) if isinstance(tablets, int | float | Decimal) and not isinstance(tablets, bool) else None
    return AllowedQuantity(_number(dose), "mg/d", _text("daily_dose_note", tablets))


def assertion_for_approval(
    *,
    realtime: bool,
    primary: bool,
    satisfied_pa_id: str | None,
    expiry: date | None,
    questionnaire: str | None,
    policy_link: str | None,
    policy_label: str,
    allowed_daily: AllowedQuantity | None = None,
) -> CoverageAssertion:
    """`allowed_daily`: the approved daily dose (allowed_daily_dose), stated on a real-time approval (resp-30)."""
    if realtime:
        return CoverageAssertion(
            covered="covered",
            pa_needed="satisfied",
            satisfied_pa_id=satisfied_pa_id,
            expiry=expiry,
            policy_link=policy_link,
            reasons=(Reason(_text("approved", policy_label)),),
            allowed_daily=allowed_daily,
        )
    return _auth_needed(
        primary=primary,
        questionnaire=questionnaire,
        policy_link=policy_link,
        reason=_text("approvable", policy_label),
    )


def assertion_for_needs_info(
    *,
    primary: bool,
    questionnaire: str | None,
    policy_link: str | None,
    missing: Sequence[str],
    policy_label: str,
) -> CoverageAssertion:
    text = _text("needs_info", policy_label, list(missing))
    return _auth_needed(primary=primary, questionnaire=questionnaire, policy_link=policy_link, reason=text)


def assertion_for_not_met(
    *,
    policy_link: str | None,
    failed: Sequence[str],
    policy_label: str,
    other_use_policy: str | None,
) -> CoverageAssertion:
    text = _text("not_met", policy_label, list(failed), other_use_policy)
    return CoverageAssertion(covered="not-covered", policy_link=policy_link, reasons=(Reason(text),))


def assertion_for_non_formulary(
    *,
    policy_link: str | None,
    product: str,
    exception_policy: str,
    policy_label: str,
) -> CoverageAssertion:
    """The product is off the plan's formulary: not covered under this policy whatever its criteria show."""
    text = _text("non_formulary", policy_label, product, exception_policy)
    return CoverageAssertion(covered="not-covered", policy_link=policy_link, reasons=(Reason(text),))


def assertion_for_technical_gap(
    *,
    primary: bool,
    questionnaire: str | None,
    policy_link: str | None,
    unavailable: Sequence[str],
) -> CoverageAssertion:
    """CRD resp-43: data the decision depends on could not be retrieved; say so instead of guessing."""
    text = _text("technical", list(unavailable))
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
    pa = None if covered == "not-covered" else pa_needed
    if CONDITIONAL in (covered, pa):
        # crd-ci-q3: a conditional answer names what it waits for; OTH needs a reason (crd-ci-q6).
        return CoverageAssertion(
            covered=covered, pa_needed=pa, info_needed=("OTH",), reasons=(Reason(_text("conditional_default")),)
        )
    return CoverageAssertion(covered=covered, pa_needed=pa)


def _text(kind: str, *args: Any) -> str:
    return str(getattr(_REASONS.module, kind)(*args)).strip()


def _number(value: Decimal | int | float) -> int | float:
    """JSON numbers: 960 rather than 960.0 or a Decimal the serializer cannot write."""
    number = float(value)
    return int(number) if number.is_integer() else round(number, 4)


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
    assertion: CoverageAssertion,
    *,
    coverage_reference: str,
    asserted_on: date,
    assertion_id: str,
    crd_version: str = NEWEST,
) -> dict[str, Any]:
    """The ext-coverage-information of `crd_version` (crd_version.SERVED): 2.2 as asserted; 2.0 (package
    2.0.1) without what it does not define: no `indeterminate` (a technical gap becomes `conditional` with
    info-needed OTH), no detail category, no url detail (the policy link stays on the card), no
    `expiry-date` (the approval window travels as the allowed-period detail), reason codes as text."""
    legacy = crd_version == CRD_2_0
    covered, pa_needed, info_needed = assertion.covered, assertion.pa_needed, assertion.info_needed
    if legacy and INDETERMINATE in (covered, pa_needed):
        # 2.0.1 temp#conditional: "decision cannot be made without more information"; crd-ci-q2 (2.0.1) wants
        # pa-needed whenever covered is not not-covered, crd-ci-q3 info-needed whenever something is conditional.
        covered, pa_needed = CONDITIONAL, CONDITIONAL
        info_needed = (*info_needed, "OTH") if "OTH" not in info_needed else info_needed
    parts: list[dict[str, Any]] = [
        {"url": "coverage", "valueReference": {"reference": coverage_reference}},
        {"url": "covered", "valueCode": covered},
    ]
    if pa_needed:
        parts.append({"url": "pa-needed", "valueCode": pa_needed})
    if assertion.doc_needed:
        parts.append({"url": "doc-needed", "valueCode": assertion.doc_needed})
    if assertion.doc_purpose:
        parts.append({"url": "doc-purpose", "valueCode": assertion.doc_purpose})
    for info in info_needed:
        parts.append({"url": "info-needed", "valueCode": info})
    for reason in assertion.reasons:
        concept: dict[str, Any] = {"text": reason.text[:1000]}
        if reason.code and not legacy:  # 2.0.1's code system has none of our reason codes (e.g. technical)
            concept["coding"] = [{"system": REASON_SYSTEM, "code": reason.code}]
        parts.append({"url": "reason", "valueCodeableConcept": concept})
    parts += _details(assertion, asserted_on, legacy)
    if assertion.questionnaire:
        parts.append({"url": "questionnaire", "valueCanonical": assertion.questionnaire})
    parts.append({"url": "date", "valueDate": asserted_on.isoformat()})
    parts.append({"url": "coverage-assertion-id", "valueString": assertion_id})
    if assertion.satisfied_pa_id:
        parts.append({"url": "satisfied-pa-id", "valueString": assertion.satisfied_pa_id})
    if assertion.expiry and not legacy:
        parts.append({"url": "expiry-date", "valueDate": assertion.expiry.isoformat()})
    return {"url": COVERAGE_INFO_URL, "extension": parts}


def _details(assertion: CoverageAssertion, asserted_on: date, legacy: bool) -> list[dict[str, Any]]:
    """resp-30 qualifiers of an approval (daily quantity, period) and the policy link, as `detail`s."""
    details: list[dict[str, Any]] = []
    if assertion.allowed_daily is not None:
        allowed = assertion.allowed_daily
        quantity = {"value": allowed.value, "unit": allowed.unit, "system": UCUM, "code": allowed.unit}
        details.append(_detail("allowed-quantity", "cat-limitation", {"valueQuantity": quantity}, allowed.note, legacy))
    if assertion.expiry is not None:
        period = {"start": asserted_on.isoformat(), "end": assertion.expiry.isoformat()}
        details.append(_detail("allowed-period", "cat-limitation", {"valuePeriod": period}, None, legacy))
    if assertion.policy_link and not legacy:  # 2.0.1 has neither a policy-link code nor a url value
        details.append(_detail("policy-link", "cat-other", {"valueUrl": assertion.policy_link}, None, legacy))
    return details


def _detail(code: str, category: str, value: dict[str, Any], note: str | None, legacy: bool) -> dict[str, Any]:
    system = LEGACY_DETAIL_SYSTEM if legacy else DETAIL_SYSTEM
    parts: list[dict[str, Any]] = [] if legacy else [{"url": "category", "valueCode": category}]
    parts.append({"url": "code", "valueCodeableConcept": {"coding": [{"system": system, "code": code}]}})
    parts.append({"url": "value", **value})
    if note:
        parts.append({"url": "qualification", "valueString": note})
    return {"url": "detail", "extension": parts}


def system_action(order: Mapping[str, Any], extension: Mapping[str, Any], description: str) -> dict[str, Any]:
    """The draft order echoed unchanged except for our coverage-information (CRD resp-37).

    Ours is the coverage-information for the same Coverage (or with the same assertion id): it is replaced where
    it stood. Every other extension, another payer's coverage-information for a secondary Coverage included
    (resp-32), is kept as it was and in its place; with none of ours present the new one is appended.
    """
    resource = dict(copy_json(order))
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
                coverage = relative_reference(reference)  # absolute or relative alike
        elif part.get("url") == "coverage-assertion-id" and isinstance(part.get("valueString"), str):
            assertion_id = part["valueString"]
    return coverage, assertion_id


def _is_ours(existing: Mapping[str, Any], ours: tuple[str | None, str | None]) -> bool:
    coverage, assertion_id = _coverage_key(existing)
    return (coverage is not None and coverage == ours[0]) or (assertion_id is not None and assertion_id == ours[1])


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
