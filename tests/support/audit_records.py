"""One answered order-sign call as the audit store receives it: the record the SQLite, PostgreSQL, group-commit
and CLI tests store and read back."""

from __future__ import annotations

from cds_service.audit.records import DecisionRecord, DeterminationRecord, InvocationRecord


def approved_call(hook_instance: str) -> InvocationRecord:
    return InvocationRecord(
        hook_instance=hook_instance,
        service_id="crd-order-sign",
        hook="order-sign",
        http_status=200,
        request_body=b'{"hook":"order-sign"}',
        response_body=b'{"cards":[]}',
        duration_ms=2.5,
        payer="centene",
        line_of_business="medicaid",
        timings={"evaluate_ms": 1.0},
        decisions=(
            DecisionRecord(
                order_ref="MedicationRequest/mr-1",
                decision="approved",
                covered="covered",
                pa_needed="satisfied",
                coverage_assertion_id="a-1",
                policy_id="p",
                policy_version="1",
                satisfied_pa_id="PA-1",
                expiry_date="2027-05-23",
                card_uuids=("c-1", "c-2"),
            ),
        ),
    )


def approval_candidate(
    key: str = "k-1", *, expiry: str = "2027-05-23", issued: str = "2026-11-23"
) -> DeterminationRecord:
    """An approval the pipeline proposes for MedicationRequest/mr-1 under Coverage/cov-1."""
    return DeterminationRecord(
        key=key,
        order_ref="MedicationRequest/mr-1",
        patient_id="pat-1",
        coverage_ref="Coverage/cov-1",
        payer="centene",
        line_of_business="medicaid",
        policy_id="centene-cp-phar-549",
        policy_version="2024.11",
        decision="approved",
        covered="covered",
        pa_needed="satisfied",
        criteria={
            "decision": "approved",
            "path": "I.A",
            "criteria": [{"id": "I.A.1", "status": "met", "evidence": ["Condition/cond-nsclc"]}],
        },
        issue_date=issued,
        expiry_date=expiry,
        issues_pa_number=True,
    )
