"""`python -m cds_service serve --host 127.0.0.1 --port 8080`."""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager

import orjson
import typer
import uvicorn

from .metrics import MULTIPROC_DIR_ENV
from .replay import replay_command
from .settings import Settings
from .store import open_store

cli = typer.Typer(add_completion=False, help="coverage-hooks: a CRD 2.2 CDS Hooks service for drug PA.")


@cli.callback()
def main() -> None:
    """coverage-hooks command line."""


@cli.command()
def serve(
    host: str = typer.Option("127.0.0.1", help="interface to bind"),
    port: int = typer.Option(None, help="port (default: $PORT or 8080)"),
    workers: int = typer.Option(1, help="worker processes"),
    log_level: str = typer.Option("info", help="log level"),
) -> None:
    """Serve the CDS Hooks endpoints, configured from the environment (see README)."""
    logging.basicConfig(level=log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    chosen_port = port if port is not None else int(os.environ.get("PORT") or 8080)
    with _shared_metrics_dir(workers):
        uvicorn.run(
            "cds_service.app:app_from_env",
            factory=True,
            host=host,
            port=chosen_port,
            workers=workers,
            log_level=log_level,
            access_log=False,
        )


@contextmanager
def _shared_metrics_dir(workers: int) -> Iterator[None]:
    """With several workers, a fresh directory where each writes its metrics, so any of them can answer the sum.

    Set here, before uvicorn starts the workers: they inherit it, and prometheus_client reads it when first
    imported. An operator's own PROMETHEUS_MULTIPROC_DIR is used as it is and left in place.
    """
    if workers <= 1 or os.environ.get(MULTIPROC_DIR_ENV):
        yield
        return
    created = tempfile.mkdtemp(prefix="cds-metrics-")
    os.environ[MULTIPROC_DIR_ENV] = created
    logging.getLogger("cds_service").info("metrics of the %d workers are shared through %s", workers, created)
    try:
        yield
    finally:
        del os.environ[MULTIPROC_DIR_ENV]
        shutil.rmtree(created, ignore_errors=True)


@cli.command()
def audit(hook_instance: str = typer.Argument(..., help="the hookInstance of the call")) -> None:
    """Print what the service answered for one hook call (CRD found-37/38), from the configured audit store."""
    settings = Settings.from_env()
    store = open_store(database_url=settings.database_url, db_path=settings.db_path)
    try:
        records = store.invocations(hook_instance)
    finally:
        store.close()
    if not records:
        typer.echo(f"no hook call with hookInstance {hook_instance} in the audit store", err=True)
        raise typer.Exit(1)
    for record in records:
        record["request_body"] = orjson.loads(record["request_body"]) if record["request_body"] else None
        record["response_body"] = orjson.loads(record["response_body"]) if record["response_body"] else None
    typer.echo(orjson.dumps(records, option=orjson.OPT_INDENT_2).decode())


cli.command("replay")(replay_command)  # offline bundle replay (issue 3), see cds_service/replay.py

if __name__ == "__main__":
    cli()
