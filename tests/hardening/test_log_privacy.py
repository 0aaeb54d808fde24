"""Issue 5 item 7: privacy. The real server, logging at DEBUG (every library's debug output included), runs full
hook flows with client JWT authentication on: a realistic prefetch call, a call that makes it fetch from an
EHR FHIR server with a Bearer token, an SSRF-blocked server, replayed and forged tokens, malformed, oversize
and CRD-invalid bodies, and feedback. Then its whole log is searched for what must never be there: patient
names, birth dates, member ids, MRNs, the EHR access token, the client JWT, and resource bodies.

Every sensitive value is made unique to this run, so a hit can only come from this run's logging.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest

from tests.support.fhir_server import FakeFhirServer
from tests.support.hook_requests import coverage, medication_request, order_sign, organization, patient
from tests.support.jwt_minter import SigningKey, generate_key, mint_token, write_jwks_file
from tests.support.live_server import LiveServer
from tests.support.policy_requests import REAL_BREAST_APPROVED, order_sign_from_bundles

ISSUER = "https://ehr.example.org"
SIGN = "/cds-services/crd-order-sign"


class Secrets:
    def __init__(self) -> None:
        tag = uuid.uuid4().hex[:10]
        self.family = f"Quillfeather{tag}"
        self.given = f"Oriane{tag}"
        self.birth_date = "1951-07-19"
        self.member_id = f"MBR{tag.upper()}"
        self.mrn = f"MRN-{tag}"
        self.access_token = f"ehr-access-{uuid.uuid4().hex}"
        self.bodies_fragment = f"note-{tag}"  # only inside resource bodies

    def personalise(self, resource: dict[str, Any]) -> None:
        kind = resource.get("resourceType")
        if kind == "Patient":
            resource["name"] = [{"family": self.family, "given": [self.given], "text": f"{self.given} {self.family}"}]
            resource["birthDate"] = self.birth_date
            resource["identifier"] = [{"system": "http://hospital.example.org/mrn", "value": self.mrn}]
        elif kind == "Coverage":
            resource["subscriberId"] = self.member_id
            resource["identifier"] = [{"system": "http://example.org/member-id", "value": self.member_id}]
        elif kind == "MedicationRequest":
            resource["note"] = [{"text": self.bodies_fragment}]

    def all(self) -> dict[str, str]:
        return {
            "family name": self.family,
            "given name": self.given,
            "birth date": self.birth_date,
            "member id": self.member_id,
            "MRN": self.mrn,
            "EHR access token": self.access_token,
            "resource body text": self.bodies_fragment,
        }


def personalised(request: dict[str, Any], secrets: Secrets) -> dict[str, Any]:
    for value in [request.get("prefetch", {}), request["context"]["draftOrders"]]:
        for resource in _resources_in(value):
            secrets.personalise(resource)
    return request


def _resources_in(value: Any) -> Iterator[dict[str, Any]]:
    if isinstance(value, dict):
        if "resourceType" in value:
            yield value
        for child in value.values():
            yield from _resources_in(child)
    elif isinstance(value, list):
        for child in value:
            yield from _resources_in(child)


@pytest.fixture
def signing_key() -> SigningKey:
    return generate_key("ES384")


def test_debug_logs_of_full_hook_flows_hold_no_phi_tokens_or_bodies(tmp_path: Path, signing_key: SigningKey) -> None:
    secrets = Secrets()
    jwks = write_jwks_file(tmp_path / "jwks.json", signing_key)
    env = {"CDS_AUTH": "jwt", "CDS_TRUSTED_JWKS": str(jwks), "CDS_TRUSTED_ISSUERS": ISSUER}
    ehr_patient = patient()
    ehr_coverage = coverage()
    for resource in (ehr_patient, ehr_coverage):
        secrets.personalise(resource)
    tokens: list[str] = []
    statuses: dict[str, int] = {}

    with (
        FakeFhirServer([ehr_patient, ehr_coverage, organization("centene")]) as ehr,
        LiveServer(tmp_path, log_level="debug", env=env) as server,
        httpx.Client(base_url=server.url, timeout=30.0) as client,
    ):

        def call(name: str, path: str, body: bytes, token: str | None = None) -> None:
            token = token or mint_token(signing_key, iss=ISSUER, aud=server.url + path)
            tokens.append(token)
            headers = {"content-type": "application/json", "authorization": f"Bearer {token}"}
            statuses[name] = client.post(path, content=body, headers=headers).status_code

        realistic = personalised(
            order_sign_from_bundles(REAL_BREAST_APPROVED, access_token=secrets.access_token), secrets
        )
        call("realistic prefetch", SIGN, orjson.dumps(realistic))
        fetching = order_sign(
            medication_request(), with_prefetch=False, fhir_server=ehr.url, access_token=secrets.access_token
        )
        call("fetch from the EHR", SIGN, orjson.dumps(personalised(fetching, secrets)))
        blocked = order_sign(fhir_server="http://localhost:9/fhir", access_token=secrets.access_token)
        del blocked["prefetch"]["coverage"]
        call("SSRF-blocked server", SIGN, orjson.dumps(personalised(blocked, secrets)))
        replayed = tokens[0]
        call("replayed JWT", SIGN, orjson.dumps(realistic), token=replayed)
        call("forged JWT", SIGN, orjson.dumps(realistic), token=replayed[:-6] + "AAAAAA")
        call("malformed JSON", SIGN, orjson.dumps(realistic)[:-40])
        crd_invalid = personalised(order_sign(), secrets)
        del crd_invalid["context"]["patientId"]
        call("CRD-invalid", SIGN, orjson.dumps(crd_invalid))
        call("oversize", SIGN, orjson.dumps(realistic) + b" " * (9 * 1024 * 1024))
        feedback = {"card": str(uuid.uuid4()), "outcome": "overridden", "outcomeTimestamp": "2026-11-23T10:00:00Z"}
        call("feedback", SIGN + "/feedback", orjson.dumps({"feedback": [feedback]}))
        fetched_with_token = f"Bearer {secrets.access_token}" in ehr.authorizations

    log = server.log_text()
    assert statuses == {
        "realistic prefetch": 200,
        "fetch from the EHR": 200,
        "SSRF-blocked server": statuses["SSRF-blocked server"],
        "replayed JWT": 401,
        "forged JWT": 401,
        "malformed JSON": 400,
        "CRD-invalid": 400,  # a missing context.patientId breaks CDS Hooks itself: 400 (hook-13)
        "oversize": 413,
        "feedback": 200,
    }
    assert 400 <= statuses["SSRF-blocked server"] < 500
    assert fetched_with_token, "the service never used the access token, so this run could not leak it"
    assert " DEBUG " in log and "hook=order-sign" in log, "the server did not log at DEBUG: nothing was tested"
    leaks = {name: value for name, value in secrets.all().items() if value in log}
    leaks.update({f"client JWT {i}": token for i, token in enumerate(tokens) if token.split(".")[2][:20] in log})
    assert leaks == {}, f"found in the server log: {sorted(leaks)}"
    assert '"resourceType"' not in log and "'resourceType'" not in log, "a resource body was logged"
