"""Decision -> CRD coverage-information codes, for every outcome and hook kind, invariants re-checked."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from fhir.resources.R4B.extension import Extension

from cds_service.crd import coverage_info as ci
from tests.support.inferno_checks import check_coverage_information, coverage_info_values

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


def _assertion_for(coverage: str, assertion_id: str) -> dict[str, Any]:
    return ci.extension_json(
        ci.assertion_for_default("covered", "no-auth"),
        coverage_reference=coverage,
        asserted_on=TODAY,
        assertion_id=assertion_id,
    )


def test_system_action_replaces_only_our_assertion_in_place_and_keeps_every_other_extension() -> None:
    other = {"url": "http://example.org/other", "valueString": "kept"}
    secondary = _assertion_for("https://other-payer.example/fhir/Coverage/c2", "theirs-1")
    no_coverage = {"url": ci.COVERAGE_INFO_URL, "extension": []}  # cannot be attributed to us: left alone
    order = {
        "resourceType": "MedicationRequest",
        "id": "mr-1",
        "status": "draft",
        "extension": [other, _assertion_for("Coverage/c1", "a-1"), secondary, no_coverage],
    }
    action = ci.system_action(order, _assertion_for("Coverage/c1", "a-2"), "Coverage information")
    assert action["type"] == "update" and action["description"]
    extensions = action["resource"]["extension"]
    assert extensions[0] == other and extensions[2] == secondary and extensions[3] == no_coverage
    assert coverage_info_values(extensions[1])["coverage-assertion-id"] == ["a-2"]
    assert len(extensions) == 4
    assert order["extension"][1] == _assertion_for("Coverage/c1", "a-1")  # the request's order is not mutated


def test_system_action_matches_our_coverage_absolute_or_relative_and_appends_when_absent() -> None:
    order = {
        "resourceType": "MedicationRequest",
        "id": "mr-1",
        "extension": [_assertion_for("https://ehr.example.org/fhir/Coverage/c1", "a-1")],
    }
    [replaced] = ci.system_action(order, _assertion_for("Coverage/c1", "a-2"), "d")["resource"]["extension"]
    assert coverage_info_values(replaced)["coverage-assertion-id"] == ["a-2"]
    bare = {"resourceType": "MedicationRequest", "id": "mr-2"}
    [added] = ci.system_action(bare, _assertion_for("Coverage/c1", "a-3"), "d")["resource"]["extension"]
    assert coverage_info_values(added)["coverage-assertion-id"] == ["a-3"]
    secondary_only = {
        "resourceType": "MedicationRequest",
        "id": "mr-3",
        "extension": [_assertion_for("Coverage/c2", "b")],
    }
    kept, appended = ci.system_action(secondary_only, _assertion_for("Coverage/c1", "a-4"), "d")["resource"][
        "extension"
    ]
    assert coverage_info_values(kept)["coverage-assertion-id"] == ["b"]
    assert coverage_info_values(appended)["coverage-assertion-id"] == ["a-4"]
