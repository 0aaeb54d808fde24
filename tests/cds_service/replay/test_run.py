"""replay_run: which decisions a second policy set changes, and the evaluation clock."""

from __future__ import annotations

from datetime import UTC, date, datetime

from cds_service.replay.run import InputOutcome, OrderOutcome, compare, evaluation_time


def order(ref: str, decision: str, policy: str | None = "p-1") -> OrderOutcome:
    return OrderOutcome(ref, decision, "covered", None, policy, "1", None, None, ())


def outcome(*orders: OrderOutcome, error: str | None = None, label: str = "in.json") -> InputOutcome:
    return InputOutcome(label, "hook-request", orders=orders, error=error)


def test_only_changed_decisions_are_listed() -> None:
    before = [outcome(order("MedicationRequest/a", "not-met"), order("MedicationRequest/b", "approved"))]
    after = [outcome(order("MedicationRequest/a", "approved"), order("MedicationRequest/b", "approved"))]
    [change] = compare(before, after)
    assert (change.input, change.order, change.before, change.after) == (
        "in.json",
        "MedicationRequest/a",
        "not-met",
        "approved",
    )


def test_a_policy_that_disappears_shows_as_no_policy_and_unchanged_runs_list_nothing() -> None:
    before = [outcome(order("MedicationRequest/a", "approved"))]
    after = [outcome(order("MedicationRequest/a", "no-policy", policy=None))]
    [change] = compare(before, after)
    assert (change.before, change.after, change.policy_before, change.policy_after) == (
        "approved",
        "no-policy",
        "p-1",
        None,
    )
    assert compare(before, before) == []


def test_an_input_that_starts_or_stops_failing_is_a_change() -> None:
    answered = [outcome(order("MedicationRequest/a", "approved"))]
    failing = [outcome(error="HTTP 400: no active Coverage")]
    [change] = compare(answered, failing)
    assert (change.order, change.before, change.after) == ("-", "answered", "error: HTTP 400: no active Coverage")
    assert compare(failing, failing) == []


def test_evaluation_happens_at_noon_utc_of_the_given_day() -> None:
    assert evaluation_time(date(2026, 11, 23)) == datetime(2026, 11, 23, 12, tzinfo=UTC)
