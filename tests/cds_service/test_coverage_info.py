"""Decision -> CRD coverage-information codes, for every outcome and hook kind, invariants re-checked."""

from __future__ import annotations

from datetime import date

import pytest
from fhir.resources.R4B.extension import Extension

from cds_service import coverage_info as ci
from tests.cds_service.inferno_checks import check_coverage_information, coverage_info_values

TODAY = date(2026, 11, 23)


def _values(assertion: ci.CoverageAssertion, hook: str = "order-sign") -> dict[str, list[object]]:
    extension = ci.extension_json(assertion, coverage_reference="Coverage/c1", asserted_on=TODAY, assertion_id="a-1")
    Extension.model_validate(extension)
    return check_coverage_information(extension, hook=hook)


def test_realtime_approval_is_satisfied_with_pa_number_and_expiry() -> None:
    v = _values(
        ci.assertion_for_approval(
            realtime=True,
            primary=True,
            satisfied_pa_id="PA-1",
            expiry=date(2027, 5, 23),
            questionnaire="https://q",
            policy_link="https://policy",
            policy_label="Centene CP.PHAR.549",
        )
    )
    assert v["covered"] == ["covered"] and v["pa-needed"] == ["satisfied"]
    assert v["satisfied-pa-id"] == ["PA-1"] and v["expiry-date"] == ["2027-05-23"]
    assert "doc-needed" not in v and "questionnaire" not in v


def test_approval_without_realtime_determination_asks_for_the_pa_request() -> None:
    v = _values(
        ci.assertion_for_approval(
            realtime=False,
            primary=True,
            satisfied_pa_id=None,
            expiry=None,
            questionnaire="https://q",
            policy_link=None,
            policy_label="Centene CP.PHAR.549",
        )
    )
    assert v["pa-needed"] == ["auth-needed"] and v["doc-needed"] == ["clinical"]
    assert v["doc-purpose"] == ["withpa"] and v["questionnaire"] == ["https://q"]
    assert "satisfied-pa-id" not in v


@pytest.mark.parametrize("hook", ["order-sign", "order-dispatch"])
def test_needs_info_on_a_primary_hook_requests_clinical_documentation(hook: str) -> None:
    v = _values(
        ci.assertion_for_needs_info(
            primary=True,
            questionnaire="https://q",
            policy_link="https://policy",
            missing=["I.A.2 KRAS G12C mutation"],
            policy_label="Centene CP.PHAR.549",
        ),
        hook,
    )
    assert (v["covered"], v["pa-needed"], v["doc-needed"], v["doc-purpose"]) == (
        ["covered"],
        ["auth-needed"],
        ["clinical"],
        ["withpa"],
    )
    assert "I.A.2 KRAS G12C mutation" in v["reason"][0]["text"]  # type: ignore[index]


@pytest.mark.parametrize("hook", ["order-select", "encounter-start"])
def test_secondary_hooks_never_ask_for_documentation(hook: str) -> None:
    v = _values(
        ci.assertion_for_needs_info(
            primary=False, questionnaire="https://q", policy_link=None, missing=["I.A.2"], policy_label="x"
        ),
        hook,
    )
    assert v["pa-needed"] == ["auth-needed"]
    assert "doc-needed" not in v and "questionnaire" not in v and "doc-purpose" not in v


def test_not_met_is_not_covered_without_pa_needed_and_names_the_failures_and_route() -> None:
    v = _values(
        ci.assertion_for_not_met(
            policy_link=None,
            failed=["I.A.2 KRAS G12C mutation"],
            policy_label="Centene CP.PHAR.549",
            other_use_policy="CP.PMN.53",
        )
    )
    assert v["covered"] == ["not-covered"] and "pa-needed" not in v
    text = v["reason"][0]["text"]  # type: ignore[index]
    assert "I.A.2" in text and "CP.PMN.53" in text


def test_non_formulary_is_not_covered_and_names_the_formulary_exception_policy() -> None:
    v = _values(
        ci.assertion_for_non_formulary(
            policy_link="https://policy",
            product="Afinitor Disperz",
            exception_policy="HIM.PA.103",
            policy_label="Centene CP.PHAR.63",
        )
    )
    assert v["covered"] == ["not-covered"] and "pa-needed" not in v and "doc-needed" not in v
    assert "satisfied-pa-id" not in v and "expiry-date" not in v
    assert v["reason"] == [
        {
            "text": "Not covered under Centene CP.PHAR.63: Afinitor Disperz is non-formulary for this plan: "
            "request a formulary exception under HIM.PA.103."
        }
    ]


def test_technical_gap_is_indeterminate_with_reason_technical() -> None:
    v = _values(
        ci.assertion_for_technical_gap(
            primary=True, questionnaire="https://q", policy_link=None, unavailable=["observations"]
        )
    )
    assert v["covered"] == ["indeterminate"] and v["pa-needed"] == ["indeterminate"]
    assert v["reason"][0]["coding"] == [{"system": ci.REASON_SYSTEM, "code": "technical"}]  # type: ignore[index]


def test_payer_default_and_policy_link_detail() -> None:
    v = _values(ci.assertion_for_default("covered", "no-auth"))
    assert (v["covered"], v["pa-needed"]) == (["covered"], ["no-auth"])
    linked = ci.CoverageAssertion(covered="covered", pa_needed="no-auth", policy_link="https://policy")
    detail = _values(linked)["detail"][0]
    assert {"url": "value", "valueUrl": "https://policy"} in detail  # type: ignore[operator]


def test_system_action_echoes_the_order_and_replaces_an_earlier_assertion() -> None:
    order = {
        "resourceType": "MedicationRequest",
        "id": "mr-1",
        "status": "draft",
        "extension": [
            {"url": "http://example.org/other", "valueString": "kept"},
            {"url": ci.COVERAGE_INFO_URL, "extension": []},
        ],
    }
    extension = ci.extension_json(
        ci.assertion_for_default("covered", "no-auth"),
        coverage_reference="Coverage/c1",
        asserted_on=TODAY,
        assertion_id="a-2",
    )
    action = ci.system_action(order, extension, "Coverage information")
    assert action["type"] == "update" and action["description"]
    assert action["resource"]["extension"][0] == {"url": "http://example.org/other", "valueString": "kept"}
    assert len(action["resource"]["extension"]) == 2
    assert coverage_info_values(action["resource"]["extension"][1])["coverage-assertion-id"] == ["a-2"]
    assert len(order["extension"]) == 2  # the request's resource is not mutated
