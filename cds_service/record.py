"""Gather the patient's data for one hook call: prefetch first, then the EHR's FHIR API for what is missing.

Prefetch keys the client sent are used as they are (a `null` value is "no data", an OperationOutcome is a
retrieval failure). Keys it did not send are filled from our templates and fetched in parallel through
`fetch` (fhir_client.fetch_queries behind the SSRF allowlist and the time budget). A second, smaller round
reads what only the first round can name: the Coverage's payor Organization, dispatched orders and
referenced Medications.
"""

from __future__ import annotations

import re
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from . import discovery
from .errors import PreconditionFailedError
from .request_model import HookRequest


class FetchResult(Protocol):
    @property
    def resources(self) -> dict[str, dict[str, Any]]: ...

    @property
    def failures(self) -> dict[str, str]: ...

    @property
    def blocked(self) -> bool: ...


Fetcher = Callable[[str, str | None, dict[str, str], float], Awaitable[FetchResult]]
"""(fhir_server, access_token, queries, budget_s) -> outcome; fhir_client.FhirFetcher.fetch fits."""

_TOKEN = re.compile(r"\{\{\s*([^}]+?)\s*\}\}")


@dataclass
class GatheredData:
    resources: dict[str, dict[str, Any]] = field(default_factory=dict)  # "Type/id" -> resource
    unavailable: dict[str, str] = field(default_factory=dict)  # what could not be read -> why
    anonymous: list[dict[str, Any]] = field(default_factory=list)  # resources without an id
    fetched_keys: list[str] = field(default_factory=list)
    fetch_ms: float = 0.0
    # Resource types whose search (a prefetch template) was read in full: prefetched or fetched, and not failed
    read_types: set[str] = field(default_factory=set)

    def add(self, resource: Any, *, override: bool = False) -> None:
        if not isinstance(resource, dict):
            return
        kind = resource.get("resourceType")
        if kind == "Bundle":
            for entry in _array(resource, "entry"):
                if isinstance(entry, dict):
                    self.add(entry.get("resource"))
            return
        if not isinstance(kind, str) or kind == "OperationOutcome":
            return
        if not isinstance(resource.get("id"), str):
            # Real bundles carry id-less resources (fullUrl urn:uuid only); they still count as evidence.
            self.anonymous.append(resource)
            return
        key = f"{kind}/{resource['id']}"
        if override or key not in self.resources:
            self.resources[key] = resource

    def of_type(self, kind: str) -> list[dict[str, Any]]:
        prefix = kind + "/"
        return [r for k, r in self.resources.items() if k.startswith(prefix)]

    def all_resources(self) -> list[dict[str, Any]]:
        return [*self.resources.values(), *self.anonymous]


def fill_template(template: str, request: HookRequest) -> str | None:
    """Replace the CDS Hooks 2.0 tokens we use; None when a token has no value in this call."""
    values: dict[str, str] = {}
    for name in ("patientId", "encounterId", "userId"):
        value = request.context.get(name)
        if isinstance(value, str):
            values[f"context.{name}"] = value
    if request.user_id:
        kind, _, ident = request.user_id.partition("/")
        values[f"user{kind}Id"] = ident
    missing = False

    def substitute(match: re.Match[str]) -> str:
        nonlocal missing
        value = values.get(match.group(1))
        if value is None:
            missing = True
            return ""
        return value

    filled = _TOKEN.sub(substitute, template)
    return None if missing else filled


def _array(element: Mapping[str, Any], key: str) -> list[Any]:
    """`element[key]` when it is an array; otherwise (absent, null, or a number or string where FHIR has an
    array, as hostile or broken clients send) nothing to iterate."""
    value = element.get(key)
    return value if isinstance(value, list) else []


def _has_failure(value: Any) -> bool:
    if isinstance(value, dict) and value.get("resourceType") == "OperationOutcome":
        return True
    if isinstance(value, dict) and value.get("resourceType") == "Bundle":
        return any(
            isinstance(e, dict)
            and isinstance(e.get("resource"), dict)
            and e["resource"].get("resourceType") == "OperationOutcome"
            and _is_error(e["resource"])
            for e in _array(value, "entry")
        )
    return False


def _is_error(outcome: Mapping[str, Any]) -> bool:
    return any(isinstance(i, dict) and i.get("severity") in ("error", "fatal") for i in _array(outcome, "issue"))


def missing_queries(request: HookRequest, templates: Mapping[str, str], failed: Iterable[str] = ()) -> dict[str, str]:
    """Filled templates for keys the client did not satisfy (absent, or answered with an error)."""
    refetch = set(failed)
    queries: dict[str, str] = {}
    for key, template in templates.items():
        if key in request.prefetch and key not in refetch:
            continue
        if key == discovery.PRACTITIONER_ROLES and request.user_id and request.user_id.startswith("PractitionerRole/"):
            template = "PractitionerRole?_id={{userPractitionerRoleId}}"
        query = fill_template(template, request)
        if query is not None:
            queries[key] = query
    return queries


async def gather(
    request: HookRequest, templates: Mapping[str, str], fetch: Fetcher | None, budget_s: float = 2.0
) -> GatheredData:
    """Both fetch rounds share one budget, so a slow EHR costs at most `budget_s` in total."""
    data = GatheredData()
    deadline = time.monotonic() + budget_s
    for key, value in request.prefetch.items():
        if _has_failure(value):
            data.unavailable[key] = "the client's prefetch reported an error"
        data.add(value)
    for order in request.draft_orders:
        data.add(order, override=True)

    queries = missing_queries(request, templates, failed=list(data.unavailable))
    await _fetch_into(data, request, queries, fetch, deadline)
    coverage_prefetched = discovery.COVERAGE in request.prefetch and discovery.COVERAGE not in queries
    if not coverage_prefetched and discovery.COVERAGE not in data.fetched_keys:
        raise PreconditionFailedError(
            "the 'coverage' prefetch was not provided and the EHR's FHIR server could not be queried"
        )

    second: dict[str, str] = {}
    for coverage in data.of_type("Coverage"):
        org_id = _payor_organization_id(coverage)
        if org_id and f"Organization/{org_id}" not in data.resources and not _contained(coverage, org_id):
            second[f"payor:{org_id}"] = f"Organization/{org_id}"
    for ref in request.in_scope:
        if ref not in data.resources:
            second[f"order:{ref}"] = ref
    medication_ids = sorted(
        set(_referenced_medications(data)) - {r.split("/", 1)[1] for r in data.resources if r.startswith("Medication/")}
    )
    if medication_ids:
        second["medications"] = "Medication?_id=" + ",".join(medication_ids)
    await _fetch_into(data, request, second, fetch, deadline)
    data.read_types = _read_types(request, templates, data)
    return data


# The medication history an exclusion ("has not received ...") needs in full (PriorTherapy.cql).
MEDICATION_HISTORY_TYPES = (
    "MedicationRequest",
    "MedicationStatement",
    "MedicationAdministration",
    "MedicationDispense",
)


def medication_history_available(data: GatheredData) -> bool:
    """True only when the searches of every medication history resource type were read without failure."""
    return all(kind in data.read_types for kind in MEDICATION_HISTORY_TYPES)


def _read_types(request: HookRequest, templates: Mapping[str, str], data: GatheredData) -> set[str]:
    """The resource type each template searches (`Type?...` or `Type/{{id}}`), for the keys read without failure."""
    read = {key for key in templates if key in request.prefetch or key in data.fetched_keys}
    return {re.split(r"[?/]", templates[key], maxsplit=1)[0] for key in read - set(data.unavailable)}


async def _fetch_into(
    data: GatheredData,
    request: HookRequest,
    queries: dict[str, str],
    fetch: Fetcher | None,
    deadline: float,
) -> None:
    if not queries:
        return
    remaining = deadline - time.monotonic()
    if fetch is None or request.fhir_server is None or remaining <= 0:
        for key in queries:
            data.unavailable[key] = "not prefetched and no FHIR server to query in time"
        return
    started = time.perf_counter()
    outcome = await fetch(request.fhir_server, request.access_token, queries, remaining)
    data.fetch_ms += (time.perf_counter() - started) * 1000.0
    if outcome.blocked:
        for key in queries:
            data.unavailable[key] = "the FHIR server is not on this service's allowlist"
        return
    for key in queries:
        data.unavailable.pop(key, None)
        if key in outcome.resources:  # possibly partial: a later page may have failed
            data.add(outcome.resources[key])
            data.fetched_keys.append(key)
        if key in outcome.failures or key not in outcome.resources:
            data.unavailable[key] = "retrieval failed"


def _payor_organization_id(coverage: Mapping[str, Any]) -> str | None:
    payors = coverage.get("payor")
    if not isinstance(payors, list) or not payors or not isinstance(payors[0], dict):
        return None
    reference = payors[0].get("reference")
    if not isinstance(reference, str):
        return None
    if reference.startswith("#"):
        return reference[1:]
    parts = reference.rstrip("/").split("/")
    if len(parts) >= 2 and parts[-2] == "Organization":
        return parts[-1]
    return None


def _contained(resource: Mapping[str, Any], ident: str) -> dict[str, Any] | None:
    for item in _array(resource, "contained"):
        if isinstance(item, dict) and item.get("id") == ident:
            return item
    return None


def payor_organization(data: GatheredData, coverage: Mapping[str, Any]) -> dict[str, Any] | None:
    org_id = _payor_organization_id(coverage)
    if org_id is None:
        return None
    return _contained(coverage, org_id) or data.resources.get(f"Organization/{org_id}")


def _referenced_medications(data: GatheredData) -> Iterable[str]:
    """Ids of the Medications the orders and the medication history name by reference (prior therapy reads them)."""
    resources = (r for kind in MEDICATION_HISTORY_TYPES for r in data.of_type(kind))
    for order in resources:
        ref = order.get("medicationReference")
        if isinstance(ref, dict) and isinstance(ref.get("reference"), str):
            target = ref["reference"]
            ident = target.rstrip("/").split("/")[-1]
            if not target.startswith("#") and "/Medication/" in "/" + target and ident != "Medication":
                yield ident


def medication_codings(order: Mapping[str, Any], data: GatheredData) -> list[tuple[str, str]]:
    """(system, code) pairs of the ordered drug: its concept, or the referenced Medication's code."""
    concept = order.get("medicationCodeableConcept")
    if not isinstance(concept, dict):
        ref = order.get("medicationReference")
        medication = None
        if isinstance(ref, dict) and isinstance(ref.get("reference"), str):
            target = ref["reference"]
            if target.startswith("#"):
                medication = _contained(order, target[1:])
            else:
                medication = data.resources.get("Medication/" + target.rstrip("/").split("/")[-1])
        concept = medication.get("code") if isinstance(medication, dict) else None
    if not isinstance(concept, dict):
        return []
    return [
        (str(c.get("system", "")), str(c["code"]))
        for c in _array(concept, "coding")
        if isinstance(c, dict) and isinstance(c.get("code"), str)
    ]
