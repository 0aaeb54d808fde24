from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from cds_service.policy.metadata import PolicyMetadataError, add_duration, load_metadata

REPO = Path(__file__).resolve().parents[3]

MINIMAL = """
id: test-policy
version: "1"
title: Test
drug: Testdrug
payer: centene
document: {number: T.1, title: Test document}
lines_of_business: [medicaid]
library: TestPolicy
drugs: [{code: "1", display: one}]
paths:
  - id: I.A
    title: Path A
    criteria:
      - {id: I.A.1, define: Adult, description: Age 18 or older}
approval_duration:
  initial: {medicaid: P6M}
"""


@pytest.mark.parametrize(
    ("start", "duration", "expected"),
    [
        (date(2026, 11, 23), "P6M", date(2027, 5, 23)),
        (date(2024, 1, 31), "P1M", date(2024, 2, 29)),
        (date(2023, 1, 31), "P1M", date(2023, 2, 28)),
        (date(2026, 11, 23), "P12M", date(2027, 11, 23)),
        (date(2024, 2, 29), "P1Y", date(2025, 2, 28)),
        (date(2026, 1, 1), "P30D", date(2026, 1, 31)),
    ],
)
def test_add_duration_follows_the_calendar(start: date, duration: str, expected: date) -> None:
    assert add_duration(start, duration) == expected


def test_minimal_metadata_loads(tmp_path: Path) -> None:
    path = tmp_path / "policy.yaml"
    path.write_text(MINIMAL)
    metadata = load_metadata(path)
    assert metadata.paths[0].criteria[0].define == "Adult"
    assert metadata.criterion("I.A.1") is not None


def test_decision_defines_are_the_criteria_and_display_values_once_each(tmp_path: Path) -> None:
    path = tmp_path / "policy.yaml"
    extra = """
      - {id: I.A.2, define: Has Diagnosis, description: Diagnosis documented}
      - {id: I.A.3, define: Adult, description: Adult again (a define may decide two criteria)}
display_values: {Age: Age In Years, Adult: Adult}
"""
    path.write_text(
        MINIMAL.replace(
            "      - {id: I.A.1, define: Adult, description: Age 18 or older}\n",
            "      - {id: I.A.1, define: Adult, description: Age 18 or older}" + extra,
        )
    )
    assert load_metadata(path).decision_defines == ("Adult", "Has Diagnosis", "Age In Years")


def test_errors_name_the_file_and_the_key(tmp_path: Path) -> None:
    path = tmp_path / "policy.yaml"
    path.write_text(MINIMAL.replace("P6M", "six months"))
    with pytest.raises(PolicyMetadataError, match=r"policy.yaml: approval_duration.initial"):
        load_metadata(path)


def test_duplicate_criterion_ids_are_rejected(tmp_path: Path) -> None:
    path = tmp_path / "policy.yaml"
    duplicate = "      - {id: I.A.1, define: Other, description: again}\n"
    path.write_text(MINIMAL.replace("approval_duration:", duplicate + "approval_duration:"))
    with pytest.raises(PolicyMetadataError, match="I.A.1 appears twice"):
        load_metadata(path)


FORMULARY_EXCEPTION = """
formulary_exceptions:
  medicaid: {policy: X.PA.1, label: Onebrand, products: ["1"]}
"""


def test_formulary_exceptions_are_typed(tmp_path: Path) -> None:
    path = tmp_path / "policy.yaml"
    path.write_text(MINIMAL + FORMULARY_EXCEPTION)
    exception = load_metadata(path).formulary_exceptions["medicaid"]
    assert (exception.policy, exception.products, exception.label) == ("X.PA.1", ("1",), "Onebrand")


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (('products: ["1"]', 'products: ["1", "99"]'), r"formulary_exceptions.medicaid.products: 99 not among"),
        (
            ("  medicaid: {policy", "  marketplace: {policy"),
            r"formulary_exceptions.marketplace: marketplace is not one",
        ),
        (("policy: X.PA.1, ", ""), r"formulary_exceptions.medicaid.policy: Field required"),
        (("label: Onebrand", "lable: Onebrand"), r"formulary_exceptions.medicaid.lable: Extra inputs"),
    ],
)
def test_formulary_exception_errors_name_the_file_and_the_entry(
    tmp_path: Path, edit: tuple[str, str], message: str
) -> None:
    path = tmp_path / "policy.yaml"
    path.write_text(MINIMAL + FORMULARY_EXCEPTION.replace(*edit))
    with pytest.raises(PolicyMetadataError, match=rf"{path}: {message}"):
        load_metadata(path)


CONTINUED_PATH = """
  - id: II.A
    title: Continued therapy
    kind: continued
    criteria:
      - {id: II.A.1, define: On Drug For 30 Days, description: Currently receiving the drug}
"""


def test_the_continuing_therapy_define_is_evaluated_with_the_criteria(tmp_path: Path) -> None:
    path = tmp_path / "policy.yaml"
    path.write_text(
        MINIMAL.replace(
            "approval_duration:", CONTINUED_PATH.lstrip("\n") + "continuing_therapy: On Drug\napproval_duration:"
        )
    )
    metadata = load_metadata(path)
    assert metadata.continuing_therapy == "On Drug"
    assert metadata.decision_defines == ("Adult", "On Drug For 30 Days", "On Drug")


def test_continuing_therapy_without_a_continued_path_is_rejected(tmp_path: Path) -> None:
    path = tmp_path / "policy.yaml"
    path.write_text(MINIMAL + "continuing_therapy: On Drug\n")
    with pytest.raises(PolicyMetadataError, match="policy.yaml: continuing_therapy is set but no path"):
        load_metadata(path)


def test_models_given_the_same_fields_share_one_set_of_their_names() -> None:
    one, two = (load_metadata(REPO / "policies/centene/CP.PHAR.549/policy.yaml") for _ in range(2))
    criteria = [c for path in one.paths for c in path.criteria] + [c for path in two.paths for c in path.criteria]
    by_fields = {frozenset(c.model_fields_set): c.model_fields_set for c in criteria}
    for criterion in criteria:
        assert criterion.model_fields_set is by_fields[frozenset(criterion.model_fields_set)]
    assert one == two
    before = set(one.model_fields_set)
    unset = next(name for name in type(one).model_fields if name not in before)
    assert unset in one.model_copy(update={unset: None}).model_fields_set  # a copy's set is its own
    assert one.model_fields_set == before and two.model_fields_set == before
