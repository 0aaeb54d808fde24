"""A population's decisions as data: one row per patient and order, as Parquet (typed, nested) and CSV (flat).

With two policy sets, one table side by side: each column of the baseline and the candidate (`_before`, `_after`)
and `flipped` where the decision differs, so an analyst filters the flips in any tool that reads Parquet or CSV.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import orjson
import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from .patients import ResultRow

_CRITERION = pa.struct([("id", pa.string()), ("status", pa.string()), ("evidence", pa.list_(pa.string()))])
DECISION_COLUMNS = (
    "payer",
    "line_of_business",
    "policy_id",
    "policy_version",
    "decision",
    "covered",
    "path",
    "criteria",
    "error",
)
SCHEMA = pa.schema(
    [
        ("patient_id", pa.string()),
        ("order", pa.string()),
        ("drug", pa.string()),
        *[(name, pa.list_(_CRITERION) if name == "criteria" else pa.string()) for name in DECISION_COLUMNS],
    ]
)


def _record(row: ResultRow) -> dict[str, Any]:
    return {
        "patient_id": row.patient_id,
        "order": row.order,
        "drug": row.drug,
        "payer": row.payer,
        "line_of_business": row.line_of_business,
        "policy_id": row.policy_id,
        "policy_version": row.policy_version,
        "decision": row.decision,
        "covered": row.covered,
        "path": row.path,
        "criteria": [{"id": c.id, "status": c.status, "evidence": list(c.evidence)} for c in row.criteria],
        "error": row.error,
    }


def table(rows: Sequence[ResultRow]) -> pa.Table:
    return pa.Table.from_pylist([_record(r) for r in rows], schema=SCHEMA)


def side_by_side(before: Sequence[ResultRow], after: Sequence[ResultRow]) -> pa.Table:
    """Both runs joined on (patient, order, drug); an order one run has and the other lacks shows as null."""
    keyed_after = {(r.patient_id, r.order, r.drug): r for r in after}
    keys = [(r.patient_id, r.order, r.drug) for r in before]
    keys += sorted(set(keyed_after) - set(keys))
    keyed_before = {(r.patient_id, r.order, r.drug): r for r in before}
    columns: dict[str, list[Any]] = {"patient_id": [], "order": [], "drug": []}
    fields = [pa.field(name, SCHEMA.field(name).type) for name in ("patient_id", "order", "drug")]
    for suffix in ("before", "after"):
        for name in DECISION_COLUMNS:
            columns[f"{name}_{suffix}"] = []
            fields.append(pa.field(f"{name}_{suffix}", SCHEMA.field(name).type))
    columns["flipped"] = []
    fields.append(pa.field("flipped", pa.bool_()))
    for key in keys:
        for name, value in zip(("patient_id", "order", "drug"), key, strict=True):
            columns[name].append(value)
        decisions = []
        for suffix, found in (("before", keyed_before.get(key)), ("after", keyed_after.get(key))):
            record = _record(found) if found else {}
            for name in DECISION_COLUMNS:
                columns[f"{name}_{suffix}"].append(record.get(name))
            decisions.append(found.decision if found else None)
        columns["flipped"].append(decisions[0] != decisions[1])
    return pa.Table.from_pydict(columns, schema=pa.schema(fields))


def write(data: pa.Table, folder: Path, name: str) -> tuple[Path, Path]:
    """`<name>.parquet` as it is, `<name>.csv` with the criteria lists as JSON text (CSV has no nesting)."""
    folder.mkdir(parents=True, exist_ok=True)
    parquet = folder / f"{name}.parquet"
    pq.write_table(data, parquet)
    flat = data
    for index, field in enumerate(data.schema):
        if pa.types.is_list(field.type):
            text = [orjson.dumps(v).decode() if v is not None else None for v in data.column(index).to_pylist()]
            flat = flat.set_column(index, field.name, pa.array(text, pa.string()))
    csv = folder / f"{name}.csv"
    pa_csv.write_csv(flat, csv)
    return parquet, csv
