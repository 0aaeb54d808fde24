from __future__ import annotations

import pytest

from cds_service.policy.decision import CriterionResult, PathResult, decide, status_of
from cds_service.policy.metadata import CriterionStatus


def _path(path_id: str, *statuses: CriterionStatus) -> PathResult:
    return PathResult(
        id=path_id,
        title=path_id,
        kind="initial",
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
