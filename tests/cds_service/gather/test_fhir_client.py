"""fetch_queries against a real FHIR server on 127.0.0.1: data, headers, paging, query hygiene."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from cds_service.gather.fhir_client import FailureReason, FetchLimits, FetchOutcome, FhirFetcher, fetch_queries
from tests.support.fhir_server import FakeFhirServer, Fault

TOKEN = "ehr-access-token-7f3a"
LOINC_KRAS = "http://loinc.org|69548-6"

PATIENT = {"resourceType": "Patient", "id": "123", "birthDate": "1960-01-01"}
KRAS = {
    "resourceType": "Observation",
    "id": "kras-1",
    "status": "final",
    "subject": {"reference": "Patient/123"},
    "code": {"coding": [{"system": "http://loinc.org", "code": "69548-6"}]},
}
OTHER_PATIENT_KRAS = {**KRAS, "id": "kras-2", "subject": {"reference": "Patient/999"}}
A1C = {**KRAS, "id": "a1c-1", "code": {"coding": [{"system": "http://loinc.org", "code": "4548-4"}]}}


def fetch(server: FakeFhirServer, queries: dict[str, str], **kwargs: Any) -> FetchOutcome:
    kwargs.setdefault("allowed_prefixes", [server.url])
    return asyncio.run(fetch_queries(server.url, kwargs.pop("token", TOKEN), queries, **kwargs))


def entry_ids(bundle: dict[str, Any]) -> list[str]:
    return [entry["resource"]["id"] for entry in bundle["entry"]]


def test_fetches_reads_and_searches_with_bearer_token_and_fhir_accept() -> None:
    with FakeFhirServer([PATIENT, KRAS, OTHER_PATIENT_KRAS, A1C]) as server:
        outcome = fetch(
            server,
            {"patient": "Patient/123", "kras": f"Observation?patient=123&code={LOINC_KRAS}"},
        )
    assert outcome == FetchOutcome(
        resources={"patient": PATIENT, "kras": outcome.resources["kras"]}, failures={}, blocked=False
    )
    assert entry_ids(outcome.resources["kras"]) == ["kras-1"]
    assert sorted(r.path for r in server.requests) == ["/fhir/Observation", "/fhir/Patient/123"]
    assert server.authorizations == [f"Bearer {TOKEN}"] * 2
    assert {r.accept for r in server.requests} == {"application/fhir+json"}


def test_sends_no_authorization_header_without_a_token() -> None:
    with FakeFhirServer([PATIENT]) as server:
        outcome = fetch(server, {"patient": "Patient/123"}, token=None)
    assert outcome.resources["patient"] == PATIENT
    assert server.authorizations == [None]


def test_follows_next_links_and_merges_pages() -> None:
    observations = [{**KRAS, "id": f"obs-{index}"} for index in range(7)]
    with FakeFhirServer(observations, page_size=3) as server:
        outcome = fetch(server, {"labs": "Observation?patient=123"})
    bundle = outcome.resources["labs"]
    assert entry_ids(bundle) == [f"obs-{index}" for index in range(7)]
    assert all(link["relation"] != "next" for link in bundle["link"])
    assert outcome.failures == {}
    assert len(server.requests) == 3
    assert server.authorizations == [f"Bearer {TOKEN}"] * 3


def test_stops_paging_at_the_page_cap_and_keeps_what_it_has() -> None:
    observations = [{**KRAS, "id": f"obs-{index}"} for index in range(30)]

    async def capped() -> FetchOutcome:
        async with FhirFetcher(allowed_prefixes=[server.url], limits=FetchLimits(max_pages=2)) as fetcher:
            return await fetcher.fetch(server.url, TOKEN, {"labs": "Observation?patient=123"})

    with FakeFhirServer(observations, page_size=5) as server:
        outcome = asyncio.run(capped())
    assert len(outcome.resources["labs"]["entry"]) == 10
    assert outcome.failures == {"labs": FailureReason.PAGE_LIMIT}
    assert len(server.requests) == 2


def test_missing_resource_is_recorded_as_http_404() -> None:
    with FakeFhirServer([PATIENT]) as server:
        outcome = fetch(server, {"patient": "Patient/123", "ghost": "Patient/nobody"})
    assert outcome.resources == {"patient": PATIENT}
    assert outcome.failures == {"ghost": "http-404"}


@pytest.mark.parametrize(
    "query",
    [
        "http://169.254.169.254/latest/meta-data",
        "//169.254.169.254/latest",
        "/Patient/123",
        "Patient/../../admin",
        "Patient/123#frag",
        "Patient/1 23",
        "Patient\\123",
        "",
    ],
)
def test_rejects_queries_that_are_not_relative_fhir_urls_without_sending_them(query: str) -> None:
    with FakeFhirServer([PATIENT]) as server:
        outcome = fetch(server, {"bad": query, "patient": "Patient/123"})
    assert outcome.failures == {"bad": FailureReason.INVALID_QUERY}
    assert [r.path for r in server.requests] == ["/fhir/Patient/123"]


def test_a_shared_fetcher_serves_several_calls() -> None:
    async def twice() -> list[FetchOutcome]:
        async with FhirFetcher(allowed_prefixes=[server.url]) as fetcher:
            return [await fetcher.fetch(server.url, TOKEN, {"p": "Patient/123"}) for _ in range(2)]

    with FakeFhirServer([PATIENT]) as server:
        outcomes = asyncio.run(twice())
    assert [o.resources for o in outcomes] == [{"p": PATIENT}] * 2
    assert len(server.requests) == 2


def test_queries_run_in_parallel() -> None:
    patients = [{"resourceType": "Patient", "id": str(n)} for n in range(3)]
    with FakeFhirServer(patients, slow_seconds=0.5) as server:
        server.set_fault(Fault.SLOW)
        outcome = fetch(server, {f"p{n}": f"Patient/{n}" for n in range(3)}, budget_s=5.0)
    assert outcome.failures == {}
    assert server.max_in_flight == 3


@pytest.mark.parametrize("suffix", ["?_format=json", "#top"])
def test_base_url_with_query_or_fragment_is_blocked(suffix: str) -> None:
    with FakeFhirServer([PATIENT]) as server:
        outcome = asyncio.run(
            fetch_queries(server.url + suffix, TOKEN, {"p": "Patient/123"}, allowed_prefixes=[server.url])
        )
    assert outcome.blocked is True
    assert server.requests == []


EHR = "https://ehr.example.org/fhir"


def fetch_mocked(handler: Any, queries: dict[str, str]) -> FetchOutcome:
    return asyncio.run(
        fetch_queries(EHR, TOKEN, queries, allowed_prefixes=[EHR], transport=httpx.MockTransport(handler))
    )


def searchset(ids: list[str], next_url: str | None = None, extra: list[Any] | None = None) -> dict[str, Any]:
    links = [{"relation": "next", "url": next_url}] if next_url else []
    entries = [{"resource": {"resourceType": "Observation", "id": i}} for i in ids]
    return {"resourceType": "Bundle", "type": "searchset", "link": links, "entry": entries + (extra or [])}


def test_a_failing_later_page_keeps_the_earlier_pages_and_records_the_failure() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if "page=2" in str(request.url):
            return httpx.Response(500)
        return httpx.Response(200, json=searchset(["o1", "o2"], next_url=f"{EHR}/Observation?page=2"))

    outcome = fetch_mocked(handler, {"labs": "Observation?patient=123"})
    assert entry_ids(outcome.resources["labs"]) == ["o1", "o2"]
    assert outcome.failures == {"labs": "http-500"}


def test_warning_outcome_entries_are_dropped_without_failing_the_key() -> None:
    warning = {
        "resource": {"resourceType": "OperationOutcome", "issue": [{"severity": "warning", "code": "info"}]},
        "search": {"mode": "outcome"},
    }

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json=searchset(["o1"], extra=[warning]))

    outcome = fetch_mocked(handler, {"labs": "Observation?patient=123"})
    assert entry_ids(outcome.resources["labs"]) == ["o1"]
    assert outcome.failures == {}


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ({"resourceType": "OperationOutcome", "issue": [{"severity": "error"}]}, "operation-outcome"),
        ([1, 2, 3], "not-fhir"),
        ({"no": "resourceType"}, "not-fhir"),
    ],
)
def test_a_read_answered_with_something_other_than_a_resource_fails(body: Any, reason: str) -> None:
    outcome = fetch_mocked(lambda request: httpx.Response(200, json=body), {"patient": "Patient/123"})
    assert outcome.failures == {"patient": reason}
    assert outcome.resources == {}


def test_redirect_loops_stop_after_a_few_hops() -> None:
    hops: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        hops.append(str(request.url))
        return httpx.Response(302, headers={"Location": f"{EHR}/Patient/123?hop={len(hops)}"})

    outcome = fetch_mocked(handler, {"patient": "Patient/123"})
    assert outcome.failures == {"patient": FailureReason.TOO_MANY_REDIRECTS}
    assert len(hops) == 4
