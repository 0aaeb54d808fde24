"""What the audit store keeps and hands back (plain records), and the store's interface (AuditStore)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol


@dataclass(frozen=True)
class DecisionRecord:
    order_ref: str
    decision: str  # approved | needs-info | not-met | no-policy | indeterminate | info-needed | no-active-coverage
    covered: str
    coverage_assertion_id: str
    pa_needed: str | None = None
    policy_id: str | None = None
    policy_version: str | None = None
    satisfied_pa_id: str | None = None
    expiry_date: str | None = None
    card_uuids: tuple[str, ...] = ()


@dataclass(frozen=True)
class DeterminationRecord:
    """What the payer determined for one order: proposed by the pipeline, stored, and read back."""

    key: str
    order_ref: str
    patient_id: str
    coverage_ref: str
    payer: str
    line_of_business: str | None
    policy_id: str | None
    policy_version: str | None
    decision: str
    covered: str
    pa_needed: str | None
    criteria: Mapping[str, Any]
    issue_date: str
    expiry_date: str | None
    issues_pa_number: bool = False
    coverage_assertion_id: str = ""
    pa_number: str | None = None


@dataclass(frozen=True)
class Settled:
    """The determination in force for a candidate, and whether an earlier call had already made it."""

    record: DeterminationRecord
    reused: bool


@dataclass(frozen=True)
class PurgeCounts:
    invocations: int
    feedback: int
    determinations: int


@dataclass(frozen=True)
class InvocationRecord:
    hook_instance: str
    service_id: str
    hook: str
    http_status: int
    request_body: bytes
    response_body: bytes
    duration_ms: float
    payer: str | None = None
    line_of_business: str | None = None
    timings: dict[str, float] = field(default_factory=dict)
    decisions: tuple[DecisionRecord, ...] = ()
    received_at: str = ""


class AuditStore(Protocol):
    def record_invocation(self, record: InvocationRecord) -> None: ...

    def record_invocations(self, records: Sequence[InvocationRecord]) -> None: ...

    def invocations(self, hook_instance: str) -> list[dict[str, Any]]: ...

    def record_feedback(self, service_id: str, item: dict[str, Any]) -> None: ...

    def feedback_for_card(self, card_uuid: str) -> list[dict[str, Any]]: ...

    def settle_determinations(
        self, candidates: Sequence[DeterminationRecord], today: str, new_pa_number: Callable[[], str]
    ) -> list[Settled]: ...

    def determination_by_pa(self, pa_number: str) -> dict[str, Any] | None: ...

    def determination_by_assertion(self, assertion_id: str) -> dict[str, Any] | None: ...

    def current_determination(self, order_ref: str, patient_id: str, coverage_ref: str) -> dict[str, Any] | None: ...

    def purge(self, cutoff_date: str) -> PurgeCounts: ...

    async def seen_before(self, jti: str, expires_at: float) -> bool: ...

    def ping(self) -> None:
        """Raise unless the database answers a trivial query (the readiness check, GET /healthz)."""
        ...

    def close(self) -> None: ...
