"""Centene CP.PHAR.549 scenario building blocks shared by the case modules.

Unless a case says otherwise the record is a Medicaid member's stage IV NSCLC with a KRAS G12C variant and
completed carboplatin, an oncologist's draft order for Lumakras 960 mg/day, decided on 2026-11-23.
"""

from __future__ import annotations

from functools import partial
from typing import Any

import sotorasib_fixtures as fx
from sotorasib_cases_model import (
    Case,
    nsclc,
)
from sotorasib_cases_model import case as any_case

case = partial(any_case, line_of_business="medicaid")
NSCLC_UNSTAGED = fx.condition("cond-nsclc", fx.coding(fx.SNOMED, "254637007", "Non-small cell lung cancer"))
ALL_I_A_MET = {f"I.A.{n}": "met" for n in range(1, 9)}
THIRTY_DAYS = {"value": 30, "unit": "days", "system": fx.UCUM, "code": "d"}


def centene_nsclc(*extra: fx.Resource, **kwargs: Any) -> list[fx.Resource]:
    return nsclc("centene", *extra, **kwargs)


def kras_case(note: str, kras: fx.Resource, decision: str, i_a_4: str, *extra: fx.Resource) -> Case:
    """I.A.4 (KRAS G12C) is all that varies: the standard record with `kras` as its KRAS result."""
    return case(note, centene_nsclc(*extra, kras=kras), decision, {"I.A.4": i_a_4})


def by_reference(resource: fx.Resource, reference: str) -> fx.Resource:
    """The same resource naming its drug through medicationReference instead of a CodeableConcept."""
    changed = dict(resource)
    del changed["medicationCodeableConcept"]
    changed["medicationReference"] = {"reference": reference}
    return changed


def reason(code: str, display: str) -> list[dict[str, Any]]:
    """An order's reasonCode: one ICD-10-CM code."""
    return [fx.concept(fx.coding(fx.ICD10CM, code, display))]
