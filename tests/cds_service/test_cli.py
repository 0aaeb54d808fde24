"""`python -m cds_service audit HOOK_INSTANCE` (the stored call by hookInstance), `audit pa NUMBER` (the
determination behind a PA number) and `audit purge` (retention)."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson
import pytest
from typer.testing import CliRunner

from cds_service.__main__ import cli
from cds_service.audit.store import SqliteAuditStore
from tests.support.audit_records import approval_candidate, approved_call

REPO = Path(__file__).resolve().parents[2]


def test_audit_prints_the_stored_call(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    db = tmp_path / "audit.sqlite3"
    store = SqliteAuditStore(db)
    store.record_invocation(approved_call("h-42"))
    store.close()
    monkeypatch.setenv("CDS_DB_PATH", str(db))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    result = CliRunner().invoke(cli, ["audit", "h-42"])
    assert result.exit_code == 0, result.output
    [record] = orjson.loads(result.stdout)
    assert record["payer"] == "centene"
    assert record["request_body"] == {"hook": "order-sign"} and record["response_body"] == {"cards": []}
    missing = CliRunner().invoke(cli, ["audit", "nope"])
    assert missing.exit_code == 1


@pytest.fixture
def audit_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    db = tmp_path / "audit.sqlite3"
    monkeypatch.setenv("CDS_DB_PATH", str(db))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.delenv("CDS_AUDIT_RETENTION_DAYS", raising=False)
    return db


def test_audit_pa_prints_the_determination_behind_a_pa_number(audit_db: Path) -> None:
    store = SqliteAuditStore(audit_db)
    store.settle_determinations([approval_candidate()], "2026-11-23", lambda: "PA-0001")
    store.close()
    result = CliRunner().invoke(cli, ["audit", "pa", "PA-0001"])
    assert result.exit_code == 0, result.output
    shown = orjson.loads(result.stdout)
    assert (shown["order_ref"], shown["coverage_ref"], shown["policy_id"], shown["policy_version"]) == (
        "MedicationRequest/mr-1",
        "Coverage/cov-1",
        "centene-cp-phar-549",
        "2024.11",
    )
    assert (shown["issue_date"], shown["expiry_date"], shown["superseded"]) == ("2026-11-23", "2027-05-23", False)
    assert shown["criteria"]["criteria"] == [{"id": "I.A.1", "status": "met", "evidence": ["Condition/cond-nsclc"]}]
    assert CliRunner().invoke(cli, ["audit", "pa", "PA-9999"]).exit_code == 1


def test_audit_purge_deletes_what_is_older_than_the_retention(audit_db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    today = datetime.now(UTC).date()  # the date the command purges by
    old, recent = (today - timedelta(days=400)).isoformat(), (today - timedelta(days=10)).isoformat()
    store = SqliteAuditStore(audit_db)
    store.record_invocations([replace(approved_call("old"), received_at=old + "T08:00:00Z"), approved_call("new")])
    store.record_feedback("crd-order-sign", {"card": "c-old", "outcome": "overridden", "outcomeTimestamp": old})
    store._execute_many([("UPDATE card_feedback SET received_at = ?", (old + "T08:00:00Z",))])
    store.record_feedback("crd-order-sign", {"card": "c-new", "outcome": "overridden", "outcomeTimestamp": recent})
    numbers = iter(["PA-EXPIRED", "PA-VALID", None])
    for candidate in (
        approval_candidate("expired-long-ago", issued=old, expiry=(today - timedelta(days=380)).isoformat()),
        approval_candidate("issued-long-ago-still-valid", issued=old, expiry=(today + timedelta(days=5)).isoformat()),
        replace(approval_candidate("needs-info-long-ago", issued=old), expiry_date=None, issues_pa_number=False),
    ):
        store.settle_determinations([candidate], today.isoformat(), lambda: str(next(numbers)))
    store.close()

    result = CliRunner().invoke(cli, ["audit", "purge", "--older-than", "365"])
    assert result.exit_code == 0, result.output
    assert "1 hook calls, 1 feedback items, 2 determinations" in result.stdout
    store = SqliteAuditStore(audit_db)
    assert store.invocations("old") == [] and len(store.invocations("new")) == 1
    assert store._query("SELECT COUNT(*) AS n FROM hook_decisions", ()) == [{"n": 1}]
    assert store.feedback_for_card("c-old") == [] and len(store.feedback_for_card("c-new")) == 1
    assert store.determination_by_pa("PA-EXPIRED") is None and store.determination_by_pa("PA-VALID") is not None
    store.close()
    monkeypatch.setenv("CDS_AUDIT_RETENTION_DAYS", "5")  # the setting is the default
    by_setting = CliRunner().invoke(cli, ["audit", "purge"]).stdout
    assert f"before {(today - timedelta(days=5)).isoformat()}: 0 hook calls" in by_setting


def test_the_server_command_does_not_load_the_population_replay_stack() -> None:
    # Dask, pyarrow and Altair are ~70 MB of every server worker's memory when imported at start-up; only
    # `replay --population` needs them.
    probe = (
        "import sys, cds_service.__main__; "
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'dask', 'distributed', 'pyarrow', 'altair'}))"
    )
    loaded = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True, cwd=REPO)
    assert loaded.stdout.strip() == "[]"
