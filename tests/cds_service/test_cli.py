"""`python -m cds_service audit HOOK_INSTANCE`: the stored call, request and response, by hookInstance."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest
from typer.testing import CliRunner

from cds_service.__main__ import cli
from cds_service.store import SqliteAuditStore
from tests.cds_service.audit_records import approved_call


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
