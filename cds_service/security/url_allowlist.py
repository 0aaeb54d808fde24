"""URL prefix allowlists that compare parsed origins, not raw strings.

Used for outbound requests the service did not choose: the hook request's ``fhirServer`` (SSRF guard)
and a client JWT's ``jku``. A raw ``str.startswith`` would let ``http://127.0.0.1`` admit
``http://127.0.0.1.evil.com``, ``http://127.0.0.10`` and ``http://127.0.0.1@evil.com``; here the
scheme, host and port must be equal and the path must match on a segment boundary.

Prefix rules:

- What a plain ``startswith`` would admit on the port: a bare origin ``http://127.0.0.1`` (no port,
  no path) admits any port on that host, since ``http://127.0.0.1:8080/...`` starts with it; a
  prefix with a path (``https://ehr.example.org/fhir``, even ``http://h/``) admits only the
  default port; ``http://127.0.0.1:8080`` only 8080 (``http://h:80`` equals ``http://h/``).
- ``https://ehr.example.org/fhir`` admits ``/fhir`` and ``/fhir/...``, never ``/fhirx``.
- URLs with userinfo, backslashes, control characters, dot segments or a non-http(s) scheme are
  never admitted.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import SplitResult, unquote, urlsplit

_DEFAULT_PORTS = {"http": 80, "https": 443}
_HOST_PATTERN = re.compile(r"^[a-z0-9_\-]+(\.[a-z0-9_\-]+)*$")
_FORBIDDEN_CHARS = re.compile(r"[\x00-\x20\x7f\\]")


@dataclass(frozen=True, slots=True)
class ParsedUrl:
    """The parts of an absolute http(s) URL that an allowlist compares."""

    scheme: str
    host: str
    port: int
    port_explicit: bool
    path: str

    @property
    def origin(self) -> tuple[str, str, int]:
        return (self.scheme, self.host, self.port)


def parse_url(url: str) -> ParsedUrl | None:
    """Parse an absolute http(s) URL strictly; None when it is malformed or carries a trick."""
    if _FORBIDDEN_CHARS.search(url):
        return None
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS or "@" in parts.netloc:
        return None
    host = _normalized_host(parts)
    if host is None:
        return None
    path = parts.path or "/"
    if not path.startswith("/") or _has_dot_segment(path):
        return None
    return ParsedUrl(
        scheme=scheme,
        host=host,
        port=port if port is not None else _DEFAULT_PORTS[scheme],
        port_explicit=port is not None,
        path=path,
    )


def _normalized_host(parts: SplitResult) -> str | None:
    host = parts.hostname or ""
    if ":" in host:
        try:
            return str(ipaddress.IPv6Address(host))
        except ValueError:
            return None
    if not _HOST_PATTERN.match(host) or "" in host.split("."):
        return None
    return host


def _has_dot_segment(path: str) -> bool:
    # Percent-encoded dots (%2e) count too: servers decode them before routing.
    return any(segment in (".", "..") for segment in unquote(path).split("/"))


@dataclass(frozen=True, slots=True)
class _AllowedPrefix:
    parsed: ParsedUrl
    any_port: bool

    def admits(self, target: ParsedUrl) -> bool:
        prefix = self.parsed
        if (prefix.scheme, prefix.host) != (target.scheme, target.host):
            return False
        if not self.any_port and prefix.port != target.port:
            return False
        base = prefix.path.rstrip("/")
        return base == "" or target.path == base or target.path.startswith(base + "/")


class UrlAllowlist:
    """An immutable set of allowed URL prefixes; ``allows(url)`` is the only question it answers."""

    def __init__(self, prefixes: Sequence[str]) -> None:
        allowed: list[_AllowedPrefix] = []
        for prefix in prefixes:
            stripped = prefix.strip()
            if not stripped:
                continue
            parsed = parse_url(stripped)
            if parsed is None or urlsplit(stripped).query or urlsplit(stripped).fragment:
                raise ValueError(
                    f"Allowed URL prefix {stripped!r} is not an absolute http(s) URL without "
                    "userinfo, query or fragment"
                )
            bare_origin = not parsed.port_explicit and not urlsplit(stripped).path
            allowed.append(_AllowedPrefix(parsed, any_port=bare_origin))
        self._allowed = tuple(allowed)

    def __bool__(self) -> bool:
        return bool(self._allowed)

    def allows(self, url: str) -> bool:
        target = parse_url(url)
        return target is not None and any(prefix.admits(target) for prefix in self._allowed)


def same_origin(first: str, second: str) -> bool:
    """True when both URLs parse and share scheme, host and port."""
    a, b = parse_url(first), parse_url(second)
    return a is not None and b is not None and a.origin == b.origin
