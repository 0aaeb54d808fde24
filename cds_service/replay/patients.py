"""One patient's decisions as rows: the engine-agnostic unit of `replay --population`.

`decide_patient(record, options)` is a plain function of a record and the run's options: Dask maps it over
partitions here; Spark's `mapInPandas` or Ray would call it the same way. The compiled policies are built once
per process (a module-level cache keyed by the options that shape them), not per patient or per task.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from ..pipeline import Engine
from ..policy import PolicyRegistry
from .inputs import HookRequestInput, PatientRecordInput
from .orders import OrderSpec, order_sign_request, own_order_sign_request
from .run import InputOutcome, build_engine, run_one

_ACTIVE = frozenset({"active"})
_ORDER_INTENTS = frozenset({"order", "original-order", "plan"})


@dataclass(frozen=True)
class PopulationOptions:
    policies: Path
    payers_file: Path
    now: datetime
    spec: OrderSpec | None = None
    """The order to decide for every patient; None: each patient's own active orders of a governed drug."""
    payer: str | None = None
    line_of_business: str | None = None
    """For own orders: the payer and line of business to decide under (None: the patient's own Coverage)."""


@dataclass(frozen=True)
class CriterionRow:
    id: str
    status: str  # met | not-met | unknown
    evidence: tuple[str, ...]


@dataclass(frozen=True)
class ResultRow:
    """One order of one patient, decided under one policy set."""

    patient_id: str
    order: str
    drug: str
    payer: str | None
    line_of_business: str | None
    policy_id: str | None
    policy_version: str | None
    decision: str  # approved | needs-info | not-met | no-policy | indeterminate | error
    covered: str | None
    path: str | None
    criteria: tuple[CriterionRow, ...]
    error: str | None = None


@dataclass
class _Loaded:
    engine: Engine
    governed: frozenset[tuple[str, str]]
    loop: asyncio.AbstractEventLoop


_CACHE: dict[tuple[str, str, str], _Loaded] = {}


def _loaded(options: PopulationOptions) -> _Loaded:
    key = (str(options.policies.resolve()), str(options.payers_file.resolve()), options.now.isoformat())
    loaded = _CACHE.get(key)
    if loaded is None:
        engine = build_engine(options.policies, options.payers_file, options.now)
        registry = engine.policies
        assert isinstance(registry, PolicyRegistry)  # build_engine loads one
        governed = frozenset((product.system, product.code) for policy in registry for product in policy.metadata.drugs)
        loaded = _CACHE[key] = _Loaded(engine, governed, asyncio.new_event_loop())
    return loaded


def decide_patient(record: PatientRecordInput, options: PopulationOptions) -> list[ResultRow]:
    """Every order to decide for the patient, decided; a failure is an error row, never an exception."""
    loaded = _loaded(options)
    try:
        requests = list(_requests(record, options, loaded.governed))
    except Exception as exc:  # noqa: BLE001 - one patient's bad data must not end a population run
        return [_error_row(record.patient_id, "-", "-", f"{type(exc).__name__}: {exc}")]
    rows: list[ResultRow] = []
    for drug, payload in requests:
        try:
            outcome = loaded.loop.run_until_complete(
                run_one(HookRequestInput(Path(record.patient_id), payload), loaded.engine, None)
            )
        except Exception as exc:  # noqa: BLE001 - counted and reported per patient, as the brief of replay asks
            rows.append(_error_row(record.patient_id, "-", drug, f"{type(exc).__name__}: {exc}"))
            continue
        rows.extend(_rows(record.patient_id, drug, outcome))
    return rows


def _requests(
    record: PatientRecordInput, options: PopulationOptions, governed: frozenset[tuple[str, str]]
) -> list[tuple[str, dict[str, Any]]]:
    if options.spec is not None:
        spec = options.spec
        return [(f"{spec.system}|{spec.code}", order_sign_request(spec, record.patient_id, record.resources))]
    requests = []
    for resource in record.resources:
        if resource.get("resourceType") != "MedicationRequest":
            continue
        if resource.get("status") not in _ACTIVE or resource.get("intent") not in _ORDER_INTENTS:
            continue
        drug = _governed_coding(resource, record.resources, governed)
        if drug is None:
            continue
        payload = own_order_sign_request(
            resource, record.patient_id, record.resources, options.payer, options.line_of_business
        )
        requests.append((drug, payload))
    return requests


def _governed_coding(
    order: dict[str, Any], record: list[dict[str, Any]], governed: frozenset[tuple[str, str]]
) -> str | None:
    concept = order.get("medicationCodeableConcept")
    reference = (order.get("medicationReference") or {}).get("reference")
    if concept is None and isinstance(reference, str):  # a Medication of the record names the product
        kind, _, wanted = reference.rpartition("/")
        concept = next(
            (r.get("code") for r in record if r.get("resourceType") == "Medication" and r.get("id") == wanted), None
        )
    for coding in concept.get("coding", ()) if isinstance(concept, dict) else ():
        key = (str(coding.get("system")), str(coding.get("code")))
        if key in governed:
            return f"{key[0]}|{key[1]}"
    return None


def _rows(patient_id: str, drug: str, outcome: InputOutcome) -> list[ResultRow]:
    if outcome.error:
        return [_error_row(patient_id, "-", drug, outcome.error)]
    return [
        ResultRow(
            patient_id=patient_id,
            order=order.order,
            drug=drug,
            payer=outcome.payer,
            line_of_business=outcome.line_of_business,
            policy_id=order.policy_id,
            policy_version=order.policy_version,
            decision=order.decision,
            covered=order.covered,
            path=order.path,
            criteria=tuple(CriterionRow(c.id, c.status, tuple(sorted(c.evidence))) for c in order.criteria),
        )
        for order in outcome.orders
    ]


def _error_row(patient_id: str, order: str, drug: str, message: str) -> ResultRow:
    return ResultRow(patient_id, order, drug, None, None, None, None, "error", None, None, (), message)
