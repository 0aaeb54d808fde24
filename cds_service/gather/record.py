"""Gather the patient's data for one hook call: prefetch first, then the EHR's FHIR API for what is missing.

Prefetch keys the client sent are used as they are (a `null` value is "no data", an OperationOutcome is a
retrieval failure). Keys it did not send are filled from our templates and fetched in parallel through
`fetch` (fhir_client.fetch_queries behind the SSRF allowlist and the time budget). A second, smaller round
reads what only the first round can name: the Coverage's payor Organization, dispatched orders, the orders
an appointment is based on, and referenced Medications.

`GatheredData.unavailable` says what could not be read, keyed by what it was:
- a FHIR resource type for patient-scoped data ("MedicationDispense", "Observation", "Coverage", ...; the type
  of the prefetch template, or the key itself for a client key we do not know) and "Medication" for the
  referenced Medications;
- "payor:<Organization id>" for the Coverage's payor and "order:<Type/id>" for an order named by the context.
The value is a short reason. Evaluation treats a type a policy reads as unknown, never as empty.
"""

from __future__ import annotations

import re
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from cql_like.fhir.references import as_list, contained, referenced_id, relative_reference

from ..hook import discovery
from ..hook.errors import PreconditionFailedError
from ..hook.request_model import HookRequest


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
MEDICATIONS_UNAVAILABLE = "Medication"
"""The `unavailable` key when the referenced Medications could not be read."""


@dataclass
class GatheredData:
    resources: dict[str, dict[str, Any]] = field(default_factory=dict)  # "Type/id" -> resource
    unavailable: dict[str, str] = field(default_factory=dict)  # what could not be read -> why
    anonymous: list[dict[str, Any]] = field(default_factory=list)  # resources without an id
    fetched_keys: list[str] = field(default_factory=list)
    fetch_ms: float = 0.0

    def add(self, resource: Any, *, override: bool = False) -> None:
        if not isinstance(resource, dict):
            return
        kind = resource.get("resourceType")
        if kind == "Bundle":
            for entry in as_list(resource.get("entry")):
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


def _has_failure(value: Any) -> bool:
    if isinstance(value, dict) and value.get("resourceType") == "OperationOutcome":
        return True
    if isinstance(value, dict) and value.get("resourceType") == "Bundle":
        return any(
            isinstance(e, dict)
            and isinstance(e.get("resource"), dict)
            and e["resource"].get("resourceType") == "OperationOutcome"
            and _is_error(e["resource"])
            for e in as_list(value.get("entry"))
        )
    return False


def _is_error(outcome: Mapping[str, Any]) -> bool:
    return any(isinstance(i, dict) and i.get("severity") in ("error", "fatal") for i in as_list(outcome.get("issue")))


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
    request: HookRequest,
    templates: Mapping[str, str],
    fetch: Fetcher | None,
    budget_s: float = 2.0,
    read_types: frozenset[str] | None = None,
) -> GatheredData:
    """Both fetch rounds share one budget, so a slow EHR costs at most `budget_s` in total. `read_types` (the
    resource types the loaded policies read; None: all) limits what is fetched for keys the client did not
    send; Patient and Coverage are always read."""
    data = GatheredData()
    deadline = time.monotonic() + budget_s
    labels = {key: discovery.query_type(template) for key, template in templates.items()}
    failed: list[str] = []
    for key, value in request.prefetch.items():
        if _has_failure(value):
            failed.append(key)
            data.unavailable[labels.get(key, key)] = "the client's prefetch reported an error"
        data.add(value)
    for order in request.draft_orders:
        data.add(order, override=True)

    wanted = {
        key: template
        for key, template in templates.items()
        if read_types is None or labels[key] in read_types or labels[key] in ("Patient", "Coverage")
    }
    queries = missing_queries(request, wanted, failed=failed)
    await _fetch_into(data, request, queries, fetch, deadline, labels)
    coverage_prefetched = discovery.COVERAGE in request.prefetch and discovery.COVERAGE not in queries
    if not coverage_prefetched and discovery.COVERAGE not in data.fetched_keys:
        raise PreconditionFailedError(
            "the 'coverage' prefetch was not provided and the EHR's FHIR server could not be queried"
        )

    second: dict[str, str] = {}
    for coverage in data.of_type("Coverage"):
        org_id = payor_organization_id(coverage)
        if org_id and f"Organization/{org_id}" not in data.resources and not contained(coverage, org_id):
            second[f"payor:{org_id}"] = f"Organization/{org_id}"
    for ref in [*request.in_scope, *based_on_orders(request.draft_orders)]:
        if ref not in data.resources:
            second[f"order:{ref}"] = ref
    await _fetch_into(data, request, second, fetch, deadline, {})
    # Medications named by the orders (including those just read): a third, small read in the same budget.
    medication_ids = sorted(
        set(_referenced_medications(data)) - {r.split("/", 1)[1] for r in data.resources if r.startswith("Medication/")}
    )
    if medication_ids:
        medications = {"medications": "Medication?_id=" + ",".join(medication_ids)}
        await _fetch_into(data, request, medications, fetch, deadline, {"medications": MEDICATIONS_UNAVAILABLE})
    return data


def based_on_orders(resources: Iterable[Mapping[str, Any]]) -> list[str]:
    """`Type/id` of the orders the Appointments among `resources` are based on (CRD appointment-with-order)."""
    found: list[str] = []
    for resource in resources:
        if resource.get("resourceType") != "Appointment":
            continue
        for reference in as_list(resource.get("basedOn")):
            target = reference.get("reference") if isinstance(reference, dict) else None
            if isinstance(target, str) and "/" in target and not target.startswith("#"):
                found.append(relative_reference(target))
    return list(dict.fromkeys(found))


# The medication history an exclusion ("has not received ...") needs in full (PriorTherapy.cql).
MEDICATION_HISTORY_TYPES = (
    "MedicationRequest",
    "MedicationStatement",
    "MedicationAdministration",
    "MedicationDispense",
)


def medication_history_available(data: GatheredData) -> bool:
    """True only when every medication history resource type was read without failure (gather marks a type it
    could neither take from prefetch nor fetch as unavailable)."""
    return not any(kind in data.unavailable for kind in MEDICATION_HISTORY_TYPES)


async def _fetch_into(
    data: GatheredData,
    request: HookRequest,
    queries: dict[str, str],
    fetch: Fetcher | None,
    deadline: float,
    labels: Mapping[str, str],
) -> None:
    """Run `queries`; what fails is recorded in `data.unavailable` under its label (the key when unlabelled)."""
    if not queries:
        return
    remaining = deadline - time.monotonic()
    if fetch is None or request.fhir_server is None or remaining <= 0:
        for key in queries:
            data.unavailable[labels.get(key, key)] = "not prefetched and no FHIR server to query in time"
        return
    started = time.perf_counter()
    outcome = await fetch(request.fhir_server, request.access_token, queries, remaining)
    data.fetch_ms += (time.perf_counter() - started) * 1000.0
    if outcome.blocked:
        for key in queries:
            data.unavailable[labels.get(key, key)] = "the FHIR server is not on this service's allowlist"
        return
    for key in queries:
        label = labels.get(key, key)
        data.unavailable.pop(label, None)
        if key in outcome.resources:  # possibly partial: a later page may have failed
            data.add(outcome.resources[key])
            data.fetched_keys.append(key)
        if key in outcome.failures or key not in outcome.resources:
            data.unavailable[label] = "retrieval failed"


def payor_organization_id(coverage: Mapping[str, Any]) -> str | None:
    """The id of the Organization a Coverage's first payor names (contained or not); gathering fetches it."""
    payors = coverage.get("payor")
    if not isinstance(payors, list) or not payors or not isinstance(payors[0], dict):
        return None
    reference = payors[0].get("reference")
    if not isinstance(reference, str):
        return None
    if reference.startswith("#"):
        return reference[1:]
    return referenced_id(reference, "Organization")


def medication_id(target: str) -> str | None:
    """The id in a `Medication/<id>` reference (relative or absolute), else None."""
    return referenced_id(target, "Medication")


def _referenced_medications(data: GatheredData) -> Iterable[str]:
    """Ids of the Medications the orders and the medication history name by reference (prior therapy reads them)."""
    resources = (r for kind in MEDICATION_HISTORY_TYPES for r in data.of_type(kind))
    for order in resources:
        ref = order.get("medicationReference")
        if isinstance(ref, dict) and isinstance(ref.get("reference"), str):
            ident = medication_id(ref["reference"])
            if ident is not None:
                yield ident
