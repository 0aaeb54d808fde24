"""Time each DTR call on the 201-resource sotorasib record, in process (no network): `python -m bench.dtr_calls`.

The record is bench/hook_requests.py's (the same the CRD benchmarks use), sent to $populate and $next-question as
a `record` Bundle. Prints the median and maximum of each call in milliseconds over `--runs` repetitions.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from cds_service.app import create_app
from cds_service.settings import Settings

from .hook_requests import sotorasib_request

REPO = Path(__file__).resolve().parents[1]
LINK = "issue-pa-number"


def _record(request: dict[str, Any]) -> dict[str, Any]:
    resources: list[dict[str, Any]] = []
    for value in request["prefetch"].values():
        if value and value.get("resourceType") == "Bundle":
            resources += [e["resource"] for e in value.get("entry", [])]
        elif value:
            resources.append(value)
    return {"resourceType": "Bundle", "type": "collection", "entry": [{"resource": r} for r in resources]}


def _parameters(**parts: Any) -> dict[str, Any]:
    return {"resourceType": "Parameters", "parameter": [{"name": k.replace("_", "-"), **v} for k, v in parts.items()]}


def _answer(response: dict[str, Any], link_id: str) -> dict[str, Any]:
    origin = {
        "url": "http://hl7.org/fhir/us/davinci-dtr/StructureDefinition/information-origin",
        "extension": [{"url": "source", "valueCode": "manual"}],
    }
    items = [*response.get("item", []), {"linkId": link_id, "answer": [{"valueBoolean": True, "extension": [origin]}]}]
    return {**response, "item": items}


def run(runs: int) -> dict[str, list[float]]:
    from fastapi.testclient import TestClient

    timings: dict[str, list[float]] = {}
    with tempfile.TemporaryDirectory() as scratch:
        settings = Settings(auth="off", db_path=Path(scratch) / "a.sqlite3", policies_dir=REPO / "policies")
        with TestClient(create_app(settings)) as client:

            def timed(name: str, path: str, body: dict[str, Any]) -> dict[str, Any]:
                started = time.perf_counter()
                reply = client.post(path, json=body)
                timings.setdefault(name, []).append((time.perf_counter() - started) * 1000.0)
                assert reply.status_code == 200, reply.text
                result: dict[str, Any] = reply.json()
                return result

            for index in range(runs):
                request = sotorasib_request(201, "missing")
                request["hookInstance"] = f"bench-dtr-{index}"
                record = _record(request)
                order = request["context"]["draftOrders"]["entry"][0]["resource"]
                coverage = next(r["resource"] for r in record["entry"] if r["resource"]["resourceType"] == "Coverage")
                crd = timed("order-sign", "/cds-services/crd-order-sign", request)
                extension = crd["systemActions"][0]["resource"]["extension"][-1]["extension"]
                context = next(p["valueString"] for p in extension if p["url"] == "coverage-assertion-id")
                package = timed(
                    "$questionnaire-package",
                    "/fhir/Questionnaire/$questionnaire-package",
                    _parameters(
                        coverage={"resource": coverage}, order={"resource": order}, context={"valueString": context}
                    ),
                )
                bundles = [p["resource"] for p in package["parameter"] if p["name"] == "packagebundle"]
                standard, adaptive = bundles[0]["entry"][1]["resource"], bundles[1]["entry"][1]["resource"]
                with_record = {"order": {"resource": order}, "record": {"resource": record}}
                timed(
                    "$populate",
                    "/fhir/Questionnaire/$populate",
                    _parameters(questionnaire_response={"resource": standard}, **with_record),
                )
                response = adaptive
                for step in range(12):  # answer "yes" to each question until the form completes
                    reply = timed(
                        f"$next-question #{step + 1}" if step < 1 else "$next-question (later)",
                        "/fhir/Questionnaire/$next-question",
                        _parameters(questionnaire_response={"resource": response}, **with_record),
                    )
                    response = reply["parameter"][0]["resource"]
                    if response["status"] == "completed":
                        break
                    response = _answer(response, response["contained"][0]["item"][-1]["linkId"])
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=10)
    timings = run(parser.parse_args().runs)
    for name, values in timings.items():
        print(f"{name:28s} median {statistics.median(values):7.1f} ms  max {max(values):7.1f} ms  (n={len(values)})")


if __name__ == "__main__":
    main()
