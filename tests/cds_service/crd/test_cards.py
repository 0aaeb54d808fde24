"""Card rendering from constructed decisions: summaries, criteria tables, evidence, trace, links and
suggestions."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

import jinja2
import pytest
from fhir.resources.R4B import get_fhir_model_class

from cds_service.crd import coverage_info as ci
from cds_service.crd.cards import CardRenderer, OrderCards, markdown_escape
from cds_service.gather.record import GatheredData
from cds_service.hook.discovery import DEFAULT_CONFIGURATION
from cds_service.policy.formulary import FormularyExclusion
from cds_service.policy.registry import PolicyContent
from tests.support.hook_requests import medication_request
from tests.support.inferno_checks import check_card, classify_cards
from tests.support.policy_doubles import decision, sotorasib_policy

ALL_MET = {"I.A.1": "met", "I.A.2": "met", "I.A.8": "met"}
KRAS_UNKNOWN = {"I.A.1": "met", "I.A.2": "unknown", "I.A.8": "met"}
OVERDOSE = {"I.A.1": "met", "I.A.2": "unknown", "I.A.8": "unknown"}
KRAS_NEGATIVE = {"I.A.1": "met", "I.A.2": "not-met", "I.A.8": "met"}
REQUEST_DATE = date(2026, 11, 23)  # the hook's clock; deliberately not the host's date

KRAS_OBSERVATION = {
    "resourceType": "Observation",
    "id": "kras-1",
    "status": "final",
    "code": {"text": "KRAS gene mutation analysis"},
    "effectiveDateTime": "2026-10-02T09:00:00Z",
    "valueCodeableConcept": {"text": "p.G12C detected"},
}


def _order() -> dict[str, Any]:
    return medication_request("2550725", "sotorasib 120 MG Oral Tablet [Lumakras]", dose_mg=1200)


def render(
    statuses: dict[str, str],
    assertion: ci.CoverageAssertion,
    *,
    config: dict[str, Any] | None = None,
    hook: str = "order-sign",
    renderer: CardRenderer | None = None,
    policy: Any = None,
) -> OrderCards:
    data = GatheredData()
    data.add(KRAS_OBSERVATION)
    decided = decision(statuses, evidence={"I.A.2": ("Observation/kras-1",)}, expiry=date(2027, 5, 23))
    return (renderer or CardRenderer()).render(
        decision=decided,
        # as crd/outcome.py decides it: a technical gap (covered indeterminate) outranks the criteria's decision
        outcome="indeterminate" if assertion.covered == "indeterminate" else decided.decision,
        policy=policy or sotorasib_policy(),
        order=_order(),
        payer_label="Centene",
        assertion=assertion,
        data=data,
        config={**DEFAULT_CONFIGURATION, **(config or {})},
        hook=hook,
        today=REQUEST_DATE,
    )


APPROVED = ci.assertion_for_approval(
    realtime=True,
    primary=True,
    satisfied_pa_id="PA-0001",
    expiry=date(2027, 5, 23),
    questionnaire=None,
    policy_link="https://www.centene.com/policy.pdf",
    policy_label="Centene CP.PHAR.549",
)
NEEDS_INFO = ci.assertion_for_needs_info(
    primary=True,
    questionnaire="https://q",
    policy_link=None,
    missing=["I.A.2"],
    policy_label="Centene CP.PHAR.549",
)
NOT_MET = ci.assertion_for_not_met(policy_link=None, failed=["I.A.2"], policy_label="x", other_use_policy="CP.PMN.53")


def sample_cards() -> list[dict[str, Any]]:
    """Cards of an approval, a needs-info with suggestions and a not-met (reused by the cross-hook check)."""
    return [
        card
        for statuses, assertion in ((ALL_MET, APPROVED), (OVERDOSE, NEEDS_INFO), (KRAS_NEGATIVE, NOT_MET))
        for card in render(statuses, assertion).all()
    ]


def test_every_card_passes_the_inferno_card_checks() -> None:
    for card in sample_cards():
        check_card(card)


def test_inferno_cross_hook_card_types_are_demonstrated() -> None:
    assert {"external-reference", "instructions", "propose-alternate", "additional-orders"} <= classify_cards(
        sample_cards()
    )


def test_approved_card_summary_trace_link_and_claim_instructions() -> None:
    cards = render(ALL_MET, APPROVED)
    assert cards.decision is not None
    card = cards.decision
    assert card["summary"] == "Lumakras: prior authorization approved through 2027-05-23"
    assert card["indicator"] == "info"
    assert card["source"]["label"] == "Centene"
    assert card["source"]["topic"]["code"] == "guideline"
    assert card["links"] == [
        {
            "label": "Centene policy CP.PHAR.549",
            "url": "https://www.centene.com/content/dam/centene/policies/pharmacy-policies/CP.PHAR.549.pdf",
            "type": "absolute",
        }
    ]
    assert card["extension"]["davinci-crd.associated-resource"] == [{"reference": "MedicationRequest/mr-1"}]
    assert card["extension"]["coverage-hooks.trace"] == {
        "order": "MedicationRequest/mr-1",
        "policy": "centene-cp-phar-549",
        "policyVersion": "2024.11",
        "decision": "approved",
        "path": "I.A",
        "criteria": [
            {
                "id": "I.A.1",
                "description": "Recurrent, locally advanced or metastatic NSCLC",
                "status": "met",
                "evidence": [],
            },
            {
                "id": "I.A.2",
                "description": "KRAS G12C mutation detected by an FDA-approved test",
                "status": "met",
                "evidence": ["Observation/kras-1"],
            },
            {
                "id": "I.A.8",
                "description": "Dose does not exceed 960 mg per day",
                "status": "met",
                "evidence": [],
            },
        ],
    }
    detail = card["detail"]
    assert "| I.A.2 | met | KRAS G12C mutation detected by an FDA\\-approved test |" not in detail  # '-' is literal
    assert (
        "| I.A.2 | met | KRAS G12C mutation detected by an FDA-approved test | "
        "Observation/kras-1 (2026-10-02): KRAS gene mutation analysis = p.G12C detected |" in detail
    )
    assert "sotorasib 120 MG Oral Tablet \\[Lumakras\\]" in detail
    assert "What to submit" not in detail
    [claim] = cards.extras
    assert "PA-0001" in claim["summary"] and "PA-0001" in claim["detail"]
    assert "links" not in claim and "suggestions" not in claim  # an Instructions card
    assert claim["source"]["topic"]["code"] == "claim"


def test_needs_info_card_names_what_is_missing_and_what_to_submit() -> None:
    card = render(KRAS_UNKNOWN, NEEDS_INFO).decision
    assert card is not None
    assert card["summary"] == "Lumakras: prior authorization needs KRAS G12C mutation detected by an FDA-approved test"
    assert card["indicator"] == "warning"
    assert "| I.A.2 | unknown |" in card["detail"]
    assert "**What to submit**" in card["detail"]
    assert "- The KRAS G12C test report" in card["detail"]
    assert card["extension"]["coverage-hooks.trace"]["decision"] == "needs-info"


def test_not_met_card_names_the_failed_criterion_and_other_use_route() -> None:
    card = render(KRAS_NEGATIVE, NOT_MET).decision
    assert card is not None
    assert card["summary"].startswith("Lumakras: not covered; not met: KRAS G12C")
    assert "| I.A.2 | not met |" in card["detail"]
    assert "CP.PMN.53" in card["detail"]


def test_non_formulary_card_sends_to_the_exception_policy_and_still_lists_the_criteria() -> None:
    excluded = replace(
        decision(OVERDOSE, evidence={"I.A.2": ("Observation/kras-1",)}),
        decision="not-met",
        formulary_exclusion=FormularyExclusion(product="Lumakras 120 mg", exception_policy="HIM.PA.103"),
    )
    cards = CardRenderer().render(
        decision=excluded,
        outcome="not-met",
        policy=sotorasib_policy(),
        order=_order(),
        payer_label="Centene",
        assertion=ci.assertion_for_non_formulary(
            policy_link=None, product="Lumakras 120 mg", exception_policy="HIM.PA.103", policy_label="x"
        ),
        data=GatheredData(),
        config=DEFAULT_CONFIGURATION,
        hook="order-sign",
        today=REQUEST_DATE,
    )
    card = cards.decision
    assert card is not None and cards.extras == []  # no dose suggestion: no order change makes it approvable
    check_card(card)
    assert card["summary"] == (
        "Lumakras: not covered; Lumakras 120 mg is non-formulary for this plan: "
        "request a formulary exception under HIM.PA.103"
    )
    assert card["indicator"] == "warning"
    assert "**Request a formulary exception under HIM.PA.103.**" in card["detail"]
    assert "| I.A.2 | unknown |" in card["detail"] and "What to submit" not in card["detail"]
    trace = card["extension"]["coverage-hooks.trace"]
    assert (trace["decision"], trace["formularyException"]) == ("not-met", "HIM.PA.103")


def test_summaries_stay_under_140_characters() -> None:
    policy = sotorasib_policy()
    long_text = "A very long criterion description " * 10
    paths = [
        p.model_copy(update={"criteria": tuple(c.model_copy(update={"description": long_text}) for c in p.criteria)})
        for p in policy.metadata.paths
    ]
    long_policy = replace(policy, metadata=policy.metadata.model_copy(update={"paths": tuple(paths)}))
    data = GatheredData()
    for statuses, assertion in ((KRAS_UNKNOWN, NEEDS_INFO), (KRAS_NEGATIVE, NOT_MET)):
        d = decision(statuses)
        d = d.__class__(
            **{
                **d.__dict__,
                "path": d.path.__class__(
                    d.path.id,
                    d.path.title,
                    d.path.kind,
                    tuple(c.__class__(**{**c.__dict__, "description": long_text}) for c in d.path.criteria),
                ),
            }
        )
        card = (
            CardRenderer()
            .render(
                decision=d,
                outcome=d.decision,
                policy=long_policy,
                order=_order(),
                payer_label="Centene",
                assertion=assertion,
                data=data,
                config=DEFAULT_CONFIGURATION,
                hook="order-sign",
                today=REQUEST_DATE,
            )
            .decision
        )
        assert card is not None and len(card["summary"]) < 140 and card["summary"].endswith("…")


def test_overdose_suggests_the_maximum_dose_as_an_update_of_the_draft() -> None:
    cards = render(OVERDOSE, NEEDS_INFO)
    alternates = [c for c in cards.extras if c["source"]["topic"]["code"] == "therapy-alternatives-req"]
    [card] = alternates
    assert card["selectionBehavior"] == "at-most-one"
    [suggestion] = card["suggestions"]
    assert suggestion["uuid"]
    [action] = suggestion["actions"]
    assert action["type"] == "update"
    resource = action["resource"]
    assert (resource["resourceType"], resource["id"]) == ("MedicationRequest", "mr-1")
    assert resource["dosageInstruction"][0]["doseAndRate"][0]["doseQuantity"]["value"] == 960
    assert resource["medicationCodeableConcept"] == _order()["medicationCodeableConcept"]
    get_fhir_model_class("MedicationRequest").model_validate(resource)


def test_missing_kras_result_suggests_a_kras_test_order() -> None:
    cards = render(KRAS_UNKNOWN, NEEDS_INFO)
    [card] = [c for c in cards.extras if c["source"]["topic"]["code"] == "clinical-reminder"]
    [action] = card["suggestions"][0]["actions"]
    assert action["type"] == "create"
    service = action["resource"]
    assert service["resourceType"] == "ServiceRequest" and service["status"] == "draft"
    assert service["code"]["coding"][0]["code"] == "82535-2"
    assert service["subject"] == {"reference": "Patient/pat-1"}
    assert service["meta"]["profile"] == [
        "http://hl7.org/fhir/us/davinci-crd/StructureDefinition/profile-servicerequest"
    ]
    get_fhir_model_class("ServiceRequest").model_validate(service)


def test_no_suggestions_when_the_criterion_is_met_or_on_dispatch() -> None:
    assert not [c for c in render(ALL_MET, APPROVED).extras if "suggestions" in c]
    assert not [c for c in render(OVERDOSE, NEEDS_INFO, hook="order-dispatch").extras if "suggestions" in c]


def test_card_types_follow_the_configuration() -> None:
    cards = render(OVERDOSE, NEEDS_INFO, config={"guideline": False, "clinical-reminder": False})
    assert cards.decision is None
    assert {c["source"]["topic"]["code"] for c in cards.extras} == {"therapy-alternatives-req"}
    assert render(ALL_MET, APPROVED, config={"claim": False}).extras == []


def test_policy_templates_override_the_defaults_with_strict_undefined(tmp_path: Path) -> None:
    (tmp_path / "decision.md.j2").write_text("Custom for {{ drug|md }} under {{ document_number }}")
    policy = PolicyContent(metadata=sotorasib_policy().metadata, template_dir=tmp_path)
    card = render(ALL_MET, APPROVED, policy=policy).decision
    assert card is not None and card["detail"] == "Custom for Lumakras under CP.PHAR.549"
    (tmp_path / "decision.md.j2").write_text("{{ no_such_variable }}")
    with pytest.raises(jinja2.UndefinedError):
        render(ALL_MET, APPROVED, policy=policy, renderer=CardRenderer())


def test_markdown_escape() -> None:
    assert markdown_escape("a|b *c* [d](e)\nnext") == "a\\|b \\*c\\* \\[d\\](e) next"


def test_suggested_orders_are_dated_by_the_request_clock() -> None:
    cards = render(KRAS_UNKNOWN, NEEDS_INFO)
    [card] = [c for c in cards.extras if c["source"]["topic"]["code"] == "clinical-reminder"]
    assert card["suggestions"][0]["actions"][0]["resource"]["authoredOn"] == "2026-11-23"


CRITERION_ID = re.compile(r"\b(?:I{1,3}|IV|V)\.[A-Z](?:\.\d+)+\b")


@pytest.mark.parametrize(
    ("statuses", "assertion"),
    [(ALL_MET, APPROVED), (KRAS_UNKNOWN, NEEDS_INFO), (OVERDOSE, NEEDS_INFO), (KRAS_NEGATIVE, NOT_MET)],
)
def test_card_lines_read_as_clinical_text_not_criterion_ids(
    statuses: dict[str, str], assertion: ci.CoverageAssertion
) -> None:
    """Criterion ids appear only in the criteria table rows; summaries, suggestion labels and every other
    line are worded for a clinician."""
    cards = list(render(statuses, assertion).all())
    assert any("suggestions" in c for c in cards) or statuses in (ALL_MET, KRAS_NEGATIVE)
    for card in cards:
        lines = [card["summary"], *(s["label"] for s in card.get("suggestions", []))]
        lines += [line for line in card["detail"].splitlines() if not line.startswith("|")]
        for line in lines:
            assert not CRITERION_ID.search(line), line
    assert CRITERION_ID.search(cards[0]["detail"]), "the criteria table still names the criteria"


def test_the_decision_card_does_not_restate_the_system_action() -> None:
    """CRD resp-12: the coverage decision and PA number travel in the system action; the card adds criteria,
    evidence and what to submit."""
    card = render(ALL_MET, APPROVED).decision
    assert card is not None
    assert "prior authorization approved" not in card["detail"] and "PA-0001" not in card["detail"]
    needs = render(KRAS_UNKNOWN, NEEDS_INFO).decision
    assert needs is not None and "**What to submit**" in needs["detail"]
