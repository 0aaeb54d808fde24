"""SSRF guard (issue 5 item 2): off-allowlist servers, redirects and next links are never contacted."""

from __future__ import annotations

import asyncio
import re

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from cds_service.gather.fhir_client import FailureReason, FetchOutcome, fetch_queries
from cds_service.security.url_allowlist import UrlAllowlist
from tests.support.connection_recorder import ConnectionRecorder
from tests.support.fhir_server import FakeFhirServer, Fault

TOKEN = "ehr-access-token-ssrf"
PATIENT = {"resourceType": "Patient", "id": "123"}
QUERIES = {"patient": "Patient/123", "coverage": "Coverage?patient=123&status=active"}


def fetch(fhir_server: str, allowed: list[str], queries: dict[str, str] = QUERIES) -> FetchOutcome:
    return asyncio.run(fetch_queries(fhir_server, TOKEN, queries, allowed_prefixes=allowed, budget_s=2.0))


def test_fhir_server_outside_the_allowlist_is_never_contacted() -> None:
    with FakeFhirServer([PATIENT]) as allowed_server, ConnectionRecorder() as outsider:
        outcome = fetch(f"{outsider.url}/fhir", [allowed_server.url])
    assert outcome.blocked is True
    assert outcome.resources == {}
    assert outcome.failures == {key: FailureReason.BLOCKED for key in QUERIES}
    assert outsider.connection_count == 0
    assert allowed_server.requests == []


def test_recorder_does_see_a_server_that_is_contacted() -> None:
    # Control for the test above: with the recorder allowlisted, the same call connects to it.
    with ConnectionRecorder() as recorder:
        outcome = fetch(f"{recorder.url}/fhir", [recorder.url])
    assert outcome.blocked is False
    assert recorder.connection_count >= 1


@pytest.mark.parametrize(
    "fhir_server",
    [
        "http://127.0.0.1.evil.example/fhir",
        "http://127.0.0.10/fhir",
        "http://127.0.0.1@evil.example/fhir",
        "http://evil.example@127.0.0.1/fhir",
        "https://127.0.0.1/fhir",
        "file:///etc/passwd",
        "http://127.0.0.1/fhir/../admin",
    ],
)
def test_look_alike_servers_are_blocked(fhir_server: str) -> None:
    requests: list[httpx.Request] = []

    def record(request: httpx.Request) -> httpx.Response:
        requests.append(request)
        return httpx.Response(200, json=PATIENT)

    outcome = asyncio.run(
        fetch_queries(
            fhir_server,
            TOKEN,
            {"patient": "Patient/123"},
            allowed_prefixes=["http://127.0.0.1"],
            transport=httpx.MockTransport(record),
        )
    )
    assert outcome.blocked is True
    assert requests == []


def test_redirect_off_the_allowlist_is_not_followed() -> None:
    with FakeFhirServer([PATIENT]) as server, ConnectionRecorder() as elsewhere:
        server.set_fault(Fault.REDIRECT, redirect_to=f"{elsewhere.url}/fhir")
        outcome = fetch(server.url, [server.url], {"patient": "Patient/123"})
    assert outcome.failures == {"patient": FailureReason.BLOCKED_REDIRECT}
    assert outcome.resources == {}
    assert len(server.requests) == 1
    assert elsewhere.connection_count == 0


def test_redirect_within_the_allowlist_is_followed_and_keeps_the_token_on_its_origin() -> None:
    with FakeFhirServer([PATIENT]) as target, FakeFhirServer() as server:
        server.set_fault(Fault.REDIRECT, redirect_to=target.url)
        outcome = fetch(server.url, [server.url, target.url], {"patient": "Patient/123"})
    assert outcome.resources == {"patient": PATIENT}
    assert server.authorizations == [f"Bearer {TOKEN}"]
    assert target.authorizations == [None]  # another origin never receives the EHR's token


def test_next_link_to_another_origin_is_not_followed() -> None:
    observations = [
        {"resourceType": "Observation", "id": f"o{index}", "subject": {"reference": "Patient/123"}}
        for index in range(4)
    ]
    with FakeFhirServer(observations, page_size=2) as server, ConnectionRecorder() as elsewhere:
        server.link_base = f"{elsewhere.url}/fhir"
        # Even an allowlisted origin does not get the EHR's token through a paging link.
        outcome = fetch(server.url, [server.url, elsewhere.url], {"labs": "Observation?patient=123"})
    assert outcome.failures == {"labs": FailureReason.BLOCKED_NEXT}
    assert [e["resource"]["id"] for e in outcome.resources["labs"]["entry"]] == ["o0", "o1"]
    assert elsewhere.connection_count == 0


# --- the allowlist itself ---------------------------------------------------------------------


ALLOW = UrlAllowlist(["http://127.0.0.1", "https://ehr.example.org/fhir", "http://localhost:8080"])


@pytest.mark.parametrize(
    ("url", "allowed"),
    [
        ("http://127.0.0.1:5000/fhir", True),
        ("HTTP://127.0.0.1/fhir", True),
        ("http://127.0.0.1.evil.com/fhir", False),
        ("http://127.0.0.10/fhir", False),
        ("http://127.0.0.1@evil.com/", False),
        ("http://user:pw@127.0.0.1/", False),
        ("http://127.0.0.1\\@evil.com/", False),
        ("http://127.0.0.1%2eevil.com/", False),
        ("http://2130706433/", False),
        ("https://ehr.example.org/fhir", True),
        ("https://ehr.example.org/fhir/Patient/1", True),
        ("https://ehr.example.org/fhirx/Patient/1", False),
        ("https://ehr.example.org/fhir/../admin", False),
        ("https://ehr.example.org/fhir/%2e%2e/admin", False),
        ("http://ehr.example.org/fhir", False),
        ("https://ehr.example.org:8443/fhir", False),
        ("http://localhost:8080/fhir", True),
        ("http://localhost:8081/fhir", False),
        ("http://localhost/fhir", False),
        ("gopher://127.0.0.1/", False),
    ],
)
def test_allowlist_compares_parsed_origins(url: str, allowed: bool) -> None:
    assert ALLOW.allows(url) is allowed


def test_allowlist_rejects_malformed_prefixes() -> None:
    for prefix in ("127.0.0.1", "http://user@127.0.0.1", "http://127.0.0.1/?x=1", "ftp://host"):
        with pytest.raises(ValueError, match="prefix"):
            UrlAllowlist([prefix])


@given(suffix=st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789.-@:", min_size=1, max_size=20))
def test_no_host_extension_of_an_allowed_host_is_allowed(suffix: str) -> None:
    url = f"http://127.0.0.1{suffix}/fhir"
    # Only a port (or an empty port) leaves the host exactly 127.0.0.1; everything else changes it.
    only_a_port = re.fullmatch(r":\d*", suffix) is not None and int(suffix[1:] or 0) < 65536
    assert ALLOW.allows(url) is only_a_port
