"""Service settings, read once from the environment; errors name the variable and the bad value."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

PACKAGE_DIR = Path(__file__).resolve().parent
SAMPLE_PAYERS_FILE = PACKAGE_DIR / "payers" / "payers.yaml"

AuthMode = Literal["jwt", "off"]


class SettingsError(ValueError):
    """An environment variable has a value the service cannot use."""


def _split(value: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in value.split(",") if part.strip())


def _int(environ: Mapping[str, str], key: str, default: int) -> int:
    raw = environ.get(key)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise SettingsError(f"{key}={raw!r} is not an integer") from None


def _float(environ: Mapping[str, str], key: str, default: float) -> float:
    raw = environ.get(key)
    if raw is None or raw == "":
        return default
    try:
        return float(raw)
    except ValueError:
        raise SettingsError(f"{key}={raw!r} is not a number") from None


@dataclass(frozen=True)
class Settings:
    port: int = 8080
    allowed_fhir_servers: tuple[str, ...] = ()
    auth: AuthMode = "jwt"
    trusted_jwks: Path | None = None
    trusted_issuers: tuple[str, ...] = ()
    allowed_jku: tuple[str, ...] = ()
    database_url: str | None = None
    db_path: Path = Path("var/coverage-hooks.sqlite3")
    payers_file: Path = SAMPLE_PAYERS_FILE
    policies_dir: Path = Path("policies")
    public_base_url: str | None = None
    max_body_bytes: int = 8 * 1024 * 1024
    fetch_budget_s: float = 2.0
    audit_synchronous: str = "FULL"
    # How long calls, feedback and determinations are kept (CRD found-37: logs for disputes); approvals with a
    # PA number are kept this long after they expire. Six years: the HIPAA documentation retention period.
    audit_retention_days: int = 2190
    extra: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        auth = env.get("CDS_AUTH", "jwt").strip().lower() or "jwt"
        if auth not in ("jwt", "off"):
            raise SettingsError(f"CDS_AUTH={auth!r} must be 'jwt' or 'off'")
        jwks = env.get("CDS_TRUSTED_JWKS")
        public_base = env.get("CDS_PUBLIC_BASE_URL") or None
        settings = cls(
            port=_int(env, "PORT", 8080),
            allowed_fhir_servers=_split(env.get("CDS_ALLOWED_FHIR_SERVERS", "")),
            auth="off" if auth == "off" else "jwt",
            trusted_jwks=Path(jwks) if jwks else None,
            trusted_issuers=_split(env.get("CDS_TRUSTED_ISSUERS", "")),
            allowed_jku=_split(env.get("CDS_ALLOWED_JKU", "")),
            database_url=env.get("DATABASE_URL") or None,
            db_path=Path(env.get("CDS_DB_PATH") or "var/coverage-hooks.sqlite3"),
            payers_file=Path(env["PAYERS_FILE"]) if env.get("PAYERS_FILE") else SAMPLE_PAYERS_FILE,
            policies_dir=Path(env.get("CDS_POLICIES_DIR") or "policies"),
            public_base_url=public_base.rstrip("/") if public_base else None,
            max_body_bytes=_int(env, "CDS_MAX_BODY_BYTES", 8 * 1024 * 1024),
            fetch_budget_s=_float(env, "CDS_FETCH_BUDGET_S", 2.0),
            audit_synchronous=(env.get("CDS_AUDIT_SYNCHRONOUS") or "FULL").upper(),
            audit_retention_days=_int(env, "CDS_AUDIT_RETENTION_DAYS", 2190),
        )
        if settings.audit_synchronous not in ("FULL", "NORMAL"):
            raise SettingsError(f"CDS_AUDIT_SYNCHRONOUS={settings.audit_synchronous!r} must be FULL or NORMAL")
        if settings.audit_retention_days <= 0:
            raise SettingsError(f"CDS_AUDIT_RETENTION_DAYS={settings.audit_retention_days} must be positive")
        if settings.max_body_bytes <= 0:
            raise SettingsError(f"CDS_MAX_BODY_BYTES={settings.max_body_bytes} must be positive")
        return settings
