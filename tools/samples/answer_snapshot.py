"""Post every sample bundle to the real app and print its answers with ids masked, for before/after comparison.

A refactor that claims to keep behaviour runs this before and after and diffs the two files:

    .venv/bin/python tools/samples/answer_snapshot.py > /tmp/before.json
    ... refactor ...
    .venv/bin/python tools/samples/answer_snapshot.py > /tmp/after.json && diff /tmp/before.json /tmp/after.json

Only what changes between two identical runs is masked (UUIDs and PA numbers); the clock is
fixed to the date the samples are written for, so dates stay as the service writes them.
"""

from __future__ import annotations

import json
import re
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from cds_service.app import create_app
from cds_service.settings import Settings

REPO = Path(__file__).resolve().parents[2]
SAMPLES_DIR = REPO / "sample_bundles"
SAMPLE_DATE = datetime(2026, 11, 23, 12, tzinfo=UTC)  # as tests/sample_bundles/sample_app.py
# Fresh per run: card, suggestion and assertion UUIDs, and the durable PA numbers (random when first issued).
_RUN_IDS = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|PA-[0-9A-F]{16}")


def snapshot() -> dict[str, Any]:
    index = json.loads((SAMPLES_DIR / "index.json").read_text())["samples"]
    answers: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(auth="off", db_path=Path(tmp) / "audit.sqlite3", policies_dir=REPO / "policies")
        with TestClient(create_app(settings, clock=lambda: SAMPLE_DATE)) as client:
            for entry in index:
                name = entry["name"]
                request = json.loads((SAMPLES_DIR / f"{name}.json").read_text())
                response = client.post(f"/cds-services/crd-{entry['hook']}", content=json.dumps(request))
                answers[name] = {
                    "status": response.status_code,
                    "body": json.loads(_RUN_IDS.sub("<id>", response.text)),
                }
    return answers


if __name__ == "__main__":
    json.dump(snapshot(), sys.stdout, indent=1, sort_keys=True)
    sys.stdout.write("\n")
