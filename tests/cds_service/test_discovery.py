from __future__ import annotations

import json
from pathlib import Path

from cds_service.discovery import SERVICES, effective_configuration
from tests.cds_service.app_client import TestClient
from tests.cds_service.inferno_checks import check_discovery


def test_discovery_lists_the_four_crd_services(client: TestClient) -> None:
    response = client.get("/cds-services")
    assert response.status_code == 200
    document = response.json()
    check_discovery(document)
    hooks = {service["hook"]: service for service in document["services"]}
    assert set(hooks) == {"order-sign", "order-select", "order-dispatch", "encounter-start"}
    sign = hooks["order-sign"]
    assert sign["extension"]["davinci-crd.version"] == ["2.0", "2.2"]  # dev-2: every served version
    assert sign["prefetch"]["coverage"].startswith("Coverage?patient={{context.patientId}}&status=active")
    assert {"patient", "conditions", "observations", "medicationRequests", "practitionerRoles"} <= set(sign["prefetch"])
    codes = {o["code"]: o for o in sign["extension"]["davinci-crd.configuration-options"]}
    assert codes["max-cards"]["type"] == "integer" and codes["max-cards"]["default"] == 10
    assert codes["coverage-info"]["default"] is True
    # CRD found-35: what-if calls send it as false (no PA number, no determination kept)
    assert (codes["unsolicited-determ"]["type"], codes["unsolicited-determ"]["default"]) == ("boolean", True)


def test_prefetch_templates_use_only_cds_hooks_2_tokens() -> None:
    allowed = {"context.patientId", "userPractitionerId"}
    for service in SERVICES.values():
        for template in service.prefetch.values():
            tokens = {part.split("}}")[0] for part in template.split("{{")[1:]}
            assert tokens <= allowed, template


def test_configuration_ignores_unknown_and_ill_typed_options() -> None:
    config = effective_configuration({"max-cards": 2, "guideline": "no", "cost": False, "claim": False})
    assert config["max-cards"] == 2
    assert config["guideline"] is True
    assert config["claim"] is False
    assert "cost" not in config


def test_discovery_matches_the_crd_ig_option_shape() -> None:
    ig = json.loads(Path("/work/shared/conformance/crd-ig_discovery_CRDServices.json").read_text())
    ig_option_keys = {
        key
        for service in ig["services"]
        for o in service["extension"]["davinci-crd.configuration-options"]
        for key in o
    }
    ours = {
        key for o in SERVICES["crd-order-sign"].as_json()["extension"]["davinci-crd.configuration-options"] for key in o
    }
    assert ours == ig_option_keys
