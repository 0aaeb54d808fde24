"""Issue 5 item 3: the body size limit (413) and the JSON nesting limit (400), at and over each limit."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest

from cds_service.app import EmptyCatalog, create_app
from cds_service.hook.request_model import MAX_JSON_DEPTH
from cds_service.settings import Settings
from tests.support.app_client import TestClient
from tests.support.hook_requests import order_sign, searchset

REPO = Path(__file__).resolve().parents[2]
SERVICE = "/cds-services/crd-order-sign"
LIMIT = 64 * 1024


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    settings = Settings(auth="off", db_path=tmp_path / "audit.sqlite3", max_body_bytes=LIMIT)
    with TestClient(create_app(settings, policies=(EmptyCatalog(), None))) as test_client:
        yield test_client


def stored(client: TestClient, hook_instance: str) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = client.app.state.cds.store.invocations(hook_instance)  # type: ignore[attr-defined]
    return rows


def padded_request(total_bytes: int) -> tuple[str, bytes]:
    """A valid order-sign request grown to exactly `total_bytes` by an unknown (ignored) field."""
    request = order_sign()
    request["padding"] = ""
    size = len(orjson.dumps(request))
    request["padding"] = "x" * (total_bytes - size)
    body = orjson.dumps(request)
    assert len(body) == total_bytes
    return request["hookInstance"], body


MARKER = "@nested-here@"


def nested_json(depth: int) -> bytes:
    """`depth` levels of alternating arrays and objects around a string, written as text: the json
    module and orjson both refuse to serialise documents this deep."""
    openings = [b"[" if level % 2 == 0 else b'{"x":' for level in range(depth)]
    closings = [b"]" if level % 2 == 0 else b"}" for level in reversed(range(depth))]
    return b"".join(openings) + b'"leaf"' + b"".join(closings)


def assert_outcome(response: Any, status: int) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/fhir+json")
    assert response.json()["resourceType"] == "OperationOutcome"


def test_body_at_the_limit_is_answered(client: TestClient) -> None:
    instance, body = padded_request(LIMIT)
    response = client.post(SERVICE, content=body, headers={"content-type": "application/json"})
    assert response.status_code == 200, response.text
    assert len(stored(client, instance)) == 1


def test_declared_body_over_the_limit_is_413_and_not_stored(client: TestClient) -> None:
    instance, body = padded_request(LIMIT + 1)
    response = client.post(SERVICE, content=body, headers={"content-type": "application/json"})
    assert_outcome(response, 413)
    assert stored(client, instance) == []


def test_streamed_body_over_the_limit_is_413(client: TestClient) -> None:
    """Chunked transfer has no Content-Length to check up front: the limit applies while reading."""
    instance, body = padded_request(4 * LIMIT)

    def chunks() -> Iterator[bytes]:
        for start in range(0, len(body), 8192):
            yield body[start : start + 8192]

    response = client.post(SERVICE, content=chunks(), headers={"content-type": "application/json"})
    assert_outcome(response, 413)
    assert stored(client, instance) == []


def test_real_documents_nest_less_than_half_the_limit() -> None:
    """The limit leaves room: every FHIR document the policies are tested with, wrapped in a hook
    request (prefetch > Bundle > entry > resource, 4 levels), is under half of it."""
    documents = [*REPO.glob("policies/**/tests/data/*.json"), *REPO.glob("sample_bundles/*.json")]
    assert documents, "no FHIR test documents found"
    deepest = max(_depth(orjson.loads(path.read_bytes())) for path in documents)
    assert 2 * (deepest + 4) <= MAX_JSON_DEPTH


def _depth(value: Any) -> int:
    children = value.values() if isinstance(value, dict) else value if isinstance(value, list) else None
    if children is None:
        return 0
    return 1 + max((_depth(child) for child in children), default=0)


def request_with_nesting(where: str, total_depth: int) -> tuple[str, bytes]:
    """A valid order-sign request whose deepest point, inside `where`, is `total_depth` levels down."""
    request = order_sign()
    if where == "draft order":
        request["context"]["draftOrders"]["entry"][0]["resource"]["note"] = MARKER
    elif where == "prefetch resource":
        condition = {"resourceType": "Condition", "id": "c-1", "code": MARKER}
        request["prefetch"]["conditions"] = searchset(condition)
    else:
        request["extension"] = {"unknown-extension": MARKER}
    marker_depth = _containers_above(request, MARKER)
    assert marker_depth is not None and total_depth > marker_depth
    body = orjson.dumps(request).replace(orjson.dumps(MARKER), nested_json(total_depth - marker_depth))
    return request["hookInstance"], body


def _containers_above(value: Any, marker: str) -> int | None:
    if value == marker:
        return 0
    children = value.values() if isinstance(value, dict) else value if isinstance(value, list) else ()
    for child in children:
        below = _containers_above(child, marker)
        if below is not None:
            return below + 1
    return None


WHERE = ["draft order", "prefetch resource", "unknown extension"]


@pytest.mark.parametrize("where", WHERE)
def test_nesting_at_the_limit_is_answered(client: TestClient, where: str) -> None:
    instance, body = request_with_nesting(where, MAX_JSON_DEPTH)
    response = client.post(SERVICE, content=body, headers={"content-type": "application/json"})
    assert response.status_code == 200, response.text
    assert len(stored(client, instance)) == 1


@pytest.mark.parametrize("where", WHERE)
@pytest.mark.parametrize("total_depth", [MAX_JSON_DEPTH + 1, 400, 900])
def test_nesting_over_the_limit_is_400_and_not_stored(client: TestClient, where: str, total_depth: int) -> None:
    """Before the limit existed, 400-900 levels in a draft order or prefetch ended in RecursionError (500)."""
    instance, body = request_with_nesting(where, total_depth)
    response = client.post(SERVICE, content=body, headers={"content-type": "application/json"})
    assert_outcome(response, 400)
    assert stored(client, instance) == []


def test_nesting_beyond_the_parser_limit_is_400(client: TestClient) -> None:
    body = b"[" * 30_000 + b"]" * 30_000  # under the size limit, far over the parser's 1024
    assert_outcome(client.post(SERVICE, content=body, headers={"content-type": "application/json"}), 400)
