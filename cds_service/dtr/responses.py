"""What a DTR QuestionnaireResponse names: its policy, order, Coverage and patient."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..hook.errors import BadRequestError, NotFoundError
from ..policy.registry import Policy, PolicyRegistry
from .fhir import QR_CONTEXT, QR_COVERAGE, adaptive_url
from .questionnaires import ADAPTIVE_CONTAINED_ID, canonical


def extension_reference(resource: Mapping[str, Any], url: str) -> str | None:
    for extension in resource.get("extension") or []:
        if isinstance(extension, dict) and extension.get("url") == url:
            reference = extension.get("valueReference")
            if isinstance(reference, dict) and isinstance(reference.get("reference"), str):
                return "/".join(reference["reference"].split("/")[-2:])
    return None


def contained_questionnaire(response: Mapping[str, Any]) -> dict[str, Any] | None:
    for resource in response.get("contained") or []:
        if isinstance(resource, dict) and resource.get("id") == ADAPTIVE_CONTAINED_ID:
            return resource
    return None


def is_adaptive(response: Mapping[str, Any]) -> bool:
    return response.get("questionnaire") == f"#{ADAPTIVE_CONTAINED_ID}"


def policy_of(response: Mapping[str, Any], registry: PolicyRegistry) -> Policy:
    """The policy whose form this is: the standard canonical, or the adaptive one the contained form derives from."""
    wanted = str(response.get("questionnaire"))
    if is_adaptive(response):
        derived = (contained_questionnaire(response) or {}).get("derivedFrom") or [""]
        wanted = str(derived[0]).split("|")[0]
    for policy in registry:
        if wanted in (canonical(policy), policy.questionnaire_url, adaptive_url(policy.id)):
            return policy
    raise NotFoundError("the QuestionnaireResponse is not for a Questionnaire this payer offers")


def subjects(response: Mapping[str, Any]) -> tuple[str, str, str]:
    """(patient id, order reference, Coverage reference) the response is about (subject, qr-context, qr-coverage)."""
    subject = response.get("subject")
    patient = subject.get("reference") if isinstance(subject, dict) else None
    order = extension_reference(response, QR_CONTEXT)
    coverage = extension_reference(response, QR_COVERAGE)
    if not isinstance(patient, str) or order is None or coverage is None:
        raise BadRequestError("the QuestionnaireResponse needs subject, qr-context (the order) and qr-coverage")
    return patient.rstrip("/").split("/")[-1], order, coverage
