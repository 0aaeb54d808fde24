"""Issue 5 item 3: fuzz `POST /cds-services/{id}`; no generated request may get a 5xx answer.

Four campaigns share the case budget FUZZ_CASES (default 1,000 in `make test`; `make fuzz` runs this file
with 10,000 and prints the counts):
schemathesis from the app's OpenAPI schema (valid and invalid requests by the schema), hypothesis
mutations of valid hook requests (the realistic policy request and the small default-payer ones, so cases
reach the policy engine), and hypothesis FHIR-shaped hostile prefetch. Each campaign counts the requests it
actually sent and fails if that is fewer than its share, so the total is never below FUZZ_CASES. Every
non-200 answer must also be a FHIR OperationOutcome. The app runs in-process, with the repository's
policies and a SQLite audit store in a temp dir: no network at all.
"""

from __future__ import annotations

import math
import os
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis.generation import GenerationMode

from cds_service.app import create_app
from cds_service.hook.discovery import SERVICES
from cds_service.pipeline import PolicyCatalog
from cds_service.policy.evaluate import Evaluator
from cds_service.settings import Settings
from tests.support.app_client import TestClient
from tests.support.hook_requests import medication_request, order_sign
from tests.support.hostile_json import bundles, hostile_values, mutated_request, resources, to_body
from tests.support.policy_requests import REAL_BREAST_APPROVED, order_sign_from_bundles

FUZZ_CASES = int(os.environ.get("FUZZ_CASES") or 1000)
# Share of the budget per campaign; they sum to 1 so the campaigns together send at least FUZZ_CASES.
SHARES = {
    "schemathesis-positive": 0.10,
    "schemathesis-negative": 0.10,
    "mutated-requests": 0.55,
    "hostile-prefetch": 0.25,
}
JSON = {"content-type": "application/json"}
SIGN = "/cds-services/crd-order-sign"
HOOK_PATH = "/cds-services/{service_id}"


SENT_BY_CAMPAIGN: dict[str, int] = {}


@pytest.fixture(scope="module", autouse=True)
def total_report() -> Iterator[None]:
    yield
    print(f"\nfuzz total: {sum(SENT_BY_CAMPAIGN.values())} cases sent (FUZZ_CASES={FUZZ_CASES}): {SENT_BY_CAMPAIGN}")


def budget(campaign: str) -> int:
    return max(1, math.ceil(FUZZ_CASES * SHARES[campaign]))


@dataclass
class Tally:
    campaign: str
    evidence_dir: Path  # each failing request body is kept here, to replay with curl or a test
    sent: int = 0
    statuses: Counter[int] = field(default_factory=Counter)
    failures: list[str] = field(default_factory=list)
    started: float = field(default_factory=time.monotonic)

    def post(self, client: TestClient, path: str, body: bytes, headers: dict[str, str] | None = None) -> None:
        response = client.post(path, content=body, headers=headers or JSON)
        self.sent += 1
        self.statuses[response.status_code] += 1
        if response.status_code >= 500 or (response.status_code != 200 and not _is_outcome(response.content)):
            kept = self.evidence_dir / f"{self.campaign}-{len(self.failures) + 1}.json"
            kept.write_bytes(body)
            self.failures.append(f"{response.status_code} for POST {path} with body {kept}: {response.text[:300]}")

    def report(self) -> str:
        seconds = time.monotonic() - self.started
        codes = ", ".join(f"{code}: {n}" for code, n in sorted(self.statuses.items()))
        return f"fuzz {self.campaign}: {self.sent} cases in {seconds:.1f} s ({codes})"

    def check(self, wanted: int) -> None:
        SENT_BY_CAMPAIGN[self.campaign] = self.sent
        print("\n" + self.report())
        assert self.failures == [], f"{len(self.failures)} bad answers, first: {self.failures[0]}"
        assert self.sent >= wanted, f"only {self.sent} of {wanted} cases were sent"


def _is_outcome(content: bytes) -> bool:
    try:
        body = orjson.loads(content)
    except orjson.JSONDecodeError:
        return False
    return isinstance(body, dict) and body.get("resourceType") == "OperationOutcome"


@pytest.fixture(scope="module")
def evidence_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("fuzz-failures")


@pytest.fixture(scope="module")
def fuzz_client(
    tmp_path_factory: pytest.TempPathFactory, policies: tuple[PolicyCatalog, Evaluator | None]
) -> Iterator[TestClient]:
    settings = Settings(
        auth="off",
        db_path=tmp_path_factory.mktemp("fuzz") / "audit.sqlite3",
        allowed_fhir_servers=("http://127.0.0.1",),
        fetch_budget_s=0.5,
    )
    with TestClient(create_app(settings, policies=policies), raise_server_exceptions=False) as client:
        yield client


def run_campaign(examples: int, strategy: st.SearchStrategy[Any], send: Callable[[Any], None]) -> None:
    @settings(
        max_examples=examples,
        deadline=None,
        database=None,
        phases=[Phase.generate, Phase.shrink],
        suppress_health_check=list(HealthCheck),
    )
    @given(strategy)
    def campaign(case: Any) -> None:
        send(case)

    campaign()


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE], ids=["positive", "negative"])
def test_schemathesis_cases_never_get_5xx(fuzz_client: TestClient, evidence_dir: Path, mode: GenerationMode) -> None:
    # The app's own document: it declares the request body, the service ids and the error answers itself
    # (cds_service/http/openapi_schema.py; tests/cds_service/http/test_openapi_schema.py checks that it does).
    app_schema = fuzz_client.app.openapi()  # type: ignore[attr-defined]
    operation = schemathesis.openapi.from_dict(app_schema)[HOOK_PATH]["POST"]
    campaign = f"schemathesis-{mode.value}"
    tally = Tally(campaign, evidence_dir)

    def send(case: Any) -> None:
        body = case.body if isinstance(case.body, bytes) else to_body(case.body)
        headers = {"content-type": case.media_type or "application/json", **(case.headers or {})}
        tally.post(fuzz_client, case.formatted_path, body, headers)

    run_campaign(budget(campaign), operation.as_strategy(generation_mode=mode), send)
    tally.check(budget(campaign))


def test_mutated_hook_requests_never_get_5xx(fuzz_client: TestClient, evidence_dir: Path) -> None:
    bases = [
        orjson.dumps(order_sign_from_bundles(REAL_BREAST_APPROVED)),
        orjson.dumps(order_sign_from_bundles(REAL_BREAST_APPROVED, line="commercial")),
        orjson.dumps(order_sign()),
        orjson.dumps(order_sign(payer_key="fep-blue", line="fehb")),
        orjson.dumps(order_sign(medication_request(), hook="order-select")),
    ]
    path_by_hook = {service.hook: f"/cds-services/{service.id}" for service in SERVICES.values()}
    tally = Tally("mutated-requests", evidence_dir)

    def send(request: Any) -> None:
        hook = request.get("hook") if isinstance(request, dict) else None
        path = path_by_hook.get(hook, SIGN) if isinstance(hook, str) else SIGN
        tally.post(fuzz_client, path, to_body(request))

    run_campaign(budget("mutated-requests"), mutated_request(bases), send)
    tally.check(budget("mutated-requests"))


PREFETCH_KEYS = ("patient", "coverage", "conditions", "observations", "medicationRequests", "other")


@st.composite
def hostile_prefetch_requests(draw: st.DrawFn) -> dict[str, Any]:
    """A valid order-sign request whose prefetch keys and draft orders carry hostile FHIR-shaped data."""
    request = order_sign()
    for key in draw(st.lists(st.sampled_from(PREFETCH_KEYS), min_size=1, max_size=4, unique=True)):
        request["prefetch"][key] = draw(st.one_of(bundles(resources()), resources(), hostile_values))
    if draw(st.booleans()):
        draft = request["context"]["draftOrders"]["entry"][0]["resource"]
        draft.update(draw(resources()))
        draft["resourceType"] = "MedicationRequest"
    return request


def test_hostile_fhir_prefetch_never_gets_5xx(fuzz_client: TestClient, evidence_dir: Path) -> None:
    tally = Tally("hostile-prefetch", evidence_dir)
    run_campaign(
        budget("hostile-prefetch"),
        hostile_prefetch_requests(),
        lambda request: tally.post(fuzz_client, SIGN, to_body(request)),
    )
    tally.check(budget("hostile-prefetch"))
