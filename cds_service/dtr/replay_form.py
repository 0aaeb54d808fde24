"""A completed (or partly answered) DTR QuestionnaireResponse decided again, offline, with its record: what
`python -m cds_service replay` shows for a form. The same path as `$next-question` (assess.py: the answers
count where the record leaves a criterion unknown, a contradiction is reported), previewed only: replay never
issues a PA number or keeps a determination.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..hook.errors import BadRequestError
from ..pipeline import Engine
from .answers import criterion_answers
from .assess import Assessment, assess
from .package import registry_of
from .params import DtrInput
from .record_request import find_order, hook_request
from .responses import policy_of, subjects


async def assess_form(response: dict[str, Any], record: Sequence[dict[str, Any]], engine: Engine) -> Assessment:
    """`record`: the patient's resources, including the order the response's qr-context names."""
    policy = policy_of(response, registry_of(engine))
    patient_id, order_ref, _ = subjects(response)
    inputs = DtrInput(
        response=response,
        record={"resourceType": "Bundle", "type": "collection", "entry": [{"resource": r} for r in record]},
    )
    order = find_order(inputs, order_ref)
    if order is None:
        raise BadRequestError(f"the record does not hold the order {order_ref} the QuestionnaireResponse is about")
    answers = criterion_answers(policy.metadata, response)
    evidence = f"QuestionnaireResponse/{response.get('id', 'replayed')}"
    return await assess(hook_request(inputs, order, patient_id, issue=False), engine, answers, evidence)
