"""Every drug order is identified or the answer says why not (brief item 1, issue #14 items 1/2), through the app
with the repository's policies: an approvable Lumakras order coded by NDC, by text only, or through a Medication
reference must never get the no-policy default."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

from cds_service.gather.drug_codes import NDC, NdcCrosswalk
from cds_service.gather.order_identity import NOT_CODED, identify_medication
from cds_service.gather.record import GatheredData
from tests.support.app_client import TestClient
from tests.support.inferno_checks import check_hook_response, coverage_info_values, coverage_information

REPO = Path(__file__).resolve().parents[3]
SIGN = "/cds-services/crd-order-sign"
APPROVED = REPO / "sample_bundles" / "centene-sotorasib-nsclc-approved.json"


def _request() -> dict[str, Any]:
    request: dict[str, Any] = json.loads(APPROVED.read_text())
    return request


def _order(request: dict[str, Any]) -> dict[str, Any]:
    order: dict[str, Any] = request["context"]["draftOrders"]["entry"][0]["resource"]
    return order


def _answer(client: TestClient, request: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    response = client.post(SIGN, json=request)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    [action] = check_hook_response("order-sign", request, body)
    return body, coverage_info_values(coverage_information(action["resource"])[0])


def test_an_order_coded_by_ndc_alone_is_decided_by_its_policy(policy_client: TestClient) -> None:
    request = _request()
    _order(request)["medicationCodeableConcept"] = {
        "coding": [{"system": NDC, "code": "55513-512-60", "display": "LUMAKRAS 240 mg tablet"}]
    }
    body, values = _answer(policy_client, request)
    trace = body["cards"][0]["extension"]["coverage-hooks.trace"]
    assert trace["policy"] == "centene-cp-phar-549"
    # read as its RxNorm product (240 mg), the dose criterion is decided too: 3 tablets a day = 720 mg, within 960
    assert {c["id"]: c["status"] for c in trace["criteria"]}["I.A.8"] == "met"
    assert (values["covered"], values["pa-needed"]) == (["covered"], ["satisfied"])
    # the order sent back to the EHR is the EHR's own: no coding added to it
    [action] = body["systemActions"]
    assert action["resource"]["medicationCodeableConcept"] == _order(request)["medicationCodeableConcept"]


def test_a_text_only_order_is_conditional_detail_code_with_a_card(policy_client: TestClient) -> None:
    request = _request()
    _order(request)["medicationCodeableConcept"] = {"text": "Lumakras 320 mg tablet, 3 daily"}
    body, values = _answer(policy_client, request)
    assert values["covered"] == ["conditional"]
    assert values["info-needed"] == ["detail-code"]
    assert "pa-needed" not in values and "satisfied-pa-id" not in values
    [card] = body["cards"]
    assert card["summary"] == "Lumakras 320 mg tablet, 3 daily: coverage cannot be determined: the drug is not coded"
    assert NOT_CODED in card["detail"] and card["indicator"] == "warning"


def test_an_ndc_the_crosswalk_does_not_know_is_conditional(policy_client: TestClient) -> None:
    request = _request()
    _order(request)["medicationCodeableConcept"] = {"coding": [{"system": NDC, "code": "99999-999-99"}]}
    body, values = _answer(policy_client, request)
    assert (values["covered"], values["info-needed"]) == (["conditional"], ["detail-code"])
    assert "99999-999-99" in body["cards"][0]["detail"]


def test_a_medication_reference_is_resolved_from_contained_or_prefetch(policy_client: TestClient) -> None:
    request = _request()
    order = _order(request)
    concept = order.pop("medicationCodeableConcept")
    contained = copy.deepcopy(request)
    _order(contained)["contained"] = [{"resourceType": "Medication", "id": "med", "code": concept}]
    _order(contained)["medicationReference"] = {"reference": "#med"}
    prefetched = copy.deepcopy(request)
    _order(prefetched)["medicationReference"] = {"reference": "Medication/lumakras-320"}
    prefetched["prefetch"]["medicationRequests"]["entry"].append(
        {"resource": {"resourceType": "Medication", "id": "lumakras-320", "code": concept}}
    )
    for variant in (contained, prefetched):
        body, values = _answer(policy_client, variant)
        assert values["pa-needed"] == ["satisfied"], values
        assert body["cards"][0]["extension"]["coverage-hooks.trace"]["decision"] == "approved"


def test_a_medication_that_cannot_be_read_is_indeterminate_technical(policy_client: TestClient) -> None:
    request = _request()  # its fhirServer is not on the test allowlist: the Medication read cannot happen
    order = _order(request)
    del order["medicationCodeableConcept"]
    order["medicationReference"] = {"reference": "Medication/not-sent"}
    body, values = _answer(policy_client, request)
    assert values["covered"] == ["indeterminate"] and values["pa-needed"] == ["indeterminate"]
    [reason] = values["reason"]
    assert reason["coding"][0]["code"] == "technical" and "Medication/not-sent" in reason["text"]
    assert body["cards"][0]["summary"].endswith("coverage cannot be determined now")


def test_identify_maps_ndc_and_keeps_rxnorm_first() -> None:
    crosswalk = NdcCrosswalk.load()
    order = {
        "medicationCodeableConcept": {"coding": [{"system": "urn:oid:2.16.840.1.113883.6.69", "code": "55513-0512-60"}]}
    }
    identity = identify_medication(order, GatheredData(), crosswalk)
    assert identity.identified
    assert identity.codings[0] == ("http://www.nlm.nih.gov/research/umls/rxnorm", "2687207")
    no_code = identify_medication(
        {"medicationCodeableConcept": {"coding": [{"system": "local", "code": "x"}]}}, GatheredData(), crosswalk
    )
    assert (no_code.gap, no_code.reason) == ("uncoded", NOT_CODED)
