"""EvaluationContext: everything one evaluation reads or accumulates. Created per evaluate() call."""

from __future__ import annotations

from typing import Any

from .fhir.record import PatientRecord
from .runtime import temporal as t


class EvaluationContext:
    """The patient record, the clock, parameter values, define caches and the evidence being collected."""

    __slots__ = (
        "record", "now", "today", "parameters", "env", "cache", "memo", "evidence", "_birth_date",
        "_birth_known",
    )  # fmt: skip

    def __init__(self, record: PatientRecord, now: t.DateTime, parameters: dict[str, Any]) -> None:
        self.record = record
        self.now = now
        self.today = t.date_of(now)
        self.parameters = parameters
        self.env: dict[str, Any] = {}  # query aliases, lets and function arguments in scope
        self.cache: dict[tuple[str, str], tuple[Any, frozenset[str]]] = {}
        self.memo: dict[tuple[Any, Any], tuple[Any, frozenset[str], tuple[Any, ...]]] = {}
        self.evidence: list[set[str]] = [set()]
        self._birth_date: t.Date | None = None
        self._birth_known = False

    @property
    def birth_date(self) -> t.Date | None:
        if not self._birth_known:
            patient = self.record.patient
            raw = patient.get("birthDate") if patient else None
            self._birth_date = t.parse_date(raw) if isinstance(raw, str) else None
            self._birth_known = True
        return self._birth_date

    def note(self, resource: dict[str, Any]) -> None:
        ref = self.record.ref_of(resource)
        if ref is not None:
            self.evidence[-1].add(ref)
