"""The NDC crosswalk generator: --check passes on the repository, and every row maps to a code a policy governs."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from cds_service.gather.drug_codes import RXNORM, NdcCrosswalk
from cds_service.policy.registry import PolicyRegistry

REPO = Path(__file__).resolve().parents[2]


def test_the_generated_crosswalk_is_current() -> None:
    command = [sys.executable, "tools/terminology/build_ndc_crosswalk.py", "--check"]
    result = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr


def test_every_crosswalk_product_is_a_drug_some_policy_governs() -> None:
    governed = {
        product.code
        for policy in PolicyRegistry.load(REPO / "policies")
        for product in policy.metadata.drugs
        if product.system == RXNORM
    }
    crosswalk = NdcCrosswalk.load()
    assert crosswalk.products
    assert {p.rxnorm for p in crosswalk.products.values()} <= governed
    # package NDCs in every printed layout reach the same product
    assert crosswalk.rxnorm_for("55513-512-60") == crosswalk.rxnorm_for("55513051260") is not None
    # an UNVERIFIED strength pairing (Afinitor 10 mg, tools/terminology/ndc_products.py) never identifies an order
    assert crosswalk.rxnorm_for("0078-0567-51") is None
    assert crosswalk.rxnorm_for("5551305126") is None  # 10 digits without hyphens: layout unknown, not guessed
