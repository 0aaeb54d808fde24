"""The demo page, its sample endpoints, and CORS for browser-based CDS clients (the CDS Hooks sandbox)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from cds_service.app import EmptyCatalog, create_app
from cds_service.http.demo import install_demo, list_samples
from cds_service.settings import Settings
from tests.support.app_client import TestClient

REPO = Path(__file__).resolve().parents[3]
SAMPLES = REPO / "sample_bundles"
SANDBOX_ORIGIN = "https://sandbox.cds-hooks.org"


@pytest.fixture
def demo_client(tmp_path: Path) -> Iterator[TestClient]:
    settings = Settings(auth="off", db_path=tmp_path / "audit.sqlite3")
    with TestClient(create_app(settings, policies=(EmptyCatalog(), None))) as client:
        yield client


def test_the_page_and_its_assets_are_served(demo_client: TestClient) -> None:
    page = demo_client.get("/")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    for needle in ('data-testid="sample-select"', 'data-testid="send-button"', "/demo/static/demo.js"):
        assert needle in page.text
    script = demo_client.get("/demo/static/demo.js")
    assert script.status_code == 200 and "renderCoverage" in script.text
    assert demo_client.get("/demo/static/markdown.js").status_code == 200
    assert demo_client.get("/demo/static/nothing.js").status_code == 404


def test_samples_are_listed_with_their_descriptions(demo_client: TestClient) -> None:
    listed = demo_client.get("/demo/samples").json()
    index = {e["name"]: e for e in json.loads((SAMPLES / "index.json").read_text())["samples"]}
    assert sorted(s["name"] for s in listed) == sorted(index)
    for sample in listed:
        assert sample["hook"] == "order-sign"
        assert sample["description"] == index[sample["name"]]["description"]


def test_a_sample_is_served_as_the_hook_request_it_is(demo_client: TestClient) -> None:
    name = "fep-lumakras-mcrc-needs-panitumumab"
    response = demo_client.get(f"/demo/samples/{name}")
    assert response.status_code == 200
    assert response.json() == json.loads((SAMPLES / f"{name}.json").read_text())


@pytest.mark.parametrize("name", ["no-such-sample", "..", "..%2Fpyproject", "records", ".hidden"])
def test_unknown_or_unsafe_sample_names_are_404(demo_client: TestClient, name: str) -> None:
    response = demo_client.get(f"/demo/samples/{name}")
    assert response.status_code == 404
    assert response.json()["resourceType"] == "OperationOutcome"


def test_a_missing_samples_folder_lists_nothing(tmp_path: Path) -> None:
    assert list_samples(tmp_path / "absent") == []
    (tmp_path / "junk.json").write_text("{not json")
    (tmp_path / "bundle.json").write_text('{"resourceType": "Bundle"}')
    assert list_samples(tmp_path) == []


def test_a_samples_folder_can_be_chosen(tmp_path: Path) -> None:
    from fastapi import FastAPI

    (tmp_path / "mine.json").write_text(json.dumps({"hook": "order-select", "hookInstance": "x"}))
    app = FastAPI()
    install_demo(app, tmp_path)
    with TestClient(app) as client:
        assert client.get("/demo/samples").json() == [{"name": "mine", "hook": "order-select", "description": ""}]


@pytest.mark.parametrize("path", ["/cds-services", "/cds-services/crd-order-sign"])
def test_cors_preflight_lets_the_sandbox_call(demo_client: TestClient, path: str) -> None:
    response = demo_client.options(
        path,
        headers={
            "Origin": SANDBOX_ORIGIN,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization,content-type",
        },
    )
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == "*"
    assert "POST" in response.headers["access-control-allow-methods"]
    allowed = response.headers["access-control-allow-headers"].lower()
    assert "authorization" in allowed and "content-type" in allowed


def test_cross_origin_discovery_and_hook_calls_carry_cors_headers(demo_client: TestClient) -> None:
    discovery = demo_client.get("/cds-services", headers={"Origin": SANDBOX_ORIGIN})
    assert discovery.status_code == 200
    assert discovery.headers["access-control-allow-origin"] == "*"
    body = (SAMPLES / "centene-amlodipine-no-policy-covered.json").read_bytes()
    call = demo_client.post(
        "/cds-services/crd-order-sign",
        content=body,
        headers={"Origin": SANDBOX_ORIGIN, "Content-Type": "application/json"},
    )
    assert call.status_code == 200
    assert call.headers["access-control-allow-origin"] == "*"
