"""`python -m cds_service replay PATH...`: replay hook requests and patient records through the policies.

For analysts: the same pipeline as the server (cds_service.pipeline.answer), offline, over files and
directories, with a per-order criteria table, a closing summary, and `--compare-policies` to see which
decisions a policy change would flip.
"""

from __future__ import annotations

import sys
import time
from datetime import date
from pathlib import Path
from typing import Annotated

import orjson
import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from ..pipeline import Engine
from ..settings import SAMPLE_PAYERS_FILE
from .inputs import PatientRecordInput, ReplayInput, ReplayInputError, expand, read_inputs
from .orders import OrderSpec, OrderSpecError
from .patients import PopulationOptions
from .report import as_json, print_changes, print_outcome, print_summary, summary
from .run import InputOutcome, build_engine, compare, evaluation_time, run_all


def replay_command(
    paths: Annotated[
        list[Path] | None,
        typer.Argument(
            help="hook-request JSON, FHIR Bundles (transaction/collection/searchset), NDJSON, or directories"
        ),
    ] = None,
    order: Annotated[str | None, typer.Option(help="drug to order for patient records, e.g. rxnorm:2628240")] = None,
    dose: Annotated[str | None, typer.Option(help="dose of that order, e.g. 960mg/d or 480mg*2/d")] = None,
    payer: Annotated[str | None, typer.Option(help="payer key for patient records (replaces their Coverage)")] = None,
    lob: Annotated[str | None, typer.Option(help="line of business: medicaid|marketplace|commercial|fehb")] = None,
    on: Annotated[str | None, typer.Option("--date", help="evaluation date YYYY-MM-DD (default: today)")] = None,
    policies: Annotated[Path, typer.Option(help="policy folder")] = Path("policies"),
    payers_file: Annotated[Path, typer.Option("--payers", help="payers configuration file")] = SAMPLE_PAYERS_FILE,
    compare_policies: Annotated[
        Path | None,
        typer.Option("--compare-policies", help="re-run under this policy folder; list the decisions that change"),
    ] = None,
    json_output: Annotated[bool, typer.Option("--json", help="print one JSON document instead of tables")] = False,
    population: Annotated[
        str | None,
        typer.Option(help="a Bulk Data export (folder or glob of .ndjson / .ndjson.gz): replay every patient"),
    ] = None,
    out: Annotated[Path, typer.Option(help="--population: folder for results.parquet/.csv and report.html")] = Path(
        "var/population-replay"
    ),
    scheduler: Annotated[
        str | None, typer.Option(help="--population: a Dask scheduler (tcp://host:8786); default a local cluster")
    ] = None,
    workers: Annotated[
        int | None, typer.Option(help="--population: local worker processes (default: one per core)")
    ] = None,
    sequential: Annotated[bool, typer.Option(help="--population: one process, no Dask (for comparison)")] = False,
) -> None:
    """Replay hook requests and patient records through the policies and show each order's decision."""
    console = Console(stderr=json_output, highlight=False)
    notes = Console(stderr=True, highlight=False)  # errors and skipped inputs never mix with the results
    if population is not None:
        _population(
            population,
            order,
            dose,
            payer,
            lob,
            on,
            policies,
            payers_file,
            compare_policies,
            out,
            scheduler,
            workers,
            sequential,
        )
        return
    paths = paths or []
    if not paths:
        notes.print("[bold red]error:[/bold red] give files or directories to replay, or --population")
        raise typer.Exit(2)
    try:
        day = date.fromisoformat(on) if on else None
        now = evaluation_time(day)
        spec = OrderSpec.parse(order, dose, payer, lob, now.date()) if order else None
        if spec is None and (dose or payer or lob):
            raise OrderSpecError("--dose, --payer and --lob describe the --order to build; give --order too")
        files = expand(paths)
        found = read_inputs(files, explicit=[p for p in paths if p.is_file()])
    except (ValueError, ReplayInputError, OrderSpecError) as exc:
        notes.print(f"[bold red]error:[/bold red] {exc}")
        raise typer.Exit(2) from None
    items = found.inputs
    if spec is None:
        records = [i for i in items if isinstance(i, PatientRecordInput)]
        if records:
            notes.print(f"[yellow]skipped[/yellow] {len(records)} patient record(s): give --order to replay them")
            items = [i for i in items if not isinstance(i, PatientRecordInput)]
    for reason in found.skipped:
        notes.print(f"[yellow]skipped[/yellow] {reason}")
    if not items:
        notes.print("[bold red]error:[/bold red] no hook requests or patient records found")
        raise typer.Exit(2)

    engine = build_engine(policies, payers_file, now)
    started = time.perf_counter()
    outcomes = _run(items, engine, spec, console, show_progress=any(p.is_dir() for p in paths), quiet=json_output)
    facts = summary(outcomes, time.perf_counter() - started)

    changes = None
    if compare_policies is not None:
        other = build_engine(compare_policies, payers_file, now)
        changes = compare(outcomes, run_all(items, other, spec))

    if json_output:
        sys.stdout.write(orjson.dumps(as_json(outcomes, facts, changes), option=orjson.OPT_INDENT_2).decode())
        sys.stdout.write("\n")
    else:
        print_summary(console, facts)
        if changes is not None and compare_policies is not None:
            print_changes(console, changes, str(compare_policies))
    if facts["errors"]:
        raise typer.Exit(1)


def _population(
    source: str,
    order: str | None,
    dose: str | None,
    payer: str | None,
    lob: str | None,
    on: str | None,
    policies: Path,
    payers_file: Path,
    compare_policies: Path | None,
    out: Path,
    scheduler: str | None,
    workers: int | None,
    sequential: bool,
) -> None:
    console = Console(highlight=False)
    try:
        now = evaluation_time(date.fromisoformat(on) if on else None)
        spec = OrderSpec.parse(order, dose, payer, lob, now.date()) if order else None
        if dose and spec is None:
            raise OrderSpecError("--dose describes the --order to build; give --order too")
        if lob and not payer:
            raise OrderSpecError("--lob needs --payer")
        options = PopulationOptions(policies, payers_file, now, spec, payer, lob)
        # Imported here: population replay brings Dask, pyarrow and Altair (about 70 MB), which every other command,
        # the server above all, never needs.
        from .population_command import run_population_command

        failed = run_population_command(
            source,
            options,
            out,
            compare_policies=compare_policies,
            scheduler=scheduler,
            workers=workers,
            sequential=sequential,
            console=console,
        )
    except (ValueError, OrderSpecError) as exc:
        console.print(f"[bold red]error:[/bold red] {exc}")
        raise typer.Exit(2) from None
    if failed:
        raise typer.Exit(1)


def _run(
    items: list[ReplayInput],
    engine: Engine,
    spec: OrderSpec | None,
    console: Console,
    *,
    show_progress: bool,
    quiet: bool,
) -> list[InputOutcome]:
    if not show_progress:
        outcomes = run_all(items, engine, spec)
        if not quiet:
            for outcome in outcomes:
                print_outcome(console, outcome)
        return outcomes
    progress = Progress(
        TextColumn("replaying"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), console=console
    )
    with progress:
        task = progress.add_task("replay", total=len(items))

        def done(outcome: InputOutcome) -> None:
            if not quiet:
                print_outcome(progress.console, outcome)
            progress.advance(task)

        return run_all(items, engine, spec, on_done=done)
