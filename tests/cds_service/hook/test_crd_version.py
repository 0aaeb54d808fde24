"""CRD versions (dev-1..3): every coverage-information shape validates against the official
StructureDefinition of the version it was asked in (tests/support/crd_profiles.py), a 2.0 answer carries
nothing 2.2-only, approvals state their qualifiers (resp-30), and requestedVersion is honoured over HTTP."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from cds_service.crd import coverage_info as ci
from cds_service.hook.crd_version import SERVED, response_version
from cds_service.hook.errors import BadRequestError, UnprocessableError
from tests.support.app_client import TestClient
from tests.support.crd_profiles import coverage_information_errors, profile
from tests.support.inferno_checks import check_hook_response, coverage_info_values, coverage_information
from tests.support.sample_app import sample_client, sample_index, sample_request

TODAY = date(2026, 11, 23)
EXPIRY = date(2027, 5, 23)
SPEC_FSH = Path("/work/shared/reference/specs/crd-2.2.1/CoverageInformation.fsh")

SHAPES: dict[str, ci.CoverageAssertion] = {
    "approved": ci.assertion_for_approval(
        realtime=True,
        primary=True,
        satisfied_pa_id="PA-1",
        expiry=EXPIRY,
        questionnaire="https://q",
        policy_link="https://policy",
        policy_label="Centene CP.PHAR.549",
        allowed_daily=ci.allowed_daily_dose({"Daily dose (mg/day)": 960, "Tablets per day": 8}),
    ),
    "approvable-submit-pa": ci.assertion_for_approval(
        realtime=False,
        primary=True,
        satisfied_pa_id=None,
        expiry=None,
        questionnaire="https://q",
        policy_link="https://policy",
        policy_label="Centene CP.PHAR.549",
    ),
    "needs-info": ci.assertion_for_needs_info(
        primary=True, questionnaire="https://q", policy_link="https://policy", missing=["KRAS"], policy_label="P"
    ),
    "needs-info-secondary-hook": ci.assertion_for_needs_info(
        primary=False, questionnaire="https://q", policy_link=None, missing=["KRAS"], policy_label="P"
    ),
    "not-met": ci.assertion_for_not_met(
        policy_link="https://policy", failed=["KRAS G12C"], policy_label="P", other_use_policy="CP.PMN.53"
    ),
    "indeterminate-technical": ci.assertion_for_technical_gap(
        primary=True, questionnaire="https://q", policy_link="https://policy", unavailable=["Observation"]
    ),
    "conditional": ci.assertion_for_default("conditional", "conditional"),
    "no-policy-default": ci.assertion_for_default("covered", "no-auth"),
    "no-active-coverage": ci.CoverageAssertion(
        covered="not-covered",
        reasons=(ci.Reason("The Coverage is not in force on the order date.", "no-active-coverage"),),
    ),
    "non-formulary": ci.assertion_for_non_formulary(
        policy_link="https://policy", product="Afinitor Disperz", exception_policy="HIM.PA.103", policy_label="P"
    ),
}


def _json(assertion: ci.CoverageAssertion, version: str) -> dict[str, Any]:
    return ci.extension_json(
        assertion, coverage_reference="Coverage/c1", asserted_on=TODAY, assertion_id="a-1", crd_version=version
    )


@pytest.mark.parametrize("version", SERVED)
@pytest.mark.parametrize("shape", SHAPES)
def test_every_shape_validates_against_its_version(shape: str, version: str) -> None:
    assert coverage_information_errors(_json(SHAPES[shape], version), version) == []


@pytest.mark.parametrize("shape", SHAPES)
def test_a_2_0_answer_has_nothing_2_2_only(shape: str) -> None:
    text = json.dumps(_json(SHAPES[shape], "2.0"))
    for only_in_2_2 in ('"expiry-date"', '"category"', '"valueUrl"', '"indeterminate"', '"technical"'):
        assert only_in_2_2 not in text


def test_the_2_2_shapes_would_fail_crd_2_0_1_as_the_reviewer_found() -> None:
    """The check can fail: what we sent before versions existed breaks 2.0.1 (Inferno's package)."""
    approved = coverage_information_errors(_json(SHAPES["approved"], "2.2"), "2.0")
    assert any("'expiry-date' is not defined" in e for e in approved)
    assert any("'category' is not defined" in e for e in approved)
    assert any("valueUrl is not one of" in e for e in approved)
    technical = coverage_information_errors(_json(SHAPES["indeterminate-technical"], "2.2"), "2.0")
    assert any("code 'indeterminate' is not in" in e for e in technical)


@pytest.mark.parametrize("version", SERVED)
def test_the_validator_rejects_broken_instances(version: str) -> None:
    good = _json(SHAPES["approved"], version)
    no_pa_id = {**good, "extension": [e for e in good["extension"] if e["url"] != "satisfied-pa-id"]}
    assert any(e.startswith("crd-ci-q5 fails") for e in coverage_information_errors(no_pa_id, version))
    bad_code = {**good, "extension": [*good["extension"][:1], {"url": "covered", "valueCode": "maybe"}]}
    errors = coverage_information_errors(bad_code, version)
    assert any("'maybe' is not in" in e for e in errors) and any("date: 0 present" in e for e in errors)
    unknown = {**good, "extension": [*good["extension"], {"url": "colour", "valueString": "red"}]}
    assert any("'colour' is not defined" in e for e in coverage_information_errors(unknown, version))


def test_2_0_technical_gap_is_conditional_with_a_reason() -> None:
    v = coverage_info_values(_json(SHAPES["indeterminate-technical"], "2.0"))
    assert v["covered"] == ["conditional"] and v["pa-needed"] == ["conditional"] and v["info-needed"] == ["OTH"]
    assert "could not be retrieved" in v["reason"][0]["text"] and "coding" not in v["reason"][0]


@pytest.mark.parametrize("version", SERVED)
def test_an_approval_states_the_allowed_daily_dose_and_period(version: str) -> None:
    """resp-30: the qualifiers an approval holds under (allowed-quantity, allowed-period)."""
    details: dict[str, dict[str, Any]] = {}
    for parts in coverage_info_values(_json(SHAPES["approved"], version))["detail"]:
        by_url = {p["url"]: p for p in parts}
        details[by_url["code"]["valueCodeableConcept"]["coding"][0]["code"]] = by_url
    quantity = details["allowed-quantity"]
    assert quantity["value"]["valueQuantity"] == {
        "value": 960,
        "unit": "mg/d",
        "system": "http://unitsofmeasure.org",
        "code": "mg/d",
    }
    assert "8 tablets per day" in quantity["qualification"]["valueString"]
    assert details["allowed-period"]["value"]["valuePeriod"] == {"start": "2026-11-23", "end": "2027-05-23"}


def test_no_dose_no_allowed_quantity() -> None:
    assert ci.allowed_daily_dose({"Daily dose (mg/day)": None}) is None
    assert ci.allowed_daily_dose({}) is None


@pytest.mark.parametrize(
    ("requested", "served"), [(None, "2.2"), ("2.0", "2.0"), ("2.0.1", "2.0"), ("2.2", "2.2"), ("2.2.1", "2.2")]
)
def test_requested_version_picks_the_answer(requested: str | None, served: str) -> None:
    assert response_version(requested) == served


def test_an_unserved_or_ill_typed_version_is_refused() -> None:
    with pytest.raises(UnprocessableError):
        response_version("2.1")
    with pytest.raises(BadRequestError):
        response_version(2.0)


@pytest.mark.skipif(not SPEC_FSH.exists(), reason="the CRD 2.2.1 FSH lives in /work/shared")
def test_the_stored_2_2_definition_has_the_2_2_1_sub_extensions() -> None:
    fsh = SPEC_FSH.read_text()
    block = fsh.split("* extension contains", 1)[1].split("* extension[", 1)[0]
    declared = {m[0]: (int(m[1]), m[2]) for m in re.findall(r"([\w-]+) (\d)\.\.(\d|\*)", block)}
    stored = {
        name: (rule.min, "*" if rule.max is None else str(rule.max))
        for name, rule in profile("2.2").root.children.items()
    }
    assert stored == declared


@pytest.fixture(scope="module")
def samples(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    with sample_client(tmp_path_factory.mktemp("versions")) as client:
        yield client


@pytest.mark.parametrize("version", [None, *SERVED])
@pytest.mark.parametrize("name", [e["name"] for e in sample_index()])
def test_every_sample_answer_validates_in_the_requested_version(
    name: str, version: str | None, samples: TestClient
) -> None:
    request = sample_request(name)
    if version is not None:
        request["extension"] = {**request.get("extension", {}), "davinci-crd.requestedVersion": version}
    response = samples.post("/cds-services/crd-order-sign", json=request)
    assert response.status_code == 200, response.text
    actions = check_hook_response(request["hook"], request, response.json())
    assert actions
    for action in actions:
        for extension in coverage_information(action["resource"]):
            assert coverage_information_errors(extension, version or "2.2") == []
            if version == "2.0":
                assert "expiry-date" not in coverage_info_values(extension)


def test_an_unserved_version_is_a_422_over_http(samples: TestClient) -> None:
    request = sample_request("centene-sotorasib-nsclc-approved")
    request["extension"] = {"davinci-crd.requestedVersion": "2.1"}
    response = samples.post("/cds-services/crd-order-sign", json=request)
    assert response.status_code == 422 and "2.0 or 2.2" in response.text
