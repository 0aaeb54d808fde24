"""`serve --workers N` (N > 1): the policies are loaded once, in the master, and N forked workers share them.

With uvicorn's own multiprocess mode every worker is a fresh interpreter that compiles every policy again: N times
the start-up and N private copies of the compiled libraries (a payer has about a thousand policies). Here gunicorn's
master loads the policy registry before forking (`preload_app`), freezes it out of the garbage collector's scans
(a collection in a worker would otherwise write to every object's header and un-share its page), and forks
workers running uvicorn (the `uvicorn-worker` package's worker class). Everything that must not cross a fork is
made in the worker, on its first ASGI call (the lifespan startup): the audit store's connection (SQLite or
PostgreSQL), its group-commit writer thread, the EHR HTTP client, the metrics values.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from gunicorn.app.base import BaseApplication

from .app import create_app, freeze_heap, load_policies
from .pipeline import PolicyCatalog
from .policy.evaluate import Evaluator
from .settings import Settings

log = logging.getLogger("cds_service")
WORKER_CLASS = "uvicorn_worker.UvicornWorker"
Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]


class ForkedWorkerApp:
    """The ASGI application the master hands its workers: the preloaded policies, and the service built around them
    in each worker on its first call."""

    def __init__(self, settings: Settings, policies: tuple[PolicyCatalog, Evaluator | None]) -> None:
        self.settings = settings
        self.policies = policies
        self.master_pid = os.getpid()
        self._app: Callable[[Scope, Receive, Send], Awaitable[None]] | None = None

    def service(self) -> Callable[[Scope, Receive, Send], Awaitable[None]]:
        if self._app is None:
            if os.getpid() == self.master_pid:
                raise RuntimeError("the service is built in a forked worker, never in the master")
            self._app = create_app(self.settings, policies=self.policies)
            freeze_heap()
        return self._app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.service()(scope, receive, send)


class PreforkServer(BaseApplication):  # type: ignore[misc]  # gunicorn ships no type hints
    """gunicorn configured in code (no config file, no command line of its own)."""

    def __init__(self, options: dict[str, Any]) -> None:
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self) -> ForkedWorkerApp:
        # With preload_app this runs once, in the master, before the workers are forked.
        _file_backed_metrics_if_configured()
        settings = Settings.from_env()
        catalog, evaluator, count = load_policies(settings)
        freeze_heap()
        log.info("%d policies loaded in the master, shared by the forked workers", count)
        return ForkedWorkerApp(settings, (catalog, evaluator))


def serve_forked(host: str, port: int, workers: int, log_level: str) -> None:
    PreforkServer(
        {
            "bind": f"{host}:{port}",
            "workers": workers,
            "worker_class": WORKER_CLASS,
            "preload_app": True,
            "loglevel": log_level,
            "accesslog": None,
            "graceful_timeout": 10,
            "timeout": 60,
            "control_socket_disable": True,  # no gunicornc socket in the user's home: nothing here administers it
        }
    ).run()


def _file_backed_metrics_if_configured() -> None:
    """prometheus_client picks file-backed (multiprocess) values when it is first imported, and this process imported
    it before `serve` set PROMETHEUS_MULTIPROC_DIR: pick again, as it would have, so the forked workers' metrics are
    written where any worker can sum them."""
    from prometheus_client import values

    values.ValueClass = values.get_value_class()  # type: ignore[no-untyped-call]
