"""Payer routing and line of business from the sample payers file."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from cds_service.hook.errors import BadRequestError
from cds_service.payers.directory import PayerConfigError, PayerDirectory, choose_coverage, route
from cds_service.settings import SAMPLE_PAYERS_FILE
from tests.support.hook_requests import coverage, organization

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


TODAY = date(2026, 11, 23)


def test_exactly_one_coverage_in_force_routes_the_call() -> None:
    with pytest.raises(BadRequestError, match="no Coverage"):
        choose_coverage([], TODAY)
    with pytest.raises(BadRequestError, match="2 Coverages are in force"):
        choose_coverage([coverage(), coverage(coverage_id="cov-2")], TODAY)
    choice = choose_coverage([coverage(), coverage(status="cancelled", coverage_id="old")], TODAY)
    assert (choice.coverage["id"], choice.not_in_force) == ("cov-1", None)


def test_a_coverage_not_in_force_is_chosen_with_why() -> None:
    """resp-45: the patient has coverage with a payer served here, but none in force on the order date."""
    ended = coverage()
    ended["period"] = {"start": "2020-01-01", "end": "2021-12-31"}
    assert choose_coverage([ended], TODAY).not_in_force == "the Coverage ended on 2021-12-31"
    future = coverage()
    future["period"] = {"start": "2027-01-01T00:00:00Z"}
    assert choose_coverage([future], TODAY).not_in_force == "the Coverage starts on 2027-01-01"
    cancelled = choose_coverage([coverage(status="cancelled")], TODAY)
    assert cancelled.not_in_force == "the Coverage's status is cancelled"
    # an ended Coverage next to the one in force is history, not a conflict
    assert choose_coverage([ended | {"id": "old"}, coverage()], TODAY).coverage["id"] == "cov-1"


@pytest.mark.parametrize(
    ("sopt", "line"),
    [("1", "medicare"), ("11", "medicare"), ("121", "medicare"), ("14", "dual"), ("3", None), ("81", None)],
)
def test_medicare_dual_and_unplaced_coverages_are_never_commercial(sopt: str, line: str | None) -> None:
    """Issue #13 item 6: only SOPT 5x is Centene Commercial; Medicare, dual and other payment sources are placed
    as what they are, or not at all."""
    cov = coverage("centene", line="commercial")
    cov["type"] = {"coding": [{"system": "https://nahdo.org/sopt", "code": sopt}]}
    assert route(PAYERS, cov, organization("centene")).line_of_business == line


def test_order_defaults_per_kind_come_from_the_payers_file() -> None:
    centene = PAYERS.payers["centene"]
    assert centene.default_for("ServiceRequest") == ("covered", "no-auth")
    assert centene.default_for("VisionPrescription") == (centene.default_covered, centene.default_pa_needed)


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
