"""Formulary exclusions: a product the member's line of business keeps off its formulary is never approved
under the policy's criteria (they are still evaluated, for the pharmacist to read); the prescriber is sent to
the line of business's formulary exception policy instead."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from .metadata import PolicyMetadata


@dataclass(frozen=True)
class FormularyExclusion:
    product: str  # as cards and coverage-information name it, e.g. "Afinitor Disperz"
    exception_policy: str  # where a formulary exception is requested, e.g. "HIM.PA.103"


def formulary_exclusion(
    metadata: PolicyMetadata, line_of_business: str, ordered_codings: Iterable[tuple[str, str]]
) -> FormularyExclusion | None:
    """The exclusion that applies to the ordered product, matched on the (system, code) pairs the order was
    routed on; None when the product is on the formulary of this line of business."""
    exception = metadata.formulary_exceptions.get(line_of_business)
    if exception is None:
        return None
    listed = {(p.system, p.code): p for p in metadata.drugs if p.code in exception.products}
    for coding in ordered_codings:
        product = listed.get(coding)
        if product is not None:
            return FormularyExclusion(exception.label or product.display, exception.policy)
    return None
