"""Secrets never reach the audit store or a log line: the one place they are taken out.

CDS Hooks 2.0 makes `fhirAuthorization.access_token` transient, and an EHR's refresh token, id token,
an `Authorization` header value or any JWT are credentials, not clinical record. The audit keeps the PHI it
needs for disputes (CRD found-37) and "[redacted]" where a credential was.

Works on the bytes, not on parsed JSON: it runs on every stored call, also on bodies that are not valid
JSON (a 400 is stored too), and leaves everything else byte for byte as received.
"""

from __future__ import annotations

import logging
import re

REDACTED = "[redacted]"

# "access_token": "…" (any depth, any of the OAuth token members, or an authorization header member)
_SECRET_MEMBER = re.compile(
    rb'("(?:access_token|refresh_token|id_token|authorization|client_secret)"\s*:\s*)"(?:[^"\\]|\\.)*"',
    re.IGNORECASE,
)
# A JWT anywhere (header.payload.signature, base64url, header starting with '{"' = eyJ)
_JWT = re.compile(rb"eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*")
# An Authorization header value quoted in text: "Bearer <token>" (not "Basic": clinical text says "Basic
# metabolic panel")
_SCHEME = re.compile(rb"\b(Bearer)\s+[A-Za-z0-9._~+/=-]{8,}", re.IGNORECASE)
# The cheap test first: most bodies have none of these, and then nothing else runs.
_MARKERS = re.compile(rb"_token|authorization|client_secret|eyJ|bearer", re.IGNORECASE)


def redact(data: bytes) -> bytes:
    if not _MARKERS.search(data):
        return data
    data = _SECRET_MEMBER.sub(rb'\1"' + REDACTED.encode() + rb'"', data)
    data = _JWT.sub(REDACTED.encode(), data)
    return _SCHEME.sub(rb"\1 " + REDACTED.encode(), data)


def redact_text(text: str) -> str:
    return redact(text.encode("utf-8", "surrogatepass")).decode("utf-8", "surrogatepass")


class RedactingFilter(logging.Filter):
    """On a handler: the formatted message of every record it emits goes through `redact` first."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact_text(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True
