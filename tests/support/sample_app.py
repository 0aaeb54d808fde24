"""The real app with the repository's policies, and the sample index, shared by the sample and demo tests."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml

from cds_service.app import create_app
from cds_service.crd.coverage_info import COVERAGE_INFO_URL
from cds_service.settings import Settings
from tests.support.app_client import TestClient

REPO = Path(__file__).resolve().parents[2]
SAMPLES_DIR = REPO / "sample_bundles"
POLICIES_DIR = REPO / "policies"
# The policies' test cases are written for this date; ages and expiry dates in the samples follow it.
SAMPLE_DATE = datetime(2026, 11, 23, 12, tzinfo=UTC)


def sample_index() -> list[dict[str, Any]]:
    entries: list[dict[str, Any]] = json.loads((SAMPLES_DIR / "index.json").read_text())["samples"]
    return entries


def sample_request(name: str) -> dict[str, Any]:
    request: dict[str, Any] = json.loads((SAMPLES_DIR / f"{name}.json").read_text())
    return request


def policy_drug(policy_folder: str) -> str:
    metadata = yaml.safe_load((POLICIES_DIR / policy_folder / "policy.yaml").read_text())
    return str(metadata["drug"])


@contextmanager
def sample_client(tmp_path: Path) -> Iterator[TestClient]:
    settings = Settings(auth="off", db_path=tmp_path / "audit.sqlite3", policies_dir=POLICIES_DIR)
    with TestClient(create_app(settings, clock=lambda: SAMPLE_DATE)) as client:
        yield client


def coverage_information(response: dict[str, Any], order_ref: str) -> dict[str, list[Any]]:
    """The order's coverage-information parts as {part url: [values]} (values as the JSON holds them)."""
    for action in response["systemActions"]:
        resource = action["resource"]
        if f"{resource['resourceType']}/{resource['id']}" != order_ref:
            continue
        parts: dict[str, list[Any]] = {}
        for extension in resource.get("extension", []):
            if extension["url"] != COVERAGE_INFO_URL:
                continue
            for part in extension["extension"]:
                value = next((v for k, v in part.items() if k.startswith("value")), part.get("extension"))
                parts.setdefault(part["url"], []).append(value)
        return parts
    raise AssertionError(f"no systemAction for {order_ref}")


def cards_for(response: dict[str, Any], order_ref: str) -> list[dict[str, Any]]:
    return [
        card
        for card in response["cards"]
        if {"reference": order_ref} in card.get("extension", {}).get("davinci-crd.associated-resource", [])
    ]
