"""create_app(settings): the FastAPI application, with policies compiled and the audit store open."""

from __future__ import annotations

import gc
import logging
from collections.abc import AsyncIterator, Callable, Iterable, Sized
from contextlib import asynccontextmanager
from datetime import datetime
from typing import TYPE_CHECKING, Any

import httpx
from fastapi import FastAPI, Request
from fastapi.responses import Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from .audit.metrics import Metrics
from .audit.records import AuditStore
from .audit.store import open_store
from .audit.writer import GroupCommitWriter
from .crd.cards import CardRenderer
from .gather.record import Fetcher, FetchResult
from .hook.errors import operation_outcome
from .http.demo import allow_browser_clients, install_demo
from .http.dtr_routes import router as dtr_router
from .http.hook_routes import FHIR_JSON, json_response, router
from .http.openapi_schema import declare_components
from .http.state import AppState
from .payers.directory import PayerDirectory
from .pipeline import Engine, PolicyCatalog
from .policy.evaluate import Evaluator
from .settings import Settings

if TYPE_CHECKING:
    from .policy.registry import Policy

log = logging.getLogger("cds_service")


class EmptyCatalog:
    """No policies loaded: every drug gets its payer's default answer."""

    def find(self, payer: str, codings: Iterable[tuple[str, str]]) -> Policy | None:
        return None

    def questionnaire(self, questionnaire_id: str) -> dict[str, Any] | None:
        return None


def load_policies(settings: Settings) -> tuple[PolicyCatalog, Evaluator | None, int]:
    directory = settings.policies_dir
    if not directory.is_dir() or not any(directory.rglob("policy.yaml")):
        log.warning("no policies found under %s: every order gets its payer's default answer", directory)
        return EmptyCatalog(), None, 0
    from .policy import PolicyRegistry, evaluate_order

    registry = PolicyRegistry.load(directory)
    log.info("loaded %d policies from %s", len(registry), directory)
    return registry, evaluate_order, len(registry)


def create_app(
    settings: Settings,
    *,
    policies: tuple[PolicyCatalog, Evaluator | None] | None = None,
    fhir_transport: httpx.AsyncBaseTransport | None = None,
    store: AuditStore | None = None,
    clock: Callable[[], datetime] | None = None,
) -> FastAPI:
    """Build the service. Tests pass `fhir_transport` (an httpx transport standing in for EHR FHIR
    servers), `policies` (catalog, evaluator) and `clock`; production passes settings only."""
    # httpx logs every request URL at INFO, and EHR query URLs carry patient ids.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    if policies is None:
        catalog, evaluator, count = load_policies(settings)
    else:
        catalog, evaluator = policies
        count = len(catalog) if isinstance(catalog, Sized) else 0
    payers = PayerDirectory.load(settings.payers_file)
    audit = store or open_store(
        database_url=settings.database_url, db_path=settings.db_path, synchronous=settings.audit_synchronous
    )
    audit_writer = GroupCommitWriter(audit)

    from .gather.fhir_client import FhirFetcher

    fetcher = FhirFetcher(allowed_prefixes=settings.allowed_fhir_servers, transport=fhir_transport)

    async def fetch(server: str, token: str | None, queries: dict[str, str], budget_s: float) -> FetchResult:
        outcome: FetchResult = await fetcher.fetch(server, token, queries, budget_s=budget_s)
        return outcome

    fetch_fn: Fetcher = fetch
    authenticator = None
    if settings.auth == "jwt":
        from .security.auth import ClientAuthenticator

        authenticator = ClientAuthenticator.from_settings(
            trusted_jwks_path=settings.trusted_jwks,
            trusted_issuers=settings.trusted_issuers,
            allowed_jku_prefixes=settings.allowed_jku,
            jti_cache=audit,
        )
    else:
        log.warning("client authentication is OFF (CDS_AUTH=off): hook calls are not authenticated")

    engine = Engine(
        payers=payers,
        policies=catalog,
        evaluate=evaluator,
        fetch=fetch_fn,
        renderer=CardRenderer(),
        fetch_budget_s=settings.fetch_budget_s,
        determinations=audit,
    )
    if clock is not None:
        engine.clock = clock
    from .policy.registry import PolicyRegistry

    if isinstance(catalog, PolicyRegistry):
        # fetch what the loaded policies read, and no more (discovery still offers every query)
        engine.read_types = frozenset().union(*(policy.library.retrieved_types for policy in catalog))

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        await fetcher.aclose()
        audit_writer.close()
        if store is None:
            audit.close()

    app = FastAPI(title="coverage-hooks CRD service", lifespan=lifespan, docs_url=None, redoc_url=None)
    app.state.cds = AppState(
        settings=settings,
        engine=engine,
        store=audit,
        audit_writer=audit_writer,
        metrics=Metrics(),
        authenticator=authenticator,
        policy_count=count,
    )
    app.include_router(router)
    app.include_router(dtr_router)  # DTR questionnaire package, $populate, $next-question (issue 16)
    declare_components(app)  # the CDS Hooks request, response and OperationOutcome schemas the routes name
    install_demo(app)  # GET / demo page and its sample requests (issue 3)
    allow_browser_clients(app)  # CORS so the browser-based CDS Hooks sandbox can call us

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        code = "not-found" if exc.status_code == 404 else "not-supported" if exc.status_code == 405 else "invalid"
        return json_response(operation_outcome(code, str(exc.detail)), exc.status_code, FHIR_JSON)

    @app.exception_handler(Exception)
    async def internal_error(request: Request, exc: Exception) -> Response:
        log.error("unhandled %s on %s", type(exc).__name__, request.url.path)
        return json_response(operation_outcome("exception", "internal error"), 500, FHIR_JSON)

    return app


def app_from_env() -> FastAPI:
    """uvicorn factory: `uvicorn --factory cds_service.app:app_from_env`."""
    app = create_app(Settings.from_env())
    freeze_heap()
    return app


def freeze_heap() -> None:
    """The compiled policies are large, long-lived object graphs; freezing them keeps every full garbage collection
    during a request from re-scanning them (p99 spikes of tens of ms otherwise). A full collection first, so that
    what a cold start's compiles left as garbage is not frozen with them (~0.7 s over 1,000 policies)."""
    gc.collect()
    gc.freeze()
