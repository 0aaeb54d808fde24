"""Canonical URLs and small FHIR builders the DTR modules share."""

from __future__ import annotations

import base64
from typing import Any

BASE = "https://coverage-hooks.example.org/fhir/"
DTR_SD = "http://hl7.org/fhir/us/davinci-dtr/StructureDefinition/"
SDC_SD = "http://hl7.org/fhir/uv/sdc/StructureDefinition/"
CQF_LIBRARY = "http://hl7.org/fhir/StructureDefinition/cqf-library"
INITIAL_EXPRESSION = SDC_SD + "sdc-questionnaire-initialExpression"
LAUNCH_CONTEXT = SDC_SD + "sdc-questionnaire-launchContext"
QUESTIONNAIRE_ADAPTIVE = SDC_SD + "sdc-questionnaire-questionnaireAdaptive"
INFORMATION_ORIGIN = DTR_SD + "information-origin"
QR_CONTEXT = DTR_SD + "qr-context"
QR_COVERAGE = DTR_SD + "qr-coverage"
INTENDED_USE = DTR_SD + "intendedUse"
CRD_TEMP = "http://hl7.org/fhir/us/davinci-crd/CodeSystem/temp"

PROFILE_STANDARD = DTR_SD + "dtr-std-questionnaire"
PROFILE_ADAPT_SEARCH = DTR_SD + "dtr-questionnaire-adapt-search"
PROFILE_ADAPT = DTR_SD + "dtr-questionnaire-adapt"
PROFILE_QR = DTR_SD + "dtr-questionnaireresponse"
PROFILE_QR_ADAPT = DTR_SD + "dtr-questionnaireresponse-adapt"
PROFILE_PACKAGE = DTR_SD + "DTR-QPackageBundle"

# The linkId of the last question of an adaptive form whose requirements are met (DTR §spec-41).
ISSUE_PA_LINK_ID = "issue-pa-number"


def library_url(name: str) -> str:
    return f"{BASE}Library/{name}"


def adaptive_url(policy_id: str) -> str:
    return f"{BASE}Questionnaire/{policy_id}-adaptive"


def b64(text: str) -> str:
    return base64.b64encode(text.encode("utf-8")).decode("ascii")


def intended_use(code: str) -> dict[str, Any]:
    return {"url": INTENDED_USE, "valueCodeableConcept": {"coding": [{"system": CRD_TEMP, "code": code}]}}


def reference_extension(url: str, reference: str) -> dict[str, Any]:
    return {"url": url, "valueReference": {"reference": reference}}


def origin(source: str, author: str | None = None) -> dict[str, Any]:
    """information-origin: `author` only for a person's answer (dtrx-1: override and manual have one)."""
    parts: list[dict[str, Any]] = [{"url": "source", "valueCode": source}]
    if author is not None and source in ("override", "manual"):
        parts.append({"url": "author", "extension": [{"url": "practitioner", "valueReference": {"reference": author}}]})
    return {"url": INFORMATION_ORIGIN, "extension": parts}


def outcome(severity: str, code: str, text: str) -> dict[str, Any]:
    return {"resourceType": "OperationOutcome", "issue": [{"severity": severity, "code": code, "diagnostics": text}]}
