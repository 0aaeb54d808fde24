"""Collects the conformance tables: every `conformance/<family>.cql` next to `<family>.yaml`.

The YAML lists the expected value of every define (as JSON, see cql_like.json_values), plus an
optional evaluation date and data bundle. A define without an expectation fails the table, so no
define goes unchecked. Every table runs under both backends (`Family[generated]`, `Family[closures]`).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from cql_like import LocalTerminology, PatientRecord, load_library
from cql_like.compile.host import BACKENDS, Backend
from cql_like.json_values import to_json

CONFORMANCE = Path(__file__).parent / "conformance"


class ConformanceFile(pytest.File):
    def collect(self) -> Iterator[pytest.Item]:
        spec = yaml.safe_load(self.path.with_suffix(".yaml").read_text(encoding="utf-8"))
        for backend in BACKENDS:
            yield ConformanceItem.from_parent(self, name=f"{self.path.stem}[{backend}]", spec=spec, backend=backend)


class ConformanceItem(pytest.Item):
    def __init__(self, *, spec: dict[str, Any], backend: Backend, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.spec = spec
        self.backend: Backend = backend

    def runtest(self) -> None:
        terminology = LocalTerminology.from_dirs([CONFORMANCE / "valuesets"])
        library = load_library(self.path, terminology=terminology, backend=self.backend)
        record = PatientRecord.from_resources([])
        if "data" in self.spec:
            data = json.loads((self.path.parent / self.spec["data"]).read_text(encoding="utf-8"))
            record = PatientRecord.from_bundle(data)
        now = dt.datetime.fromisoformat(str(self.spec.get("now", "2026-11-23"))).replace(tzinfo=dt.UTC)
        results = library.evaluate(record, now=now, parameters=self.spec.get("parameters") or {})
        expected: dict[str, Any] = self.spec["expect"]
        unlisted = sorted(set(results.values) - set(expected))
        missing = sorted(set(expected) - set(results.values))
        assert not unlisted, f"defines without an expected value: {unlisted}"
        assert not missing, f"expected values for defines that do not exist: {missing}"
        wrong = {
            name: {"expected": want, "got": to_json(results.values[name])}
            for name, want in expected.items()
            if to_json(results.values[name]) != want
        }
        assert not wrong, f"{len(wrong)} define(s) differ: {json.dumps(wrong, indent=1, default=str)}"

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> str:
        return f"{self.path.name}: {excinfo.value}"

    def reportinfo(self) -> tuple[Path, int, str]:
        return self.path, 0, f"conformance: {self.name}"


def pytest_collect_file(parent: pytest.Collector, file_path: Path) -> pytest.Collector | None:
    if file_path.suffix == ".cql" and file_path.parent == CONFORMANCE and file_path.with_suffix(".yaml").exists():
        return ConformanceFile.from_parent(parent, path=file_path)
    return None
