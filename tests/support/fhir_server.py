"""A small, real FHIR R4 server for tests: serves resources from memory on 127.0.0.1.

    with FakeFhirServer([patient, coverage, observation], page_size=50) as fhir:
        fhir.url                                  # "http://127.0.0.1:<port>/fhir" (the fhirServer)
        ...                                       # point the code under test at fhir.url
        fhir.requests[0].authorization            # "Bearer <token>" as received
        fhir.requests[0].path, .query             # "/fhir/Observation", {"patient": ["123"]}
        fhir.max_in_flight                        # most requests answered at once

Interactions (JSON only, ``application/fhir+json``):

- ``GET [base]/<Type>/<id>``: read (404 + OperationOutcome when absent); ``GET [base]/metadata``.
- ``GET [base]/<Type>?params``: search, answered with a ``searchset`` Bundle. Supported parameters:
  ``_id``; ``patient`` / ``subject`` / ``beneficiary`` (``123`` or ``Patient/123``, matched against
  the resource's ``subject``, ``patient`` or ``beneficiary`` reference, or the Patient's own id);
  token parameters ``code`` (``code`` or ``medicationCodeableConcept``), ``category``, ``type``,
  ``status`` (comma = or; ``system|code`` or ``code``); ``_include=<Type>:<element>``; ``_count``.
  Other parameters are ignored, as lenient servers do. With ``page_size`` (or ``_count``), results
  are paged with absolute ``next`` links (on ``link_base`` when set, to test hostile links).
- ``serve_json(path, document)`` serves any JSON document at an absolute path (e.g. a JWKS).

Faults, switchable at any time, for every resource type or one (``resource_type="Observation"``):

- ``Fault.SLOW``: answer after ``slow_seconds`` (10 s); stopping the server ends the wait.
- ``Fault.HTTP_500``: 500 with an OperationOutcome body.
- ``Fault.INVALID_JSON``: 200 with a truncated JSON body.
- ``Fault.OPERATION_OUTCOME``: 200 searchset Bundle whose only entry is an error OperationOutcome.
- ``Fault.REDIRECT``: 302 to ``redirect_to`` + the same relative path and query.

Only binds 127.0.0.1. Every request is recorded (``requests``), including faulted ones.
"""

from __future__ import annotations

import enum
import json
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from tests.support.background import Background

FHIR_JSON = "application/fhir+json"
_REFERENCE_ELEMENTS = ("subject", "patient", "beneficiary")
_TOKEN_ELEMENTS = {
    "code": ("code", "medicationCodeableConcept"),
    "category": ("category",),
    "type": ("type",),
}
_IGNORED_PARAMS = frozenset({"_count", "_offset", "_include"})


class Fault(enum.Enum):
    SLOW = "slow"
    HTTP_500 = "http-500"
    INVALID_JSON = "invalid-json"
    OPERATION_OUTCOME = "operation-outcome"
    REDIRECT = "redirect"


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    path: str
    query: dict[str, list[str]]
    authorization: str | None
    accept: str | None

    @property
    def resource_type(self) -> str | None:
        parts = [part for part in self.path.split("/") if part]
        return parts[1] if len(parts) > 1 else None


@dataclass(frozen=True)
class _Response:
    status: int
    body: bytes
    headers: tuple[tuple[str, str], ...] = ()


class FakeFhirServer(Background):
    """See the module docstring. Thread-safe; use as a context manager."""

    def __init__(
        self,
        resources: Iterable[Mapping[str, Any]] = (),
        *,
        base_path: str = "/fhir",
        page_size: int | None = None,
        slow_seconds: float = 10.0,
    ) -> None:
        self.base_path = "/" + base_path.strip("/") if base_path.strip("/") else ""
        self.page_size = page_size
        self.slow_seconds = slow_seconds
        self.link_base: str | None = None  # base URL for paging links; None = this server's url
        self._resources: dict[tuple[str, str], dict[str, Any]] = {}
        self._documents: dict[str, bytes] = {}
        self._faults: dict[str, tuple[Fault, str | None]] = {}
        self._requests: list[RecordedRequest] = []
        self._in_flight = 0
        self._max_in_flight = 0
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._httpd = _HttpServer(("127.0.0.1", 0), _Handler)
        self._httpd.fake = self
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.add(*resources)

    # --- life cycle ---------------------------------------------------------------------------

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)

    # --- what tests read ----------------------------------------------------------------------

    @property
    def port(self) -> int:
        return int(self._httpd.server_address[1])

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def url(self) -> str:
        """The FHIR base URL, i.e. what a hook request puts in ``fhirServer``."""
        return self.origin + self.base_path

    @property
    def requests(self) -> list[RecordedRequest]:
        with self._lock:
            return list(self._requests)

    @property
    def max_in_flight(self) -> int:
        """The most requests this server was answering at the same time (parallelism proof)."""
        with self._lock:
            return self._max_in_flight

    @property
    def authorizations(self) -> list[str | None]:
        return [request.authorization for request in self.requests]

    # --- what tests set -----------------------------------------------------------------------

    def add(self, *resources: Mapping[str, Any]) -> None:
        with self._lock:
            for resource in resources:
                self._resources[(str(resource["resourceType"]), str(resource["id"]))] = dict(resource)

    def serve_json(self, path: str, document: Any) -> str:
        """Serve ``document`` at ``path`` (absolute, outside the FHIR base); returns its URL."""
        with self._lock:
            self._documents[path] = json.dumps(document).encode()
        return self.origin + path

    def set_fault(self, fault: Fault, *, resource_type: str | None = None, redirect_to: str | None = None) -> None:
        if fault is Fault.REDIRECT and not redirect_to:
            raise ValueError("Fault.REDIRECT needs redirect_to (a base URL)")
        with self._lock:
            self._faults[resource_type or "*"] = (fault, redirect_to)

    def clear_faults(self) -> None:
        with self._lock:
            self._faults.clear()

    # --- request handling (called on server threads) --------------------------------------------

    def _record(self, request: RecordedRequest) -> None:
        with self._lock:
            self._requests.append(request)
            self._in_flight += 1
            self._max_in_flight = max(self._max_in_flight, self._in_flight)

    def _finished(self) -> None:
        with self._lock:
            self._in_flight -= 1

    def _answer(self, path: str, query: dict[str, list[str]], raw_query: str) -> _Response:
        with self._lock:
            document = self._documents.get(path)
        if document is not None:
            return _Response(200, document, (("Content-Type", "application/json"),))
        if not path.startswith(self.base_path + "/"):
            return _outcome(404, "not-found", "Unknown path")
        relative = path[len(self.base_path) + 1 :]
        parts = relative.split("/")
        faulted = self._faulted(parts[0], relative, raw_query)
        if faulted is not None:
            return faulted
        if parts == ["metadata"]:
            return _json(200, {"resourceType": "CapabilityStatement", "status": "active", "kind": "instance"})
        if len(parts) == 2:
            return self._read(parts[0], parts[1])
        if len(parts) == 1 and parts[0]:
            return self._search(parts[0], query)
        return _outcome(400, "not-supported", "Unsupported interaction")

    def _faulted(self, resource_type: str, relative: str, raw_query: str) -> _Response | None:
        with self._lock:
            configured = self._faults.get(resource_type) or self._faults.get("*")
        if configured is None:
            return None
        fault, redirect_to = configured
        if fault is Fault.SLOW:
            if self._stopping.wait(self.slow_seconds):
                return _outcome(503, "transient", "Server stopping")
            return None
        if fault is Fault.HTTP_500:
            return _outcome(500, "exception", "Simulated server failure")
        if fault is Fault.INVALID_JSON:
            return _Response(200, b'{"resourceType": "Bundle", "entry": [', (("Content-Type", FHIR_JSON),))
        if fault is Fault.OPERATION_OUTCOME:
            outcome = _outcome_resource("exception", "Simulated search failure")
            return _json(200, _bundle([(outcome, "outcome")], total=0, self_url=self.url + "/" + relative))
        target = f"{str(redirect_to).rstrip('/')}/{relative}" + (f"?{raw_query}" if raw_query else "")
        return _Response(302, b"", (("Location", target),))

    def _read(self, resource_type: str, resource_id: str) -> _Response:
        with self._lock:
            resource = self._resources.get((resource_type, resource_id))
        if resource is None:
            return _outcome(404, "not-found", f"{resource_type}/{resource_id} is not known")
        return _json(200, resource)

    def _search(self, resource_type: str, query: dict[str, list[str]]) -> _Response:
        with self._lock:
            candidates = [r for (kind, _), r in self._resources.items() if kind == resource_type]
            everything = dict(self._resources)
        matches = [r for r in candidates if _matches(r, query)]
        offset = _int_param(query, "_offset", 0, minimum=0)
        page_size = _int_param(query, "_count", self.page_size or len(matches) or 1, minimum=1)
        page = matches[offset : offset + page_size]
        entries: list[tuple[dict[str, Any], str]] = [(r, "match") for r in page]
        entries += [(r, "include") for r in _included(page, query.get("_include", []), everything)]
        self_url = f"{self.url}/{resource_type}?{urlencode(query, doseq=True)}"
        bundle = _bundle(entries, total=len(matches), self_url=self_url)
        if offset + page_size < len(matches):
            next_query = {**query, "_offset": [str(offset + page_size)], "_count": [str(page_size)]}
            link_base = self.link_base or self.url
            bundle["link"].append(
                {
                    "relation": "next",
                    "url": f"{link_base}/{resource_type}?{urlencode(next_query, doseq=True)}",
                }
            )
        return _json(200, bundle)


class _HttpServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    request_queue_size = 128  # parallel fetches must not overflow the listen backlog (SYN retry = 1 s)
    fake: FakeFhirServer

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that gave up (timeout tests) closes its socket mid-answer; that is expected.
        return


class _Handler(BaseHTTPRequestHandler):
    server: _HttpServer

    def do_GET(self) -> None:  # noqa: N802 - the name http.server dispatches to
        parts = urlsplit(self.path)
        query = parse_qs(parts.query, keep_blank_values=True)
        fake = self.server.fake
        fake._record(
            RecordedRequest(
                method="GET",
                path=parts.path,
                query=query,
                authorization=self.headers.get("Authorization"),
                accept=self.headers.get("Accept"),
            )
        )
        try:
            response = fake._answer(parts.path, query, parts.query)
        finally:
            fake._finished()
        self.send_response(response.status)
        for name, value in response.headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(response.body)))
        self.end_headers()
        self.wfile.write(response.body)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - signature of the base class
        return


def _json(status: int, document: Mapping[str, Any]) -> _Response:
    return _Response(status, json.dumps(document).encode(), (("Content-Type", FHIR_JSON),))


def _outcome_resource(code: str, text: str) -> dict[str, Any]:
    return {
        "resourceType": "OperationOutcome",
        "issue": [{"severity": "error", "code": code, "diagnostics": text}],
    }


def _outcome(status: int, code: str, text: str) -> _Response:
    return _json(status, _outcome_resource(code, text))


def _bundle(entries: list[tuple[dict[str, Any], str]], *, total: int, self_url: str) -> dict[str, Any]:
    return {
        "resourceType": "Bundle",
        "type": "searchset",
        "total": total,
        "link": [{"relation": "self", "url": self_url}],
        "entry": [
            {
                **({"fullUrl": f"{r['resourceType']}/{r['id']}"} if "id" in r else {}),
                "resource": r,
                "search": {"mode": mode},
            }
            for r, mode in entries
        ],
    }


def _int_param(query: dict[str, list[str]], name: str, default: int, *, minimum: int) -> int:
    values = query.get(name)
    if values and values[0].isdigit() and int(values[0]) >= minimum:
        return int(values[0])
    return default


def _matches(resource: dict[str, Any], query: dict[str, list[str]]) -> bool:
    for name, values in query.items():
        if name in _IGNORED_PARAMS:
            continue
        wanted = [item for value in values for item in value.split(",") if item]
        if name == "_id" and resource.get("id") not in wanted:
            return False
        if name in ("patient", "subject", "beneficiary") and not _refers_to_patient(resource, wanted):
            return False
        if name == "status" and resource.get("status") not in wanted:
            return False
        if name in _TOKEN_ELEMENTS and not _has_token(resource, _TOKEN_ELEMENTS[name], wanted):
            return False
    return True


def _refers_to_patient(resource: dict[str, Any], wanted: list[str]) -> bool:
    ids = {value.removeprefix("Patient/") for value in wanted}
    if resource.get("resourceType") == "Patient":
        return resource.get("id") in ids
    for element in _REFERENCE_ELEMENTS:
        reference = resource.get(element)
        if isinstance(reference, dict) and str(reference.get("reference", "")).removeprefix("Patient/") in ids:
            return True
    return False


def _has_token(resource: dict[str, Any], elements: tuple[str, ...], wanted: list[str]) -> bool:
    codings: list[dict[str, Any]] = []
    for element in elements:
        value = resource.get(element)
        for concept in value if isinstance(value, list) else [value]:
            if isinstance(concept, dict):
                codings += [c for c in concept.get("coding", []) if isinstance(c, dict)]
    for token in wanted:
        system, separator, code = token.rpartition("|")
        for coding in codings:
            if coding.get("code") == code and (not separator or coding.get("system") == system):
                return True
    return False


def _included(
    page: list[dict[str, Any]], includes: list[str], everything: dict[tuple[str, str], dict[str, Any]]
) -> list[dict[str, Any]]:
    found: dict[tuple[str, str], dict[str, Any]] = {}
    for include in includes:
        _, _, element = include.partition(":")
        for resource in page:
            value = resource.get(element)
            for reference in value if isinstance(value, list) else [value]:
                target = reference.get("reference") if isinstance(reference, dict) else None
                kind, _, target_id = str(target or "").partition("/")
                if (kind, target_id) in everything:
                    found[(kind, target_id)] = everything[(kind, target_id)]
    return list(found.values())
