"""Payer routing and line of business from the sample payers file."""

from __future__ import annotations

from pathlib import Path

import pytest

from cds_service.errors import BadRequestError
from cds_service.payers import PayerConfigError, PayerDirectory, active_coverage, route
from cds_service.settings import SAMPLE_PAYERS_FILE
from tests.cds_service.hook_requests import coverage, organization

PAYERS = PayerDirectory.load(SAMPLE_PAYERS_FILE)


@pytest.mark.parametrize(
    ("payer", "line", "expected_line", "label"),
    [
        ("centene", "medicaid", "medicaid", "Centene"),
        ("centene", "marketplace", "marketplace", "Centene"),
        ("centene", "commercial", "commercial", "Centene"),
        ("fep-blue", "commercial", "fehb", "FEP Blue"),
    ],
)
def test_route_by_payor_identifier_and_line_rules(payer: str, line: str, expected_line: str, label: str) -> None:
    result = route(PAYERS, coverage(payer, line=line), organization(payer))
    assert result.payer.label == label
    assert result.line_of_business == expected_line
    assert result.coverage_reference == "Coverage/cov-1"


def test_sopt_code_2_itself_is_medicaid() -> None:
    cov = coverage("centene", line="commercial")
    cov["type"] = {"coding": [{"system": "https://nahdo.org/sopt", "code": "2"}]}
    assert route(PAYERS, cov, organization("centene")).line_of_business == "medicaid"


def test_logical_payor_reference_with_identifier_routes_without_the_organization() -> None:
    cov = coverage("fep-blue")
    cov["payor"] = [{"identifier": {"system": "http://example.org/payer-id", "value": "fep-blue"}}]
    assert route(PAYERS, cov, None).payer.key == "fep-blue"


def test_unknown_payer_and_unroutable_payor_are_400() -> None:
    with pytest.raises(BadRequestError, match="not a payer served"):
        route(PAYERS, coverage("acme"), organization("acme"))
    with pytest.raises(BadRequestError, match="no identifier"):
        route(PAYERS, coverage("centene"), None)
    no_payor = coverage()
    del no_payor["payor"]
    with pytest.raises(BadRequestError, match="no payor"):
        route(PAYERS, no_payor, None)


def test_exactly_one_active_coverage() -> None:
    with pytest.raises(BadRequestError, match="no active Coverage"):
        active_coverage([coverage(status="cancelled")])
    with pytest.raises(BadRequestError, match="2 active"):
        active_coverage([coverage(), coverage(coverage_id="cov-2")])
    assert active_coverage([coverage(), coverage(status="cancelled", coverage_id="old")])["id"] == "cov-1"


def test_bad_payers_file_names_the_problem(tmp_path: Path) -> None:
    bad = tmp_path / "payers.yaml"
    bad.write_text("payers:\n  - key: x\n    label: X\n    identifiers: ['no-pipe']\n")
    with pytest.raises(PayerConfigError, match="system\\|value"):
        PayerDirectory.load(bad)
    bad.write_text(
        "payers:\n  - key: x\n    label: X\n    identifiers: ['a|b']\n    line_of_business: {default: retail}\n"
    )
    with pytest.raises(PayerConfigError, match="retail"):
        PayerDirectory.load(bad)
