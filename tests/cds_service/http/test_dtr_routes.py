"""Every DTR call is kept like a hook call, without the EHR's token."""

from __future__ import annotations

import json
import sqlite3

from cds_service.settings import Settings
from tests.support import dtr_flow as flow
from tests.support.app_client import TestClient

NEEDS_INFO = "centene-sotorasib-nsclc-no-kras-result-needs-info"
TOKEN = "opaque-ehr-token-4711"


def test_package_populate_and_next_question_calls_are_audited_without_tokens(
    policy_client: TestClient, settings: Settings
) -> None:
    context = flow.sign(policy_client, NEEDS_INFO)["coverage-assertion-id"]
    bundles = flow.parts(flow.package(policy_client, NEEDS_INFO, context).json(), "packagebundle")
    for path, draft in ((flow.POPULATE, bundles[0]), (flow.NEXT, bundles[1])):
        body = flow.with_record(NEEDS_INFO, draft["entry"][1]["resource"])
        body["parameter"].append({"name": "fhirAuthorization", "valueString": TOKEN})
        body["parameter"].append({"name": "fhirServer", "valueUrl": "http://127.0.0.1:9/fhir"})
        assert policy_client.post(path, json=body).status_code == 200
    with sqlite3.connect(settings.db_path) as db:
        rows = db.execute(
            "SELECT hook, http_status, request_body, response_body FROM hook_invocations WHERE service_id = 'dtr'"
        ).fetchall()
    assert sorted(row[0] for row in rows) == ["next-question", "populate", "questionnaire-package"]
    assert all(row[1] == 200 for row in rows)
    assert all(TOKEN not in row[2] for row in rows) and any("[redacted]" in row[2] for row in rows)
    # the package is kept with its Libraries by canonical only: the policy release's files, not 3 MB per call
    package = json.loads(next(row[3] for row in rows if row[0] == "questionnaire-package"))
    libraries = [
        e["resource"]
        for p in package["parameter"]
        if p["name"] == "packagebundle"
        for e in p["resource"]["entry"]
        if e["resource"]["resourceType"] == "Library"
    ]
    assert libraries and all(set(lib) == {"resourceType", "id", "url", "version"} for lib in libraries)
