"""The DTR routes under /fhir: authenticate as hook calls do, run the operation, keep the call in the audit store
(tokens taken out) and answer FHIR JSON; every error is an OperationOutcome."""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import orjson
from fastapi import APIRouter, Request
from fastapi.responses import Response

from ..audit.records import DecisionRecord, InvocationRecord
from ..dtr.next_question import next_question
from ..dtr.package import questionnaire_package
from ..dtr.params import DtrInput, parse
from ..dtr.populate import populate
from ..hook.errors import HookError, operation_outcome
from ..hook.request_model import load_json
from .hook_routes import FHIR_JSON, app_state, authenticate, json_response, outcome_response, read_body
from .state import AppState

log = logging.getLogger("cds_service.dtr")
SERVICE_ID = "dtr"
router = APIRouter()

Operation = Callable[[DtrInput, AppState], Awaitable[tuple[dict[str, Any], tuple[DecisionRecord, ...]]]]
_ARTIFACTS = frozenset({"Library", "ValueSet"})


def audited(result: dict[str, Any]) -> dict[str, Any]:
    """The answer as kept: a package's Libraries and ValueSets by canonical and version only. They are the policy
    release's own files (megabytes of CQL and ELM), the same on every call; the rest is kept whole."""
    if result.get("resourceType") != "Parameters":
        return result
    parts = []
    for part in result.get("parameter", []):
        bundle = part.get("resource") or {}
        if part.get("name") == "packagebundle":
            entries = [
                {"resource": _reference_only(e["resource"])} if e["resource"]["resourceType"] in _ARTIFACTS else e
                for e in bundle.get("entry", [])
            ]
            part = {**part, "resource": {**bundle, "entry": entries}}
        parts.append(part)
    return {**result, "parameter": parts}


def _reference_only(resource: dict[str, Any]) -> dict[str, Any]:
    return {key: resource[key] for key in ("resourceType", "id", "url", "version") if key in resource}


async def _package(inputs: DtrInput, state: AppState) -> tuple[dict[str, Any], tuple[DecisionRecord, ...]]:
    return await questionnaire_package(inputs, state.engine, state.store), ()


async def _populate(inputs: DtrInput, state: AppState) -> tuple[dict[str, Any], tuple[DecisionRecord, ...]]:
    return await populate(inputs, state.engine), ()


async def _next(inputs: DtrInput, state: AppState) -> tuple[dict[str, Any], tuple[DecisionRecord, ...]]:
    response, assessment = await next_question(inputs, state.engine)
    decisions = tuple(assessment.answer.decisions) if response.get("status") == "completed" else ()
    return {"resourceType": "Parameters", "parameter": [{"name": "return", "resource": response}]}, decisions


def _without_token(body: bytes, inputs: DtrInput | None) -> bytes:
    """A Parameters token is a bare string, which redaction.py cannot recognise: it is taken out here."""
    if inputs is not None and inputs.access_token:
        return body.replace(orjson.dumps(inputs.access_token)[1:-1], b"[redacted]")
    return body


async def _run(request: Request, operation: str, run: Operation) -> Response:
    state = app_state(request)
    started = time.perf_counter()
    body = b""
    inputs: DtrInput | None = None
    status, answer = 200, b""
    decisions: tuple[DecisionRecord, ...] = ()
    try:
        await authenticate(request, state)
        body = await read_body(request, state.settings.max_body_bytes)
        inputs = parse(load_json(body, state.settings.max_body_bytes))
        result, decisions = await run(inputs, state)
        response = Response(orjson.dumps(result), media_type=FHIR_JSON)
        answer = orjson.dumps(audited(result))
    except HookError as error:
        status, answer = error.status, orjson.dumps(error.outcome())
        response = outcome_response(error)
    except Exception as exc:  # never a stack trace to the client
        log.error("%s failed internally: %s", operation, type(exc).__name__)
        status, answer = 500, orjson.dumps(operation_outcome("exception", "internal error"))
        response = json_response(operation_outcome("exception", "internal error"), 500, FHIR_JSON)
    elapsed_ms = (time.perf_counter() - started) * 1000.0
    state.metrics.observe_request(SERVICE_ID, status, elapsed_ms / 1000.0)
    if status != 401:
        await state.audit_writer.write(
            InvocationRecord(
                hook_instance=f"dtr-{uuid.uuid4()}",
                service_id=SERVICE_ID,
                hook=operation,
                http_status=status,
                request_body=_without_token(body, inputs),
                response_body=answer,
                duration_ms=elapsed_ms,
                timings={"total_ms": elapsed_ms},
                decisions=decisions,
            )
        )
    log.info("dtr %s status=%d ms=%.1f", operation, status, elapsed_ms)
    return response


@router.post("/fhir/Questionnaire/$questionnaire-package")
@router.post("/fhir/$questionnaire-package")
async def questionnaire_package_route(request: Request) -> Response:
    return await _run(request, "questionnaire-package", _package)


@router.post("/fhir/Questionnaire/$populate")
async def populate_route(request: Request) -> Response:
    return await _run(request, "populate", _populate)


@router.post("/fhir/Questionnaire/$next-question")
async def next_question_route(request: Request) -> Response:
    return await _run(request, "next-question", _next)
