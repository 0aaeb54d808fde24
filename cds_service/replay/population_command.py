"""`replay --population DIR_OR_GLOB`: a Bulk Data export decided patient by patient on Dask, as data and a report.

Writes `<out>/results.parquet|csv` (and with `--compare-policies`, `<out>/comparison.parquet|csv` with the flips
marked), and `<out>/report.html`; prints a progress bar and a summary line with patients/s. A patient whose
decision fails is an error row, counted and listed; the job goes on (exit status 1 when any failed).
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from . import results
from .cluster import run_population
from .patients import PopulationOptions
from .population import export_files
from .population_report import RunFacts, render, write_report

SHOWN_ERRORS = 10


def run_population_command(
    source: str,
    options: PopulationOptions,
    out: Path,
    *,
    compare_policies: Path | None,
    scheduler: str | None,
    workers: int | None,
    sequential: bool,
    console: Console,
) -> int:
    """The number of patients whose decision failed."""
    files = export_files(source)
    runs = [options] if compare_policies is None else [options, replace(options, policies=compare_policies)]
    engine = "sequential" if sequential else (f"dask {scheduler}" if scheduler else "dask local cluster")
    progress = Progress(
        TextColumn("[bold]replaying[/bold] {task.fields[patients]} patients"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("partitions"),
        TimeElapsedColumn(),
        console=console,
    )
    with progress:
        task = progress.add_task("population", total=None, patients=0)

        def started(partitions: int, _workers: int) -> None:
            progress.update(task, total=partitions)

        def advanced(patients: int, partitions: int) -> None:
            progress.update(task, completed=partitions, patients=f"{patients:,}")

        run = run_population(
            files,
            runs,
            scheduler=scheduler,
            workers=workers,
            sequential=sequential,
            on_start=started,
            on_progress=advanced,
        )
    baseline = run.rows[0]
    written = [*results.write(results.table(baseline), out, "results")]
    compared = run.rows[1] if compare_policies is not None else None
    if compared is not None:
        written += results.write(results.side_by_side(baseline, compared), out, "comparison")
    failed = sorted({patient for patient, _ in run.errors})
    facts = RunFacts(source, run.patients, run.orphans, len(failed), run.seconds, run.workers, engine)
    page = render(
        facts,
        baseline,
        compared=compared,
        baseline_label=str(options.policies),
        compared_label=str(compare_policies) if compare_policies else None,
    )
    written.append(write_report(out / "report.html", page))
    console.print(
        f"{run.patients:,} patients ({run.lines:,} resources, {len(files)} files), {len(baseline):,} orders, "
        f"{len(failed)} patient(s) with errors; {run.seconds:.1f} s, "
        f"[bold]{run.patients_per_second:,.0f} patients/s[/bold] on {run.workers} worker(s) ({engine})"
    )
    if run.orphans:
        console.print(f"[yellow]skipped[/yellow] {run.orphans} patient id(s) with data but no Patient resource")
    for patient, message in run.errors[:SHOWN_ERRORS]:
        console.print(f"[red]error[/red] Patient/{patient}: {message}")
    if len(run.errors) > SHOWN_ERRORS:
        console.print(f"… and {len(run.errors) - SHOWN_ERRORS} more (the error column of the results)")
    for path in written:
        console.print(f"wrote {path}")
    return len(failed)
