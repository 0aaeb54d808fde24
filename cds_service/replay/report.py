"""What `replay` prints: per order the decision and a criteria table (rich), or one JSON document."""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Iterable
from dataclasses import asdict
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from .run import DecisionChange, InputOutcome, OrderOutcome

DECISION_STYLE = {
    "approved": "bold green",
    "needs-info": "bold yellow",
    "not-met": "bold red",
    "no-policy": "cyan",
    "indeterminate": "magenta",
}
STATUS_STYLE = {"met": "green", "not-met": "red", "unknown": "yellow"}
STATUS_LABEL = {"met": "met", "not-met": "not met", "unknown": "unknown"}


def print_outcome(console: Console, outcome: InputOutcome) -> None:
    console.rule(Text(outcome.label, style="bold"))
    if outcome.error:
        console.print(Text(f"error: {outcome.error}", style="bold red"))
        return
    console.print(f"payer [bold]{outcome.payer}[/bold], line of business [bold]{outcome.line_of_business}[/bold]")
    for order in outcome.orders:
        print_order(console, order)
    for note in outcome.notes:
        console.print(f"  {note}", markup=False, highlight=False)


def print_order(console: Console, order: OrderOutcome) -> None:
    headline = Text.assemble(
        (order.order, "bold"),
        "  ",
        (order.decision, DECISION_STYLE.get(order.decision, "bold")),
        f"  covered={order.covered}",
        f" pa-needed={order.pa_needed}" if order.pa_needed else "",
        f" expiry={order.expiry}" if order.expiry else "",
    )
    console.print(headline)
    if order.policy_id:
        console.print(f"  policy {order.policy_id} version {order.policy_version}")
    if order.summary:
        console.print(f"  card: {order.summary}", markup=False, highlight=False)
    if not order.criteria:
        return
    table = Table(show_header=True, header_style="bold", expand=False, pad_edge=False)
    table.add_column("Criterion", no_wrap=True)
    table.add_column("Status", no_wrap=True)
    table.add_column("Requirement")
    table.add_column("Evidence")
    for criterion in order.criteria:
        table.add_row(
            criterion.id,
            Text(
                STATUS_LABEL.get(criterion.status, criterion.status),
                style=STATUS_STYLE.get(criterion.status, ""),
            ),
            Text(criterion.description),
            Text(_evidence(criterion.evidence)),
        )
    console.print(table)


def _evidence(references: tuple[str, ...], shown: int = 4) -> str:
    """The first few references; --json has them all (a chemo history can cite hundreds of orders)."""
    if not references:
        return "none found"
    text = ", ".join(references[:shown])
    return text + (f" (+{len(references) - shown} more)" if len(references) > shown else "")


def summary(outcomes: list[InputOutcome], total_s: float) -> dict[str, Any]:
    by_policy: Counter[tuple[str, str]] = Counter()
    for outcome in outcomes:
        for order in outcome.orders:
            by_policy[(order.policy_id or "(no policy)", order.decision)] += 1
    times = [o.elapsed_ms for o in outcomes]
    return {
        "inputs": len(outcomes),
        "orders": sum(len(o.orders) for o in outcomes),
        "errors": sum(1 for o in outcomes if o.error),
        "decisions_by_policy": [
            {"policy": policy, "decision": decision, "count": count}
            for (policy, decision), count in sorted(by_policy.items())
        ],
        "timing_ms": {
            "total": round(total_s * 1000.0, 1),
            "mean": round(statistics.fmean(times), 2) if times else 0.0,
            "median": round(statistics.median(times), 2) if times else 0.0,
            "max": round(max(times), 2) if times else 0.0,
        },
    }


def print_summary(console: Console, facts: dict[str, Any]) -> None:
    console.rule(Text("summary", style="bold"))
    table = Table(show_header=True, header_style="bold", title="Decisions by policy")
    table.add_column("Policy")
    table.add_column("Decision")
    table.add_column("Orders", justify="right")
    for row in facts["decisions_by_policy"]:
        table.add_row(
            row["policy"],
            Text(row["decision"], style=DECISION_STYLE.get(row["decision"], "")),
            str(row["count"]),
        )
    console.print(table)
    timing = facts["timing_ms"]
    console.print(
        f"{facts['inputs']} input(s), {facts['orders']} order(s), {facts['errors']} error(s); "
        f"per input mean {timing['mean']} ms, median {timing['median']} ms, max {timing['max']} ms; "
        f"total {timing['total']} ms"
    )


def print_changes(console: Console, changes: list[DecisionChange], other: str) -> None:
    console.rule(Text(f"decisions that change under {other}", style="bold"))
    if not changes:
        console.print("no decision changes")
        return
    table = Table(show_header=True, header_style="bold")
    for column in ("Input", "Order", "Policy", "Before", "After"):
        table.add_column(column, overflow="fold")
    for change in changes:
        table.add_row(
            change.input,
            change.order,
            change.policy_after or change.policy_before or "",
            Text(change.before, style=DECISION_STYLE.get(change.before, "")),
            Text(change.after, style=DECISION_STYLE.get(change.after, "")),
        )
    console.print(table)


def as_json(
    outcomes: Iterable[InputOutcome], facts: dict[str, Any], changes: list[DecisionChange] | None
) -> dict[str, Any]:
    document: dict[str, Any] = {"results": [asdict(o) for o in outcomes], "summary": facts}
    if changes is not None:
        document["changes"] = [asdict(c) for c in changes]
    return document
