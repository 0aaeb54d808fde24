"""`python -m cds_service serve --host 127.0.0.1 --port 8080`."""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
import typer
import uvicorn
from typer.core import TyperGroup

from .audit.metrics import MULTIPROC_DIR_ENV
from .audit.records import AuditStore
from .audit.store import open_store
from .policy.cli import policy_cli
from .replay.command import replay_command
from .security.redaction import RedactingFilter
from .settings import Settings

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
    for handler in logging.getLogger().handlers:
        handler.addFilter(RedactingFilter())  # no credential reaches the log, whatever a message quotes
    chosen_port = port if port is not None else int(os.environ.get("PORT") or 8080)
    with _shared_metrics_dir(workers):
        if workers > 1:
            from .prefork import serve_forked  # policies loaded once, workers forked (cds_service/prefork.py)

            serve_forked(host, chosen_port, workers, log_level)
            return
        uvicorn.run(
            "cds_service.app:app_from_env",
            factory=True,
            host=host,
            port=chosen_port,
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


class _AuditGroup(TyperGroup):
    """`audit HOOK_INSTANCE` (the documented form) stays `audit call HOOK_INSTANCE`."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:  # typer's vendored click.Context
        if args and not args[0].startswith("-") and args[0] not in self.commands:
            args = ["call", *args]
        return super().parse_args(ctx, args)


audit_cli = typer.Typer(cls=_AuditGroup, no_args_is_help=True, help="Read or purge the audit store (CRD found-37/38).")
cli.add_typer(audit_cli, name="audit")


@contextmanager
def _store() -> Iterator[AuditStore]:
    settings = Settings.from_env()
    store = open_store(database_url=settings.database_url, db_path=settings.db_path)
    try:
        yield store
    finally:
        store.close()


@audit_cli.command("call")
def audit_call(hook_instance: str = typer.Argument(..., help="the hookInstance of the call")) -> None:
    """Print what the service answered for one hook call, from the configured audit store."""
    with _store() as store:
        records = store.invocations(hook_instance)
    if not records:
        typer.echo(f"no hook call with hookInstance {hook_instance} in the audit store", err=True)
        raise typer.Exit(1)
    for record in records:
        record["request_body"] = orjson.loads(record["request_body"]) if record["request_body"] else None
        record["response_body"] = orjson.loads(record["response_body"]) if record["response_body"] else None
    typer.echo(orjson.dumps(records, option=orjson.OPT_INDENT_2).decode())


@audit_cli.command("pa")
def audit_pa(
    pa_number: str = typer.Argument(..., help="a PA number the service issued, e.g. PA-90EA090B67CF4E89"),
) -> None:
    """Print the determination behind a PA number: order, coverage, policy version, criteria, dates."""
    with _store() as store:
        found = store.determination_by_pa(pa_number)
    if found is None:
        typer.echo(f"no determination with PA number {pa_number} in the audit store", err=True)
        raise typer.Exit(1)
    typer.echo(orjson.dumps(found, option=orjson.OPT_INDENT_2).decode())


@audit_cli.command("purge")
def audit_purge(
    older_than: int = typer.Option(
        None, "--older-than", min=1, help="days to keep (default: $CDS_AUDIT_RETENTION_DAYS, 2190)"
    ),
) -> None:
    """Delete calls and feedback older than the retention, and determinations that expired before it."""
    days = older_than if older_than is not None else Settings.from_env().audit_retention_days
    cutoff = (datetime.now(UTC).date() - timedelta(days=days)).isoformat()
    with _store() as store:
        counts = store.purge(cutoff)
    typer.echo(
        f"purged records before {cutoff}: {counts.invocations} hook calls, {counts.feedback} feedback items, "
        f"{counts.determinations} determinations"
    )


cli.add_typer(policy_cli, name="policy")  # `policy test`: the policies' own cases, see cds_service/policy/cli.py
cli.command("replay")(replay_command)  # offline bundle replay (issue 3), see cds_service/replay/command.py

if __name__ == "__main__":
    cli()
