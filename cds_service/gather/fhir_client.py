"""Fetch what prefetch did not bring from the EHR's FHIR server: guarded, parallel, time-boxed.

    outcome = await fetch_queries(
        "https://ehr.example.org/fhir", access_token,
        {"patient": "Patient/123", "a1c": "Observation?patient=123&code=http://loinc.org|4548-4"},
        allowed_prefixes=["https://ehr.example.org/fhir"],
    )
    outcome.resources["patient"]    # parsed resource (a search answers with one merged searchset Bundle)
    outcome.failures["a1c"]         # a short reason code, e.g. "timeout", "http-500", "invalid-json"
    outcome.blocked                 # fhirServer was off the allowlist: nothing was contacted

Guarantees:

- **SSRF guard.** Only URLs admitted by the allowlist (see ``url_allowlist``) are contacted: the
  server itself, each redirect hop and each paging ``next`` link. Redirects are followed by hand,
  only to allowed targets, at most ``max_redirects`` hops.
- **The access token** is sent only to the ``fhirServer``'s own origin (never to another allowed
  origin a redirect or next link names), and never appears in logs or failure text.
- **Budget.** All queries run in parallel; the whole call returns within ``budget_s`` (plus
  scheduling slack) whatever the server does. Per-request timeouts are the remaining budget.
- **Never raises** for server faults: every failure is recorded per key. A key can be in both
  ``resources`` and ``failures`` when only part of it was retrieved (a later page failed, the page
  cap was hit, or the Bundle carried error OperationOutcome entries); treat such data as partial.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import Any
from urllib.parse import urljoin

import httpx
import orjson

from cds_service.security.url_allowlist import UrlAllowlist, same_origin

logger = logging.getLogger(__name__)

FHIR_JSON = "application/fhir+json"
_REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
_QUERY_PATH = re.compile(r"^[A-Z][A-Za-z]*(/[A-Za-z0-9\-.$_]+)*$")
_UNSAFE_QUERY_CHARS = re.compile(r"[\x00-\x20\x7f\\#]")


class FailureReason:
    """The reason codes recorded in ``FetchOutcome.failures`` (plus ``http-<status>``)."""

    BLOCKED = "blocked"  # fhirServer not on the allowlist; nothing contacted
    BLOCKED_REDIRECT = "blocked-redirect"  # a redirect pointed off the allowlist; not followed
    BLOCKED_NEXT = "blocked-next"  # a paging link left the fhirServer origin or allowlist
    INVALID_QUERY = "invalid-query"  # not a relative FHIR URL; nothing sent
    TIMEOUT = "timeout"
    CONNECTION_FAILED = "connection-failed"
    TRANSPORT_ERROR = "transport-error"
    TOO_MANY_REDIRECTS = "too-many-redirects"
    TOO_LARGE = "too-large"
    INVALID_JSON = "invalid-json"
    NOT_FHIR = "not-fhir"  # JSON, but not a FHIR resource
    OPERATION_OUTCOME = "operation-outcome"  # an error OperationOutcome instead of (or inside) data
    PAGE_LIMIT = "page-limit"  # more pages than max_pages; the first ones are kept
    UNEXPECTED = "unexpected-error"

    @staticmethod
    def http_status(status: int) -> str:
        return f"http-{status}"


@dataclass(frozen=True, slots=True)
class FetchOutcome:
    resources: dict[str, dict[str, Any]]
    failures: dict[str, str]
    blocked: bool


class _FetchError(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(slots=True)
class _KeyProgress:
    """What one query has produced so far; survives the task being cancelled at the deadline."""

    resource: dict[str, Any] | None = None
    failure: str | None = None
    done: bool = False


@dataclass(frozen=True, slots=True)
class _Session:
    base_url: str
    access_token: str | None
    deadline: float
    allowlist: UrlAllowlist


@dataclass(frozen=True, slots=True)
class FetchLimits:
    max_response_bytes: int = 8 * 1024 * 1024
    max_pages: int = 10
    max_redirects: int = 3
    max_parallel: int = 16


class FhirFetcher:
    """A reusable fetcher holding one connection pool; ``fetch_queries`` is the one-shot form.

    Use as ``async with FhirFetcher(...) as fetcher`` or call ``aclose()`` when done.
    """

    def __init__(
        self,
        *,
        allowed_prefixes: Sequence[str],
        transport: httpx.AsyncBaseTransport | None = None,
        limits: FetchLimits | None = None,
    ) -> None:
        self._allowlist = UrlAllowlist(allowed_prefixes)
        self._limits = limits or FetchLimits()
        self._client = httpx.AsyncClient(
            transport=transport,
            follow_redirects=False,
            trust_env=False,
            limits=httpx.Limits(max_connections=self._limits.max_parallel),
        )

    async def __aenter__(self) -> FhirFetcher:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._client.aclose()

    async def fetch(
        self,
        fhir_server: str,
        access_token: str | None,
        queries: Mapping[str, str],
        *,
        budget_s: float = 2.0,
    ) -> FetchOutcome:
        """Run ``queries`` (relative FHIR URLs by prefetch key) against ``fhir_server``."""
        if not _acceptable_base(self._allowlist, fhir_server):
            logger.warning("fhir_fetch_blocked keys=%d", len(queries))
            return FetchOutcome({}, {key: FailureReason.BLOCKED for key in queries}, blocked=True)
        loop = asyncio.get_running_loop()
        session = _Session(
            base_url=fhir_server.rstrip("/"),
            access_token=access_token,
            deadline=loop.time() + budget_s,
            allowlist=self._allowlist,
        )
        progress = {key: _KeyProgress() for key in queries}
        tasks = [asyncio.create_task(self._run_query(session, query, progress[key])) for key, query in queries.items()]
        if tasks:
            _, pending = await asyncio.wait(tasks, timeout=max(0.0, session.deadline - loop.time()))
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)
        return _collect(progress)

    async def _run_query(self, session: _Session, query: str, progress: _KeyProgress) -> None:
        try:
            url = _query_url(session.base_url, query)
            resource = await self._get_resource(session, url)
            if _is_searchset(resource):
                await self._with_later_pages(session, resource, progress)
            else:
                progress.resource = resource
        except _FetchError as failure:
            progress.failure = failure.reason
        except Exception as exc:  # the contract is "record, never raise"
            logger.error("fhir_fetch_unexpected_error type=%s", exc.__class__.__name__)
            progress.failure = FailureReason.UNEXPECTED
        if progress.resource is not None and _strip_outcome_entries(progress.resource):
            progress.failure = progress.failure or FailureReason.OPERATION_OUTCOME
        # Not in a finally: a task cancelled at the deadline must stay "not done" (a timeout).
        progress.done = True

    async def _with_later_pages(self, session: _Session, first_page: dict[str, Any], progress: _KeyProgress) -> None:
        merged = {**first_page, "entry": _entries(first_page)}
        merged["link"] = [link for link in _links(first_page) if _relation(link) != "next"]
        progress.resource = merged
        page, pages = first_page, 1
        while (next_url := _next_link(page, session.base_url)) is not None:
            if pages >= self._limits.max_pages:
                raise _FetchError(FailureReason.PAGE_LIMIT)
            if not same_origin(next_url, session.base_url):
                raise _FetchError(FailureReason.BLOCKED_NEXT)
            page = await self._get_resource(session, next_url, off_allowlist=FailureReason.BLOCKED_NEXT)
            if not _is_searchset(page):
                raise _FetchError(FailureReason.NOT_FHIR)
            merged["entry"].extend(_entries(page))
            pages += 1

    async def _get_resource(
        self, session: _Session, url: str, *, off_allowlist: str = FailureReason.BLOCKED
    ) -> dict[str, Any]:
        for hop in range(self._limits.max_redirects + 1):
            if not session.allowlist.allows(url) or not _httpx_agrees(session.allowlist, url):
                raise _FetchError(off_allowlist if hop == 0 else FailureReason.BLOCKED_REDIRECT)
            status, body, location = await self._get(session, url)
            if status in _REDIRECT_STATUSES:
                if location is None:
                    raise _FetchError(FailureReason.http_status(status))
                url = urljoin(url, location)
                continue
            if status >= 400:
                raise _FetchError(FailureReason.http_status(status))
            return _parse_resource(body)
        raise _FetchError(FailureReason.TOO_MANY_REDIRECTS)

    async def _get(self, session: _Session, url: str) -> tuple[int, bytes, str | None]:
        remaining = session.deadline - asyncio.get_running_loop().time()
        if remaining <= 0:
            raise _FetchError(FailureReason.TIMEOUT)
        headers = {"Accept": FHIR_JSON}
        if session.access_token and same_origin(url, session.base_url):
            headers["Authorization"] = f"Bearer {session.access_token}"
        try:
            async with self._client.stream("GET", url, headers=headers, timeout=httpx.Timeout(remaining)) as response:
                if response.status_code in _REDIRECT_STATUSES or response.status_code >= 400:
                    return response.status_code, b"", response.headers.get("location")
                return response.status_code, await self._read_capped(response), None
        except httpx.TimeoutException as exc:
            raise _FetchError(FailureReason.TIMEOUT) from exc
        except httpx.ConnectError as exc:
            raise _FetchError(FailureReason.CONNECTION_FAILED) from exc
        except httpx.HTTPError as exc:
            raise _FetchError(FailureReason.TRANSPORT_ERROR) from exc

    async def _read_capped(self, response: httpx.Response) -> bytes:
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > self._limits.max_response_bytes:
            raise _FetchError(FailureReason.TOO_LARGE)
        body = bytearray()
        async for chunk in response.aiter_bytes():
            body.extend(chunk)
            if len(body) > self._limits.max_response_bytes:
                raise _FetchError(FailureReason.TOO_LARGE)
        return bytes(body)


async def fetch_queries(
    fhir_server: str,
    access_token: str | None,
    queries: dict[str, str],
    *,
    allowed_prefixes: Sequence[str],
    budget_s: float = 2.0,
    transport: httpx.AsyncBaseTransport | None = None,
) -> FetchOutcome:
    """Run ``queries`` against ``fhir_server`` with a one-off connection pool (see module doc)."""
    async with FhirFetcher(allowed_prefixes=allowed_prefixes, transport=transport) as fetcher:
        return await fetcher.fetch(fhir_server, access_token, queries, budget_s=budget_s)


def _acceptable_base(allowlist: UrlAllowlist, fhir_server: str) -> bool:
    # A base URL with a query or fragment would swallow the relative paths appended to it.
    if "?" in fhir_server or "#" in fhir_server:
        return False
    return allowlist.allows(fhir_server) and _httpx_agrees(allowlist, fhir_server)


def _httpx_agrees(allowlist: UrlAllowlist, url: str) -> bool:
    # Guard against parser differentials: the URL httpx will actually request must pass too.
    try:
        return allowlist.allows(str(httpx.URL(url)))
    except (httpx.InvalidURL, ValueError):
        return False


def _query_url(base_url: str, query: str) -> str:
    path, _, _ = query.partition("?")
    if not _QUERY_PATH.match(path) or _UNSAFE_QUERY_CHARS.search(query):
        raise _FetchError(FailureReason.INVALID_QUERY)
    if any(segment in (".", "..") for segment in path.split("/")):
        raise _FetchError(FailureReason.INVALID_QUERY)
    return f"{base_url}/{query}"


def _parse_resource(body: bytes) -> dict[str, Any]:
    try:
        document = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise _FetchError(FailureReason.INVALID_JSON) from exc
    if not isinstance(document, dict) or not isinstance(document.get("resourceType"), str):
        raise _FetchError(FailureReason.NOT_FHIR)
    if document["resourceType"] == "OperationOutcome":
        raise _FetchError(FailureReason.OPERATION_OUTCOME)
    return document


def _is_searchset(resource: dict[str, Any]) -> bool:
    return resource.get("resourceType") == "Bundle" and resource.get("type") in ("searchset", None)


def _entries(bundle: dict[str, Any]) -> list[Any]:
    entries = bundle.get("entry", [])
    if not isinstance(entries, list):
        raise _FetchError(FailureReason.NOT_FHIR)
    return list(entries)


def _links(bundle: dict[str, Any]) -> list[Any]:
    links = bundle.get("link", [])
    return links if isinstance(links, list) else []


def _relation(link: object) -> str | None:
    relation = link.get("relation") if isinstance(link, dict) else None
    return relation if isinstance(relation, str) else None


def _next_link(page: dict[str, Any], base_url: str) -> str | None:
    for link in _links(page):
        if _relation(link) == "next" and isinstance(link.get("url"), str):
            return urljoin(base_url + "/", str(link["url"]))
    return None


def _strip_outcome_entries(resource: dict[str, Any]) -> bool:
    """Drop OperationOutcome entries from a Bundle; True when one of them reported an error."""
    if resource.get("resourceType") != "Bundle" or not isinstance(resource.get("entry"), list):
        return False
    kept, errors = [], False
    for entry in resource["entry"]:
        inner = entry.get("resource") if isinstance(entry, dict) else None
        if isinstance(inner, dict) and inner.get("resourceType") == "OperationOutcome":
            errors = errors or _has_error_issue(inner)
        else:
            kept.append(entry)
    resource["entry"] = kept
    return errors


def _has_error_issue(outcome: dict[str, Any]) -> bool:
    issues = outcome.get("issue")
    return isinstance(issues, list) and any(
        isinstance(issue, dict) and issue.get("severity") in ("error", "fatal") for issue in issues
    )


def _collect(progress: Mapping[str, _KeyProgress]) -> FetchOutcome:
    resources: dict[str, dict[str, Any]] = {}
    failures: dict[str, str] = {}
    for key, state in progress.items():
        if state.resource is not None:
            resources[key] = state.resource
        failure = state.failure if state.done else FailureReason.TIMEOUT
        if failure is not None:
            failures[key] = failure
            logger.info("fhir_fetch_failed key=%s reason=%s", key, failure)
    return FetchOutcome(resources, failures, blocked=False)
