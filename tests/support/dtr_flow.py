"""The DTR calls as an EHR makes them after a CRD needs-info answer, built from the sample hook requests."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from fhir.resources.R4B import get_fhir_model_class

from cds_service.crd.coverage_info import COVERAGE_INFO_URL
from tests.support.app_client import TestClient

REPO = Path(__file__).resolve().parents[2]
SAMPLES = REPO / "sample_bundles"
PACKAGE = "/fhir/Questionnaire/$questionnaire-package"
POPULATE = "/fhir/Questionnaire/$populate"
NEXT = "/fhir/Questionnaire/$next-question"


def sample(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((SAMPLES / f"{name}.json").read_text(encoding="utf-8"))
    return loaded


def record(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((SAMPLES / "records" / f"{name}.json").read_text(encoding="utf-8"))
    return loaded


def order_of(name: str) -> dict[str, Any]:
    order: dict[str, Any] = sample(name)["context"]["draftOrders"]["entry"][0]["resource"]
    return order


def coverage_of(name: str) -> dict[str, Any]:
    return next(e["resource"] for e in record(name)["entry"] if e["resource"]["resourceType"] == "Coverage")


def parts(body: dict[str, Any], name: str) -> list[dict[str, Any]]:
    return [p["resource"] for p in body.get("parameter", []) if p["name"] == name]


def coverage_information(resource: dict[str, Any]) -> dict[str, Any]:
    """The coverage-information parts (url -> value; "reasons" -> texts) of an order or QuestionnaireResponse."""
    found: dict[str, Any] = {"reasons": []}
    for extension in resource.get("extension", []):
        if extension["url"] != COVERAGE_INFO_URL:
            continue
        for part in extension["extension"]:
            value = next((v for k, v in part.items() if k.startswith("value")), None)
            if part["url"] == "reason":
                found["reasons"].append(value["text"] if isinstance(value, dict) else value)
            else:
                found.setdefault(part["url"], value)
    return found


def sign(client: TestClient, name: str) -> dict[str, Any]:
    """CRD order-sign for the sample: the order's coverage-information."""
    answer = client.post("/cds-services/crd-order-sign", json=sample(name))
    assert answer.status_code == 200, answer.text
    return coverage_information(answer.json()["systemActions"][0]["resource"])


def package(client: TestClient, name: str, context: str | None) -> Any:
    parameters: list[dict[str, Any]] = [
        {"name": "coverage", "resource": coverage_of(name)},
        {"name": "order", "resource": order_of(name)},
    ]
    if context is not None:
        parameters.append({"name": "context", "valueString": context})
    return client.post(PACKAGE, json={"resourceType": "Parameters", "parameter": parameters})


def with_record(name: str, response: dict[str, Any], part: str = "questionnaire-response") -> dict[str, Any]:
    return {
        "resourceType": "Parameters",
        "parameter": [
            {"name": part, "resource": response},
            {"name": "order", "resource": order_of(name)},
            {"name": "record", "resource": record(name)},
        ],
    }


def answer(response: dict[str, Any], link_id: str, value: bool, source: str = "manual") -> dict[str, Any]:
    """The response with `link_id` answered as a clinician would (information-origin manual, with its author)."""
    origin: dict[str, Any] = {
        "url": "http://hl7.org/fhir/us/davinci-dtr/StructureDefinition/information-origin",
        "extension": [{"url": "source", "valueCode": source}],
    }
    if source in ("manual", "override"):
        origin["extension"].append(
            {
                "url": "author",
                "extension": [{"url": "practitioner", "valueReference": {"reference": "Practitioner/p1"}}],
            }
        )
    items = [i for i in response.get("item", []) if i["linkId"] != link_id]
    items.append({"linkId": link_id, "answer": [{"valueBoolean": value, "extension": [origin]}]})
    return {**response, "item": items}


def asked(response: dict[str, Any]) -> list[str]:
    return [item["linkId"] for item in response["contained"][0].get("item", [])]


def next_question(client: TestClient, name: str, response: dict[str, Any]) -> dict[str, Any]:
    reply = client.post(NEXT, json=with_record(name, response))
    assert reply.status_code == 200, reply.text
    returned: dict[str, Any] = parts(reply.json(), "return")[0]
    return returned


def valid(resource: dict[str, Any]) -> dict[str, Any]:
    """The resource, after checking it against the FHIR R4B model (fhir.resources ships no R4 models; R4B's
    Questionnaire, QuestionnaireResponse, Library, ValueSet, Bundle and Parameters are R4's for these elements)."""
    get_fhir_model_class(resource["resourceType"]).model_validate(resource)
    return resource


def profiles(resource: dict[str, Any]) -> list[str]:
    return list(resource.get("meta", {}).get("profile", []))


def extensions(resource: dict[str, Any], url: str) -> list[dict[str, Any]]:
    return [e for e in resource.get("extension", []) if e["url"] == url]
