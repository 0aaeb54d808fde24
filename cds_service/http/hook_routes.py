"""HTTP routes. Thin: authenticate, parse, run the pipeline, write the audit record, answer.

Every non-2xx answer is a FHIR OperationOutcome; nothing internal (stack traces, resource bodies,
tokens) reaches a response or a log line.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

import orjson
from fastapi import APIRouter, Request
from fastapi.responses import Response

from .. import pipeline
from ..audit.metrics import METRICS_CONTENT_TYPE
from ..audit.records import InvocationRecord
from ..hook.discovery import SERVICES, discovery_document
from ..hook.errors import (
    BadRequestError,
    HookError,
    NotFoundError,
    PayloadTooLargeError,
    UnauthorizedError,
    operation_outcome,
)
from ..hook.request_model import HookRequest, load_json, parse_hook_request
from .openapi_schema import (
    FEEDBACK_OPERATION,
    FEEDBACK_RESPONSES,
    HEALTH_RESPONSES,
    HOOK_OPERATION,
    HOOK_RESPONSES,
)
from .state import AppState

log = logging.getLogger("cds_service.http.hook_routes")
FHIR_JSON = "application/fhir+json"
# A load balancer's probe gives up after a few seconds; answer 503 before it does when the store hangs.
HEALTH_TIMEOUT_S = 2.0

router = APIRouter()


def json_response(body: Any, status: int = 200, media_type: str = "application/json") -> Response:
    return Response(orjson.dumps(body), status_code=status, media_type=media_type)


def outcome_response(error: HookError) -> Response:
    return json_response(error.outcome(), error.status, FHIR_JSON)


def app_state(request: Request) -> AppState:
    state: AppState = request.app.state.cds
    return state


async def authenticate(request: Request, state: AppState) -> None:
    if state.authenticator is None:
        return
    base = state.settings.public_base_url or str(request.base_url).rstrip("/")
    from ..security.auth import AuthenticationError

    try:
        await state.authenticator.authenticate(request.headers.get("authorization"), base + request.url.path)
    except AuthenticationError:
        raise UnauthorizedError("the client JWT is missing or not acceptable") from None


async def read_body(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise PayloadTooLargeError(f"request body is {declared} bytes; the limit is {limit}")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise PayloadTooLargeError(f"request body exceeds the limit of {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def _service_id(request: Request) -> str:
    # Not a function parameter: FastAPI would list a 422 validation error these routes never send. The id is
    # declared in openapi_schema.py; an unknown one is the route's own 404 OperationOutcome.
    service_id: str = request.path_params["service_id"]
    return service_id


@router.get("/cds-services")
async def discovery(request: Request) -> Response:
    state = app_state(request)
    try:
        await authenticate(request, state)
    except HookError as error:
        return outcome_response(error)
    return json_response(discovery_document())


@router.post("/cds-services/{service_id}", openapi_extra=HOOK_OPERATION, responses=HOOK_RESPONSES)
async def call_service(request: Request) -> Response:
    service_id = _service_id(request)
    state = app_state(request)
    started = time.perf_counter()
    hook_request: HookRequest | None = None
    body = b""
    try:
        service = SERVICES.get(service_id)
        if service is None:
            raise NotFoundError(f"no CDS service with id {service_id!r}")
        await authenticate(request, state)
        body = await read_body(request, state.settings.max_body_bytes)
        hook_request = parse_hook_request(load_json(body, state.settings.max_body_bytes), service.hook)
        answer = await pipeline.answer(hook_request, service, state.engine)
        response_body = orjson.dumps(answer.body)
        elapsed = time.perf_counter() - started
        await state.audit_writer.write(
            InvocationRecord(
                hook_instance=hook_request.hook_instance,
                service_id=service_id,
                hook=hook_request.hook,
                http_status=200,
                request_body=body,
                response_body=response_body,
                duration_ms=elapsed * 1000.0,
                payer=answer.route.payer.key,
                line_of_business=answer.route.line_of_business,
                timings=answer.timings,
                decisions=tuple(answer.decisions),
            )
        )
    except HookError as error:
        await _record_failure(state, service_id, hook_request, body, error, started)
        return outcome_response(error)
    except Exception as exc:  # never a stack trace to the client; the type name is enough to triage
        log.error("hook %s failed internally: %s", service_id, type(exc).__name__)
        state.metrics.observe_request(service_id, 500, time.perf_counter() - started)
        return json_response(operation_outcome("exception", "internal error"), 500, FHIR_JSON)
    for decision in answer.decisions:
        state.metrics.observe_decision(decision.decision)
    state.metrics.observe_request(service_id, 200, time.perf_counter() - started)
    log.info(
        "hook=%s instance=%s payer=%s orders=%d decisions=%s ms=%.1f",
        hook_request.hook,
        hook_request.hook_instance,
        answer.route.payer.key,
        len(answer.decisions),
        ",".join(d.decision for d in answer.decisions),
        elapsed * 1000.0,
    )
    return Response(response_body, media_type="application/json")


async def _record_failure(
    state: AppState,
    service_id: str,
    hook_request: HookRequest | None,
    body: bytes,
    error: HookError,
    started: float,
) -> None:
    elapsed = time.perf_counter() - started
    state.metrics.observe_request(service_id, error.status, elapsed)
    log.info("hook call to %s answered %d: %s", service_id, error.status, error.message)
    if hook_request is None:
        return
    try:
        await state.audit_writer.write(
            InvocationRecord(
                hook_instance=hook_request.hook_instance,
                service_id=service_id,
                hook=hook_request.hook,
                http_status=error.status,
                request_body=body,
                response_body=orjson.dumps(error.outcome()),
                duration_ms=elapsed * 1000.0,
            )
        )
    except Exception as exc:
        log.error("audit write for a failed call did not succeed: %s", type(exc).__name__)


@router.post(
    "/cds-services/{service_id}/feedback",
    openapi_extra=FEEDBACK_OPERATION,
    responses=FEEDBACK_RESPONSES,
    response_class=Response,  # for the document: the 200 has no body (every path returns a Response itself)
)
async def feedback(request: Request) -> Response:
    service_id = _service_id(request)
    state = app_state(request)
    try:
        if service_id not in SERVICES:
            raise NotFoundError(f"no CDS service with id {service_id!r}")
        await authenticate(request, state)
        payload = load_json(await read_body(request, state.settings.max_body_bytes), state.settings.max_body_bytes)
        items = payload.get("feedback") if isinstance(payload, dict) else None
        if not isinstance(items, list) or not items:
            raise BadRequestError("feedback requests carry a non-empty 'feedback' array")
        for item in items:
            if not (
                isinstance(item, dict)
                and isinstance(item.get("card"), str)
                and item.get("outcome") in ("accepted", "overridden")
                and isinstance(item.get("outcomeTimestamp"), str)
            ):
                raise BadRequestError("each feedback item needs 'card', 'outcome' and 'outcomeTimestamp'")
            if item["outcome"] == "accepted" and not isinstance(item.get("acceptedSuggestions"), list):
                raise BadRequestError("accepted feedback lists 'acceptedSuggestions'")
        # the store's writes block (fsync, a PostgreSQL round trip): off the event loop, as hook calls' are
        await asyncio.to_thread(_record_feedback, state, service_id, items)
    except HookError as error:
        return outcome_response(error)
    return Response(status_code=200)


def _record_feedback(state: AppState, service_id: str, items: list[dict[str, Any]]) -> None:
    for item in items:
        state.store.record_feedback(service_id, item)


@router.get("/fhir/Questionnaire/{questionnaire_id}")
async def questionnaire(questionnaire_id: str, request: Request) -> Response:
    found = app_state(request).engine.policies.questionnaire(questionnaire_id)
    if found is None:
        return outcome_response(NotFoundError(f"no Questionnaire with id {questionnaire_id!r}"))
    return json_response(found, media_type=FHIR_JSON)


@router.get("/healthz", responses=HEALTH_RESPONSES)
async def healthz(request: Request) -> Response:
    """Readiness: 200 only when the audit store answers, since every hook call must write to it."""
    state = app_state(request)
    try:
        # In a thread: the store's lock may be held by the audit writer's commit, and the loop must not wait.
        await asyncio.wait_for(asyncio.to_thread(state.store.ping), HEALTH_TIMEOUT_S)
    except Exception as exc:
        log.error("health check: the audit store did not answer: %s", type(exc).__name__)
        return json_response({"status": "unavailable", "audit_store": "unavailable"}, 503)
    return json_response({"status": "ok", "policies": state.policy_count, "auth": state.settings.auth})


@router.get("/metrics")
async def metrics(request: Request) -> Response:
    return Response(app_state(request).metrics.render(), media_type=METRICS_CONTENT_TYPE)
