"""The README's curl example: the file it posts exists and the server answers with the card it shows."""

from __future__ import annotations

import re
from pathlib import Path

from tests.support.sample_app import REPO, SAMPLES_DIR, coverage_information, sample_client

README = (REPO / "README.md").read_text(encoding="utf-8")


def test_the_readme_curl_returns_the_card_shown(tmp_path: Path) -> None:
    posted = re.search(r"--data @sample_bundles/([\w.-]+)\.json", README)
    shown = re.search(r'"summary": "([^"]+)"', README)
    assert posted and shown, "the README lost its curl example"
    request = SAMPLES_DIR / f"{posted.group(1)}.json"
    with sample_client(tmp_path) as client:
        response = client.post("/cds-services/crd-order-sign", content=request.read_bytes())
    assert response.status_code == 200
    body = response.json()
    assert body["cards"][0]["summary"] == shown.group(1)
    info = coverage_information(body, "MedicationRequest/mr-sotorasib")
    for part in ("covered", "pa-needed", "expiry-date"):
        value = info[part][0]
        assert f'{{"url": "{part}", "valueCode": "{value}"}}' in README or f'"valueDate": "{value}"' in README


def test_the_readme_names_every_sample_and_documents_every_setting() -> None:
    for sample in SAMPLES_DIR.glob("*.json"):
        if sample.name != "index.json":
            assert f"`{sample.stem}`" in README, f"README does not list {sample.stem}"
    settings = (REPO / "cds_service" / "settings.py").read_text() + (
        REPO / "cds_service" / "http" / "demo.py"
    ).read_text()
    variables = set(re.findall(r'"((?:CDS_|DATABASE_|PAYERS_)[A-Z_]+|PORT)"', settings))
    assert variables, "no settings found"
    missing = sorted(v for v in variables if f"`{v}`" not in README)
    assert missing == [], f"README configuration table lacks {missing}"
