from __future__ import annotations

from pathlib import Path

import pytest

from cds_service.settings import SAMPLE_PAYERS_FILE, Settings, SettingsError


def test_defaults_are_secure_and_documented() -> None:
    settings = Settings.from_env({})
    assert settings.auth == "jwt"
    assert settings.port == 8080
    assert settings.allowed_fhir_servers == ()
    assert settings.payers_file == SAMPLE_PAYERS_FILE
    assert settings.policies_dir == Path("policies")
    assert settings.audit_synchronous == "FULL"


def test_environment_values_are_parsed() -> None:
    settings = Settings.from_env(
        {
            "PORT": "9000",
            "CDS_AUTH": "off",
            "CDS_ALLOWED_FHIR_SERVERS": "http://127.0.0.1, http://localhost",
            "CDS_TRUSTED_ISSUERS": "https://ehr.example.org",
            "CDS_ALLOWED_JKU": "https://ehr.example.org/jwks",
            "CDS_TRUSTED_JWKS": "keys.json",
            "DATABASE_URL": "postgresql://db/crd",
            "PAYERS_FILE": "p.yaml",
            "CDS_POLICIES_DIR": "pol",
            "CDS_PUBLIC_BASE_URL": "https://crd.example.org/",
            "CDS_DB_PATH": "x.db",
        }
    )
    assert settings.port == 9000 and settings.auth == "off"
    assert settings.allowed_fhir_servers == ("http://127.0.0.1", "http://localhost")
    assert settings.trusted_jwks == Path("keys.json") and settings.database_url == "postgresql://db/crd"
    assert settings.public_base_url == "https://crd.example.org"
    assert (settings.payers_file, settings.policies_dir, settings.db_path) == (
        Path("p.yaml"),
        Path("pol"),
        Path("x.db"),
    )


@pytest.mark.parametrize(
    ("key", "value"), [("CDS_AUTH", "maybe"), ("PORT", "eighty"), ("CDS_AUDIT_SYNCHRONOUS", "OFF")]
)
def test_bad_values_name_the_variable(key: str, value: str) -> None:
    with pytest.raises(SettingsError, match=key):
        Settings.from_env({key: value})
