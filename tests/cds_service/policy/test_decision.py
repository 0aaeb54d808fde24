from __future__ import annotations

import pytest

from cds_service.policy.decision import CriterionResult, PathResult, decide, is_continuing, status_of
from cds_service.policy.metadata import CriterionStatus, PathKind


def _path(path_id: str, *statuses: CriterionStatus, kind: PathKind = "initial") -> PathResult:
    return PathResult(
        id=path_id,
        title=path_id,
        kind=kind,
        criteria=tuple(
            CriterionResult(
                id=f"{path_id}.{n}",
                description="",
                status=status,
                evidence=(),
                submit="",
                question="",
                define=f"C{n}",
            )
            for n, status in enumerate(statuses, start=1)
        ),
    )


def test_a_fully_met_path_approves_even_when_another_path_fails() -> None:
    decision, path = decide([_path("I.A", "not-met", "met"), _path("I.B", "met", "met")])
    assert (decision, path.id) == ("approved", "I.B")


def test_unknown_without_not_met_asks_for_information() -> None:
    decision, path = decide([_path("I.A", "met", "unknown", "unknown"), _path("I.B", "unknown", "met", "met")])
    assert (decision, path.id) == ("needs-info", "I.B")


def test_every_path_failing_is_not_met_and_shows_the_closest_path() -> None:
    decision, path = decide([_path("I.A", "not-met", "not-met", "met"), _path("I.B", "not-met", "met", "met")])
    assert (decision, path.id) == ("not-met", "I.B")


def test_not_met_wins_over_unknown_within_a_path() -> None:
    assert _path("I.A", "unknown", "not-met").status == "not-met"
    assert _path("I.A", "unknown", "met").status == "unknown"
    assert _path("I.A", "met", "met").status == "met"


@pytest.mark.parametrize(("value", "status"), [(True, "met"), (False, "not-met"), (None, "unknown")])
def test_boolean_define_values_map_to_three_statuses(value: bool | None, status: str) -> None:
    assert status_of(value, "X") == status


def test_a_non_boolean_criterion_is_a_policy_bug() -> None:
    with pytest.raises(TypeError, match="'Dose' returned int"):
        status_of(3, "Dose")


def _continued(*statuses: CriterionStatus) -> PathResult:
    return _path("II.A", *statuses, kind="continued")


def test_a_continuing_patient_meeting_both_gets_the_continued_path() -> None:
    # The path's kind selects the approval duration: continued, not the shorter initial one.
    decision, path = decide([_path("I.A", "met", "met"), _continued("met", "met")], continuing=True)
    assert (decision, path.id, path.kind) == ("approved", "II.A", "continued")


def test_a_continuing_patient_is_not_approved_on_initial_criteria() -> None:
    # Progressing on the drug: initial criteria still hold, but they are for new starts.
    decision, path = decide([_path("I.A", "met", "met"), _continued("met", "not-met")], continuing=True)
    assert (decision, path.id) == ("not-met", "II.A")


def test_a_continuing_patient_with_open_continued_criteria_is_asked_about_them() -> None:
    decision, path = decide([_path("I.A", "met", "met"), _continued("met", "unknown")], continuing=True)
    assert (decision, path.id) == ("needs-info", "II.A")


def test_a_new_start_is_decided_on_every_path() -> None:
    decision, path = decide([_path("I.A", "met", "met"), _continued("not-met", "unknown")])
    assert (decision, path.id) == ("approved", "I.A")


def test_continuing_without_a_continued_path_is_a_policy_bug() -> None:
    with pytest.raises(ValueError, match="continued path"):
        decide([_path("I.A", "met")], continuing=True)


@pytest.mark.parametrize("value", [True, False])
def test_the_continuing_define_is_true_or_false(value: bool) -> None:
    assert is_continuing(value, "On Drug") is value


@pytest.mark.parametrize("value", [None, 1, "yes"])
def test_a_continuing_define_that_is_not_true_or_false_is_a_policy_bug(value: object) -> None:
    with pytest.raises(TypeError, match="'On Drug'"):
        is_continuing(value, "On Drug")
