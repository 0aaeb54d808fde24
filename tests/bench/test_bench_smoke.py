"""Smoke tests for bench/: the generators are deterministic and the harness runs. No timing is asserted:
the machine is shared, so `make bench` reports its targets and never fails on them."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest
import yaml

from bench import hook_requests as hr
from bench import phase_engine
from bench.http_client import HttpError, parse_head
from bench.inprocess import InProcessService
from bench.phase_inprocess import Budget, Checks
from bench.stats import Summary, percentile, time_calls
from bench.synthetic_policies import EVEROLIMUS, build_tree, recoded
from bench.targets import TARGETS, verdicts

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("size", hr.RECORD_SIZES)
@pytest.mark.parametrize("criteria", ["met", "missing"])
def test_sotorasib_requests_are_deterministic_and_sized(size: int, criteria: hr.Criteria) -> None:
    first = hr.request_bytes(hr.sotorasib_request(size, criteria))
    again = hr.request_bytes(hr.sotorasib_request(size, criteria))
    assert first == again
    request = orjson.loads(first)
    assert hr.prefetched_count(request) == size
    assert request["hook"] == "order-sign"
    [draft] = request["context"]["draftOrders"]["entry"]
    assert draft["resource"]["id"] == "mr-sotorasib"


def test_sizes_and_variants_differ() -> None:
    bodies = {hr.request_bytes(hr.sotorasib_request(n, c)) for n in (9, 201) for c in ("met", "missing")}
    instances = {orjson.loads(b)["hookInstance"] for b in bodies}
    assert len(bodies) == 4
    assert len(instances) == 4


def test_missing_record_holds_no_cancer_facts() -> None:
    request = hr.sotorasib_request(201, "missing")
    conditions = [e["resource"] for e in request["prefetch"]["conditions"]["entry"]]
    codes = {c["code"] for r in conditions for c in r["code"]["coding"]}
    assert not any(code.startswith("C") for code in codes)  # no ICD-10-CM neoplasm
    observations = [e["resource"] for e in request["prefetch"]["observations"]["entry"]]
    assert all(o["code"]["coding"][0]["code"] != "69548-6" for o in observations)


def test_everolimus_request_is_deterministic_and_routable() -> None:
    first = hr.everolimus_request()
    assert hr.request_bytes(first) == hr.request_bytes(hr.everolimus_request())
    organizations = [e["resource"] for e in first["prefetch"]["coverage"]["entry"]]
    payer_ids = {(i["system"], i["value"]) for o in organizations for i in o.get("identifier", [])}
    assert ("http://example.org/payer-id", "centene") in payer_ids


def test_synthetic_policy_tree(tmp_path: Path) -> None:
    tree, synthetics = build_tree(tmp_path / "policies", 6)
    metadata = [yaml.safe_load(p.read_text()) for p in sorted(tree.rglob("policy.yaml"))]
    assert len(metadata) == 6 and len(synthetics) == 3
    assert len({m["id"] for m in metadata}) == 6
    codes = [(m["payer"], d["code"]) for m in metadata for d in m["drugs"]]
    assert len(codes) == len(set(codes))
    assert not any(p.name in ("tests", "elm") for p in tree.rglob("*"))
    everolimus = next(s for s in synthetics if s.template == EVEROLIMUS)
    folder = tree / "centene" / everolimus.folder_name
    value_set = (folder / "valuesets" / "everolimus-zortress-products.json").read_text()
    assert everolimus.codes["977427"] in value_set and "977427" not in value_set
    assert f"'{everolimus.codes['998189']}'" in (folder / "CenteneEverolimus.cql").read_text()  # strength table


def test_a_synthetic_policy_decides_an_order_of_its_own_drug(tmp_path: Path) -> None:
    tree, synthetics = build_tree(tmp_path / "policies", 6)
    everolimus = next(s for s in synthetics if s.template == EVEROLIMUS)
    with InProcessService(tree, tmp_path) as service:
        mine, _ = service.answer(recoded(hr.everolimus_request(), everolimus.codes))
        real, _ = service.answer(hr.everolimus_request())
    # the first draft is the everolimus order; the second, exemestane, has no policy
    assert (mine.decisions[0].policy_id, mine.decisions[0].decision) == (everolimus.id, "approved")
    assert (real.decisions[0].policy_id, real.decisions[0].decision) == ("centene-cp-phar-63", "approved")


def test_in_process_harness_runs_a_few_iterations(tmp_path: Path) -> None:
    body = hr.request_bytes(hr.sotorasib_request(9, "met"))
    with InProcessService(REPO / "policies", tmp_path) as service:
        samples = [service.answer(orjson.loads(body))[1] for _ in range(3)]
        answer, _ = service.answer(orjson.loads(body))
        status, response, elapsed = service.serve(body)
    assert len(samples) == 3 and all(s > 0 for s in samples)
    assert [d.decision for d in answer.decisions] == ["approved"]
    assert status == 200 and elapsed > 0
    assert orjson.loads(response)["systemActions"]


def test_engine_phase_times_the_padded_sotorasib_case_and_checks_its_answers() -> None:
    checks = Checks()
    result = phase_engine.run(REPO / "policies" / "centene" / "CP.PHAR.549", Budget.quick(), checks)
    assert checks.problems == []
    assert result["library"] == "CenteneSotorasib" and result["resources"] == 201
    for name in ("evaluate", "index_and_evaluate", "cold", "json_floor"):
        assert result[name]["n"] >= 5 and result[name]["median"] > 0
    assert result["evaluate_json_ratio"] > 0


def test_stats_and_report() -> None:
    assert percentile([1.0, 2.0, 3.0, 4.0], 50) == 2.5
    assert percentile([5.0], 99) == 5.0
    summary = Summary.of([float(i) for i in range(1, 101)])
    assert summary.median == 50.5 and summary.n == 100
    calls: list[int] = []
    samples = time_calls(lambda: calls.append(1), iterations=4, warmup=2, budget_s=1.0)
    assert len(samples) == 4 and len(calls) == 6
    results = {t.key: t.limit for t in TARGETS}
    assert set(verdicts(results).values()) == {"PASS"}
    assert verdicts({})[TARGETS[0].key] == "SKIP"


def test_http_head_parsing() -> None:
    assert parse_head(b"HTTP/1.1 200 OK\r\ncontent-length: 12\r\nconnection: close") == (200, 12, True)
    with pytest.raises(HttpError):
        parse_head(b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked")
