"""`python -m cds_service policy test [PATH] [-k NAME]`: run the policies' own cases and print a table.

OPA's `opa test` is the model: the cases in each policy folder (tests/cases.yaml) run through the same runner
pytest wraps (cases.py); the command exits 1 when a case fails or when nothing matched, so CI and an author
editing a policy see the same verdicts.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from .cases import CaseOutcome, describe, load_cases, run_case
from .registry import PolicyRegistry

policy_cli = typer.Typer(add_completion=False, help="Work with policy folders.")


@policy_cli.command("test")
def test_command(
    path: Annotated[Path, typer.Argument(help="a policy folder, or a tree of them")] = Path("policies"),
    name: Annotated[str | None, typer.Option("-k", help="only cases whose <policy>/<note> contains this")] = None,
    verbose: Annotated[bool, typer.Option("-v", help="print every criterion of failing cases")] = False,
) -> None:
    """Run every case of the policies under PATH and print PASS/FAIL per case."""
    registry = PolicyRegistry.load(path)
    cases = [case for policy in registry for case in load_cases(policy) if name is None or name in case.test_id]
    outcomes = [run_case(case) for case in cases]
    console = Console(width=160)
    console.print(outcome_table(outcomes))
    failed = [outcome for outcome in outcomes if not outcome.passed]
    if verbose:
        for outcome in failed:
            console.print(describe(outcome), markup=False, highlight=False)
    console.print(f"{len(outcomes) - len(failed)} passed, {len(failed)} failed", markup=False)
    if failed or not outcomes:
        if not outcomes:
            console.print(f"no case matched under {path}", markup=False)
        raise typer.Exit(1)


def outcome_table(outcomes: list[CaseOutcome]) -> Table:
    table = Table("result", "policy", "case", "expected", "got", "mismatch")
    for outcome in outcomes:
        case, decision = outcome.case, outcome.decision
        table.add_row(
            "PASS" if outcome.passed else "FAIL",
            case.policy.id,
            case.note,
            str(case.expect.get("decision", "")),
            f"{decision.decision} ({decision.path.id})",
            "; ".join(outcome.mismatches),
        )
    return table
