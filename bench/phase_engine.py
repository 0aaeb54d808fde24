"""The engine alone (issue 2): cql_like evaluating CP.PHAR.549's library over its approval case padded to 201
resources (bench.cql_like_eval.padded_case), every public define, as `python -m bench.cql_like_eval` prints it.

Timed: "evaluate" (record indexed once, the target), "index + evaluate" (a PatientRecord built per call, as a
request does) and "cold" (also dropping the results pure functions keep across evaluations, so nothing is carried
from one call to the next). Floor: orjson parsing the same 201 resources. Checked: all three give the same values.
"""

from __future__ import annotations

import datetime as dt
import gc
from pathlib import Path
from typing import Any

import orjson

from cql_like import PatientRecord

from .cql_like_eval import padded_case
from .phase_inprocess import Budget, Checks
from .stats import Summary, time_calls

NOW = dt.datetime(2026, 11, 23, tzinfo=dt.UTC)


def run(policy_dir: Path, budget: Budget, checks: Checks) -> dict[str, Any]:
    padded = padded_case(policy_dir)
    if padded is None:
        checks.problems.append(f"engine phase: {policy_dir} has no approval case to time")
        return {}
    library, resources, params, note = padded
    gc.collect()
    gc.freeze()  # as the server does once its policies are compiled (cds_service/app.py)
    print(f"  cql_like alone ({library.name}, {len(resources)} resources: {note})", flush=True)
    body = orjson.dumps(resources)
    record = PatientRecord.from_resources(resources)

    def evaluate() -> Any:
        return library.evaluate(record, now=NOW, parameters=params)

    def index_and_evaluate() -> Any:
        return library.evaluate(PatientRecord.from_resources(resources), now=NOW, parameters=params)

    def cold() -> Any:
        library.forget_kept_results()
        return index_and_evaluate()

    values = {"evaluate": evaluate(), "index_and_evaluate": index_and_evaluate(), "cold": cold()}
    reference = values["evaluate"].values
    for name, result in values.items():
        if result.values != reference:
            checks.problems.append(f"engine phase: {name} gave other values than evaluate")
    out: dict[str, Any] = {"library": library.name, "defines": len(library.define_names), "resources": len(resources)}
    for name, call in (("evaluate", evaluate), ("index_and_evaluate", index_and_evaluate), ("cold", cold),
                       ("json_floor", lambda: orjson.loads(body))):  # fmt: skip
        samples = time_calls(call, iterations=budget.iterations[201], warmup=20, budget_s=budget.seconds[201])
        summary = Summary.of(samples)
        out[name] = summary.as_json()
        print(f"    {name:<20} {summary.line()}", flush=True)
    out["evaluate_json_ratio"] = out["evaluate"]["median"] / out["json_floor"]["median"]
    return out
