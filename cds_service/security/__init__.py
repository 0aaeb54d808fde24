"""Client authentication (JWT, JWKS), the FHIR server allowlist and token redaction."""
