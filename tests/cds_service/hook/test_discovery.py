from __future__ import annotations

import json
from pathlib import Path

from cds_service.hook.discovery import SERVICES, effective_configuration, query_type
from cds_service.policy.registry import PolicyRegistry
from tests.support.app_client import TestClient
from tests.support.inferno_checks import check_discovery


def test_discovery_lists_the_six_crd_services(client: TestClient) -> None:
    response = client.get("/cds-services")
    assert response.status_code == 200
    document = response.json()
    check_discovery(document)
    hooks = {service["hook"]: service for service in document["services"]}
    assert set(hooks) == {
        "order-sign",
        "order-select",
        "order-dispatch",
        "appointment-book",
        "encounter-start",
        "encounter-discharge",
    }
    assert hooks["appointment-book"]["prefetch"]["encounter"] == "Encounter/{{context.encounterId}}"
    assert "medicationRequests" in hooks["encounter-discharge"]["prefetch"]
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
    allowed = {"context.patientId", "context.encounterId", "userPractitionerId"}
    for service in SERVICES.values():
        for template in service.prefetch.values():
            tokens = {part.split("}}")[0] for part in template.split("{{")[1:]}
            assert tokens <= allowed, template


def test_every_type_a_policy_reads_is_prefetched_and_fetched(policy_client: TestClient) -> None:
    """Brief item 2: the policies decide what is gathered. Every resource type a loaded policy's CQL retrieves
    (Library.retrieved_types, included libraries too) has a patient-scoped prefetch template on every drug
    order hook, and the engine fetches it when the client did not send it."""
    registry = PolicyRegistry.load(Path("policies"))
    read = frozenset().union(*(policy.library.retrieved_types for policy in registry))
    assert {"MedicationAdministration", "Procedure", "ServiceRequest", "Patient"} <= read
    for hook_service in ("crd-order-sign", "crd-order-select", "crd-appointment-book"):
        prefetched = {query_type(t) for t in SERVICES[hook_service].prefetch.values()}
        # Medication is read through the orders' medicationReference (record.gather's Medication?_id= read)
        assert read - {"Medication", "Practitioner"} <= prefetched, hook_service
    assert {"MedicationDispense", "MedicationAdministration", "Procedure", "ServiceRequest"} <= {
        query_type(t) for t in SERVICES["crd-order-sign"].prefetch.values()
    }
    assert policy_client.app.state.cds.engine.read_types == read  # type: ignore[attr-defined]


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
