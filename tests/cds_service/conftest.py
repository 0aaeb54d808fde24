from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from cds_service.app import EmptyCatalog, create_app, load_policies
from cds_service.pipeline import PolicyCatalog
from cds_service.policy.evaluate import Evaluator
from cds_service.settings import Settings
from tests.support.app_client import TestClient

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(
        auth="off",
        db_path=tmp_path / "audit.sqlite3",
        policies_dir=REPO / "policies",
        allowed_fhir_servers=("http://127.0.0.1",),
    )


@pytest.fixture(scope="session")
def policies() -> tuple[PolicyCatalog, Evaluator | None]:
    """The repository's policies, compiled once per test session."""
    catalog, evaluator, _ = load_policies(Settings(policies_dir=REPO / "policies"))
    return catalog, evaluator


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    """The service with no policies loaded: every order gets its payer's default answer."""
    with TestClient(create_app(settings, policies=(EmptyCatalog(), None))) as test_client:
        yield test_client


@pytest.fixture
def policy_client(settings: Settings, policies: tuple[PolicyCatalog, Evaluator | None]) -> Iterator[TestClient]:
    """The service with the repository's policies."""
    with TestClient(create_app(settings, policies=policies)) as test_client:
        yield test_client
