"""Run a population on Dask distributed (an embedded local cluster, or `--scheduler tcp://host:8786`), or in-process.

Both runners call the same two task functions (`scatter` per export file, `decide_partition` per partition), so a
distributed run and a sequential one decide the same patients with the same code: the results are sorted the same
way and must be equal (a test checks it). With a remote scheduler, the export and the work folder must be on a
path every worker sees.
"""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .patients import PopulationOptions, ResultRow, decide_patient
from .population import gather, read_shared, scatter

Progress = Callable[[int, int], None]
"""Called after each partition with (patients done so far, partitions done so far)."""


@dataclass(frozen=True)
class PartitionResult:
    rows: tuple[tuple[ResultRow, ...], ...]
    """Per policy set (the options in the order given), the rows of the partition's patients."""
    patients: int
    orphans: int
    errors: tuple[tuple[str, str], ...]
    """(patient id, message) of the patients whose decision failed, under any policy set."""


@dataclass
class PopulationRun:
    rows: list[list[ResultRow]]
    patients: int = 0
    orphans: int = 0
    errors: list[tuple[str, str]] = field(default_factory=list)
    lines: int = 0
    seconds: float = 0.0
    workers: int = 1

    @property
    def patients_per_second(self) -> float:
        return self.patients / self.seconds if self.seconds else 0.0


def decide_partition(
    work: str, partition: int, shared: dict[str, dict[str, Any]], options: Sequence[PopulationOptions]
) -> PartitionResult:
    found = gather(Path(work), partition, shared)
    rows: list[list[ResultRow]] = [[] for _ in options]
    errors: list[tuple[str, str]] = []
    for record in found.records:
        for index, option in enumerate(options):
            decided = decide_patient(record, option)
            rows[index].extend(decided)
            errors.extend((record.patient_id, r.error) for r in decided if r.error is not None)
    return PartitionResult(tuple(tuple(r) for r in rows), len(found.records), found.orphans, tuple(errors))


def partitions_for(total_bytes: int, workers: int) -> int:
    # Several partitions per worker so the progress bar moves and a slow partition does not idle the others; each
    # about 32 MB of NDJSON at most, so a partition's patients fit a worker's memory whatever the export's size.
    return max(workers * 4, -(-total_bytes // (32 * 1024 * 1024)))


def _ndjson_bytes(path: Path) -> int:
    # gzip shrinks FHIR NDJSON about tenfold: size partitions by what they hold once read
    return path.stat().st_size * (10 if path.suffix == ".gz" else 1)


def run_population(
    files: Sequence[Path],
    options: Sequence[PopulationOptions],
    *,
    scheduler: str | None = None,
    workers: int | None = None,
    sequential: bool = False,
    partitions: int | None = None,
    on_progress: Progress | None = None,
    on_start: Callable[[int, int], None] | None = None,
) -> PopulationRun:
    """Decide every patient of the export under each policy set; rows sorted by patient and order."""
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="replay-population-") as work:
        with _runner(scheduler, workers, sequential) as runner:
            count = partitions or partitions_for(sum(_ndjson_bytes(f) for f in files), runner.workers)
            if on_start is not None:
                on_start(count, runner.workers)
            run = PopulationRun(rows=[[] for _ in options], workers=runner.workers)
            run.lines = sum(runner.map(scatter, [(f, n, Path(work), count) for n, f in enumerate(files)]))
            shared = read_shared(Path(work))
            done = 0
            for result in runner.unordered(
                decide_partition, [(work, k, shared, tuple(options)) for k in range(count)], broadcast=shared
            ):
                for index, rows in enumerate(result.rows):
                    run.rows[index].extend(rows)
                run.patients += result.patients
                run.orphans += result.orphans
                run.errors.extend(result.errors)
                done += 1
                if on_progress is not None:
                    on_progress(run.patients, done)
    for rows in run.rows:
        rows.sort(key=lambda r: (r.patient_id, r.order, r.drug))
    run.errors.sort()
    run.seconds = time.perf_counter() - started
    return run


class _Sequential:
    workers = 1

    def map(self, function: Callable[..., Any], calls: list[tuple[Any, ...]]) -> list[Any]:
        return [function(*call) for call in calls]

    def unordered(
        self, function: Callable[..., Any], calls: list[tuple[Any, ...]], broadcast: object = None
    ) -> Iterator[Any]:
        for call in calls:
            yield function(*call)


class _Dask:
    def __init__(self, client: Any) -> None:
        self.client = client
        self.workers = max(1, len(client.scheduler_info().get("workers", {})))

    def map(self, function: Callable[..., Any], calls: list[tuple[Any, ...]]) -> list[Any]:
        futures = [self.client.submit(function, *call, pure=False) for call in calls]
        return list(self.client.gather(futures))

    def unordered(
        self, function: Callable[..., Any], calls: list[tuple[Any, ...]], broadcast: object = None
    ) -> Iterator[Any]:
        from distributed import as_completed

        # The shared resources go to every worker once, not with each task
        shared = self.client.scatter(broadcast, broadcast=True) if broadcast is not None else None
        futures = [
            self.client.submit(function, *[shared if arg is broadcast else arg for arg in call], pure=False)
            for call in calls
        ]
        for future in as_completed(futures):
            yield future.result()
            future.release()


@contextmanager
def _runner(scheduler: str | None, workers: int | None, sequential: bool) -> Iterator[_Sequential | _Dask]:
    if sequential:
        yield _Sequential()
        return
    from distributed import Client, LocalCluster

    if scheduler is not None:
        with Client(scheduler) as client:
            yield _Dask(client)
        return
    count = workers or os.cpu_count() or 1
    # one single-threaded worker process per core: the policies are pure Python, threads would share one GIL
    with (
        LocalCluster(
            n_workers=count, threads_per_worker=1, processes=True, dashboard_address=None, silence_logs=40
        ) as cluster,
        Client(cluster) as client,
    ):
        yield _Dask(client)
