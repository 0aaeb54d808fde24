from __future__ import annotations

from typing import Any

import pytest

from cds_service.policy.formulary import FormularyExclusion, formulary_exclusion
from cds_service.policy.metadata import PolicyMetadata
from tests.support.policy_doubles import SOTORASIB_METADATA

RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"


def _metadata(label: str | None = "Lumakras 120 mg") -> PolicyMetadata:
    raw: dict[str, Any] = {
        **SOTORASIB_METADATA,
        "drugs": [
            {"code": "2550725", "display": "sotorasib 120 MG Oral Tablet [Lumakras]"},
            {"code": "2628242", "display": "sotorasib 320 MG Oral Tablet [Lumakras]"},
        ],
        "formulary_exceptions": {"marketplace": {"policy": "HIM.PA.103", "products": ["2550725"], "label": label}},
    }
    return PolicyMetadata.model_validate(raw)


def test_a_listed_product_on_its_line_of_business_is_excluded() -> None:
    found = formulary_exclusion(_metadata(), "marketplace", [("http://other", "x"), (RXNORM, "2550725")])
    assert found == FormularyExclusion(product="Lumakras 120 mg", exception_policy="HIM.PA.103")


def test_without_a_label_the_product_is_named_by_its_display() -> None:
    found = formulary_exclusion(_metadata(label=None), "marketplace", [(RXNORM, "2550725")])
    assert found is not None and found.product == "sotorasib 120 MG Oral Tablet [Lumakras]"


@pytest.mark.parametrize(
    ("line", "codings"),
    [
        ("medicaid", [(RXNORM, "2550725")]),  # another line of business
        ("marketplace", [(RXNORM, "2628242")]),  # another product of the policy
        ("marketplace", [("http://snomed.info/sct", "2550725")]),  # the code in another system
        ("marketplace", []),
    ],
)
def test_everything_else_is_on_the_formulary(line: str, codings: list[tuple[str, str]]) -> None:
    assert formulary_exclusion(_metadata(), line, codings) is None
