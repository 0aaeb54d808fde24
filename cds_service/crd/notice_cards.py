"""The card for an order no policy decision reached, saying why and what would let the payer answer.

Shown when the drug cannot be identified, the Coverage is not in force, or its line of business is not one the
drug's policy covers: the coverage-information alone (conditional, indeterminate, not-covered) would leave the
clinician guessing.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from .cards import ASSOCIATED_KEY, CARD_TYPE_SYSTEM, SUMMARY_LIMIT, markdown_escape

TOPIC_DISPLAY = {"insurance": "Insurance", "guideline": "Guideline"}


def notice_card(
    *, order: Mapping[str, Any], order_ref: str, payer_label: str, topic: str, summary: str, detail: str
) -> dict[str, Any]:
    label = order_label(order)
    text = f"{label}: {summary}"
    if len(text) > SUMMARY_LIMIT:
        text = text[: SUMMARY_LIMIT - 1].rstrip() + "…"
    return {
        "uuid": str(uuid.uuid4()),
        "summary": text,
        "indicator": "warning",
        "detail": f"**{markdown_escape(label)}** ({markdown_escape(order_ref)}): {markdown_escape(detail)}",
        "source": {
            "label": payer_label,
            "topic": {"system": CARD_TYPE_SYSTEM, "code": topic, "display": TOPIC_DISPLAY[topic]},
        },
        "extension": {ASSOCIATED_KEY: [{"reference": order_ref}]},
    }


def order_label(order: Mapping[str, Any]) -> str:
    """How the clinician named the order: its concept's text or display, else its type and id."""
    concept = order.get("medicationCodeableConcept") or order.get("code")
    if isinstance(concept, dict):
        if isinstance(concept.get("text"), str) and concept["text"].strip():
            return str(concept["text"]).strip()
        for coding in concept.get("coding") or ():
            if isinstance(coding, dict) and isinstance(coding.get("display"), str):
                return str(coding["display"])
    reference = order.get("medicationReference")
    if isinstance(reference, dict) and isinstance(reference.get("display"), str):
        return str(reference["display"])
    return f"{order.get('resourceType', 'Order')} {order.get('id')}"
