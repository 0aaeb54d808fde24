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
from collections.abc import Callable

REDACTED = "[redacted]"
_REDACTED = REDACTED.encode()

# The patterns run on a lower-cased copy of the body (bytes.lower changes ASCII letters only, so every offset
# stays where it was) and replace spans of the original: case-sensitive patterns starting with a literal are
# ten times faster in `re` than IGNORECASE ones, and this runs over every stored request (a 146 KB order-sign:
# 0.45 ms instead of 4.9 ms).
# "access_token": "…" (any depth, any of the OAuth token members, or an authorization header member)
_SECRET_MEMBER = re.compile(
    rb'("(?:access_token|refresh_token|id_token|authorization|client_secret)"\s*:\s*)"(?:[^"\\]|\\.)*"'
)
# A JWT anywhere (header.payload.signature, base64url, header starting with '{"' = eyJ)
_JWT = re.compile(rb"eyj[a-z0-9_-]{4,}\.[a-z0-9_-]{4,}\.[a-z0-9_-]*")
# An Authorization header value quoted in text: "Bearer <token>" (not "Basic": clinical text says "Basic
# metabolic panel"). The word boundary before it is checked in code: a leading \b costs `re` its literal-prefix
# search.
_SCHEME = re.compile(rb"(bearer)\s+[a-z0-9._~+/=-]{8,}")
_WORD_BYTE = re.compile(rb"\w")
# The cheap test first: most bodies have none of these, and then nothing else runs.
_MARKERS = (b"_token", b"authorization", b"client_secret", b"eyj", b"bearer")

Replacement = Callable[[bytes, re.Match[bytes]], bytes]


def redact(data: bytes) -> bytes:
    lowered = data.lower()
    if not any(marker in lowered for marker in _MARKERS):
        return data
    data = _replace(_SECRET_MEMBER, data, lambda original, m: original[m.start(1) : m.end(1)] + b'"' + _REDACTED + b'"')
    data = _replace(_JWT, data, lambda original, m: _REDACTED)
    return _replace(_SCHEME, data, _scheme_value, _starts_a_word)


def _scheme_value(original: bytes, m: re.Match[bytes]) -> bytes:
    return original[m.start(1) : m.end(1)] + b" " + _REDACTED


def _starts_a_word(lowered: bytes, m: re.Match[bytes]) -> bool:
    return m.start() == 0 or _WORD_BYTE.match(lowered, m.start() - 1) is None


def _replace(
    pattern: re.Pattern[bytes],
    data: bytes,
    replacement: Replacement,
    applies: Callable[[bytes, re.Match[bytes]], bool] = lambda lowered, m: True,
) -> bytes:
    """`pattern.sub` matched on the lower-cased copy, replacing in `data` (whose letters keep their case)."""
    lowered = data.lower()
    pieces: list[bytes] = []
    last = 0
    m = pattern.search(lowered)
    while m is not None:
        if applies(lowered, m):
            pieces += (data[last : m.start()], replacement(data, m))
            last = m.end()
            m = pattern.search(lowered, last)
        else:  # a rejected match may hide one that starts inside it
            m = pattern.search(lowered, m.start() + 1)
    if not pieces:
        return data
    pieces.append(data[last:])
    return b"".join(pieces)


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
