"""CDS Hooks 2.0 client authentication: verify the EHR's signed JWT on every call.

Checks, in order (standards.md §A8, §C6): ``Authorization: Bearer <jwt>``; header ``alg`` is ES384
or RS384 (never ``none``, never HMAC), ``typ`` is ``JWT``, ``kid`` present; ``jku``, when present,
is on the allowlist (otherwise it is never fetched); ``iss`` is trusted; the key with that ``kid``
(from the jku's JWK Set, else the configured JWKS file) verifies the signature; ``aud`` is the
endpoint URL called; ``exp`` (60 s leeway), ``iat`` and ``jti`` are present and valid; and the
``jti`` has not been seen before from that issuer.

Every rejection raises :class:`AuthenticationError`, whose text is the same generic message for
all causes; the cause goes to one structured log line (no token, no claims beyond iss/kid) and to
``AuthenticationError.reason`` for tests and metrics.
"""

from __future__ import annotations

import heapq
import logging
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import httpx
import jwt

from cds_service.security.jwks import (
    SUPPORTED_ALGORITHMS,
    JkuKeySource,
    JwksError,
    KeySet,
    PublicKey,
    load_jwks_file,
)
from cds_service.security.url_allowlist import UrlAllowlist

logger = logging.getLogger(__name__)

LEEWAY_S = 60
MAX_TOKEN_CHARS = 16 * 1024
MAX_JTI_CHARS = 256
REQUIRED_CLAIMS = ("iss", "aud", "exp", "iat", "jti")
_LOGGABLE = re.compile(r"[^\x21-\x7e]")


class AuthenticationError(Exception):
    """The request is not from a trusted, correctly authenticated client.

    ``str(error)`` is deliberately the same for every cause; ``reason`` is a short code
    (e.g. ``expired``, ``replayed_jti``) for logs, metrics and tests, never for the HTTP body.
    """

    public_message = "Client authentication failed"

    def __init__(self, reason: str) -> None:
        super().__init__(self.public_message)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class ClientIdentity:
    """Who called, as proven by a verified token."""

    iss: str
    kid: str
    jti: str
    sub: str | None
    tenant: str | None
    expires_at: float

    @property
    def client_id(self) -> str:
        """The client's id: ``sub`` when the client sends one, else the issuer."""
        return self.sub or self.iss


class JtiCache(Protocol):
    """Replay protection store shared by all workers."""

    async def seen_before(self, jti: str, expires_at: float) -> bool:
        """Atomically record ``jti`` until ``expires_at`` (epoch seconds); True if already present."""
        ...


class MemoryJtiCache:
    """In-process JtiCache: expiring and bounded; good for one worker and for tests.

    Expired entries are purged through a min-heap on expiry, so each call costs O(log n). When
    still full, the entry closest to expiry is dropped (logged): the authenticator caps token
    lifetime, so ``max_entries`` only overflows above ``max_entries / max_lifetime`` requests per
    second; deployments beyond that use the shared SQL cache from ``store.py``.
    """

    def __init__(self, *, max_entries: int = 200_000) -> None:
        self._max_entries = max_entries
        self._expiry_by_jti: dict[str, float] = {}
        self._by_expiry: list[tuple[float, str]] = []

    def __len__(self) -> int:
        return len(self._expiry_by_jti)

    async def seen_before(self, jti: str, expires_at: float) -> bool:
        # No await inside: on one event loop this check-and-insert cannot interleave.
        now = time.time()
        self._pop_while(lambda until: until <= now)
        if jti in self._expiry_by_jti:
            return True
        if len(self._expiry_by_jti) >= self._max_entries:
            logger.warning("jti_cache_full max_entries=%d", self._max_entries)
            self._pop_while(lambda _: len(self._expiry_by_jti) >= self._max_entries)
        self._expiry_by_jti[jti] = expires_at
        heapq.heappush(self._by_expiry, (expires_at, jti))
        return False

    def _pop_while(self, condition: Callable[[float], bool]) -> None:
        while self._by_expiry and condition(self._by_expiry[0][0]):
            until, jti = heapq.heappop(self._by_expiry)
            if self._expiry_by_jti.get(jti) == until:
                del self._expiry_by_jti[jti]


@dataclass(frozen=True, slots=True)
class _UnverifiedHeader:
    alg: str
    kid: str
    jku: str | None


class ClientAuthenticator:
    """Verifies CDS Hooks client JWTs; one instance per application, safe to share across requests."""

    def __init__(
        self,
        *,
        file_keys: KeySet,
        trusted_issuers: Sequence[str],
        jku_source: JkuKeySource,
        jti_cache: JtiCache,
        max_lifetime_s: float = 3600.0,
    ) -> None:
        self._file_keys = file_keys
        self._trusted_issuers = frozenset(iss for iss in trusted_issuers if iss)
        self._jku_source = jku_source
        self._jti_cache = jti_cache
        self._max_lifetime_s = max_lifetime_s

    @classmethod
    def from_settings(
        cls,
        *,
        trusted_jwks_path: Path | None,
        trusted_issuers: Sequence[str],
        allowed_jku_prefixes: Sequence[str],
        jti_cache: JtiCache,
        http_transport: httpx.AsyncBaseTransport | None = None,
    ) -> ClientAuthenticator:
        """Build from configuration; raises ``JwksError``/``ValueError`` on a bad JWKS file or prefix.

        ``http_transport`` replaces the network for jku fetches (tests pass ``httpx.MockTransport``).
        """
        file_keys = load_jwks_file(trusted_jwks_path) if trusted_jwks_path else KeySet({})
        jku_source = JkuKeySource(UrlAllowlist(allowed_jku_prefixes), transport=http_transport)
        return cls(
            file_keys=file_keys,
            trusted_issuers=trusted_issuers,
            jku_source=jku_source,
            jti_cache=jti_cache,
        )

    async def authenticate(self, authorization_header: str | None, audience: str) -> ClientIdentity:
        """Verify the bearer JWT for a call to ``audience`` (the exact endpoint URL invoked)."""
        header: _UnverifiedHeader | None = None
        issuer: str | None = None
        try:
            token = _bearer_token(authorization_header)
            header = _read_header(token)
            if header.jku is not None and not self._jku_source.allows(header.jku):
                raise AuthenticationError("jku_not_allowed")
            issuer = _unverified_issuer(token)
            if issuer not in self._trusted_issuers:
                raise AuthenticationError("untrusted_issuer")
            key = await self._find_key(header)
            claims = _verified_claims(token, key, header.alg, audience, self._trusted_issuers)
            identity = self._identity(header, claims)
            if await self._jti_cache.seen_before(f"{identity.iss} {identity.jti}", identity.expires_at + LEEWAY_S):
                raise AuthenticationError("replayed_jti")
            return identity
        except AuthenticationError as error:
            _log_rejection(error.reason, header, issuer)
            raise

    async def _find_key(self, header: _UnverifiedHeader) -> PublicKey:
        if header.jku is not None:
            try:
                key = await self._jku_source.find(header.jku, header.kid, header.alg)
            except JwksError as exc:
                raise AuthenticationError("jwks_unavailable") from exc
        else:
            key = self._file_keys.find(header.kid, header.alg)
        if key is None:
            raise AuthenticationError("unknown_kid")
        return key

    def _identity(self, header: _UnverifiedHeader, claims: dict[str, Any]) -> ClientIdentity:
        jti, exp, iat = claims["jti"], claims["exp"], claims["iat"]
        if not isinstance(jti, str) or not 0 < len(jti) <= MAX_JTI_CHARS:
            raise AuthenticationError("invalid_jti")
        if not _is_number(exp) or not _is_number(iat):
            raise AuthenticationError("invalid_claims")  # JSON numbers only, not numeric strings
        if exp - time.time() > self._max_lifetime_s:
            raise AuthenticationError("lifetime_too_long")
        sub, tenant = claims.get("sub"), claims.get("tenant")
        return ClientIdentity(
            iss=claims["iss"],
            kid=header.kid,
            jti=jti,
            sub=sub if isinstance(sub, str) else None,
            tenant=tenant if isinstance(tenant, str) else None,
            expires_at=float(exp),
        )


def _bearer_token(authorization_header: str | None) -> str:
    if not authorization_header:
        raise AuthenticationError("missing_token")
    scheme, _, token = authorization_header.strip().partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise AuthenticationError("not_bearer")
    if len(token) > MAX_TOKEN_CHARS:
        raise AuthenticationError("token_too_large")
    return token


def _read_header(token: str) -> _UnverifiedHeader:
    try:
        header = jwt.get_unverified_header(token)
    except jwt.InvalidTokenError as exc:
        raise AuthenticationError("malformed_token") from exc
    alg, kid, typ, jku = header.get("alg"), header.get("kid"), header.get("typ"), header.get("jku")
    if alg not in SUPPORTED_ALGORITHMS:
        raise AuthenticationError("alg_not_allowed")
    if not isinstance(typ, str) or typ.upper() != "JWT":
        raise AuthenticationError("bad_typ")
    if not isinstance(kid, str) or not kid:
        raise AuthenticationError("missing_kid")
    if jku is not None and not isinstance(jku, str):
        raise AuthenticationError("jku_not_allowed")
    return _UnverifiedHeader(alg=str(alg), kid=kid, jku=jku)


def _unverified_issuer(token: str) -> str | None:
    # Read before the signature check only to refuse untrusted issuers without fetching their keys.
    try:
        claims = jwt.decode(token, options={"verify_signature": False})
    except jwt.InvalidTokenError as exc:
        raise AuthenticationError("malformed_token") from exc
    issuer = claims.get("iss")
    return issuer if isinstance(issuer, str) else None


def _verified_claims(token: str, key: PublicKey, alg: str, audience: str, issuers: frozenset[str]) -> dict[str, Any]:
    try:
        claims: dict[str, Any] = jwt.decode(
            token,
            key=key,
            algorithms=[alg],
            audience=audience,
            issuer=issuers,
            leeway=LEEWAY_S,
            options={"require": list(REQUIRED_CLAIMS), "strict_aud": False},
        )
    except jwt.MissingRequiredClaimError as exc:
        raise AuthenticationError(f"missing_{exc.claim}") from exc
    except jwt.ExpiredSignatureError as exc:
        raise AuthenticationError("expired") from exc
    except jwt.ImmatureSignatureError as exc:
        raise AuthenticationError("not_yet_valid") from exc
    except jwt.InvalidAudienceError as exc:
        raise AuthenticationError("wrong_audience") from exc
    except jwt.InvalidIssuerError as exc:
        raise AuthenticationError("untrusted_issuer") from exc
    except jwt.InvalidSignatureError as exc:
        raise AuthenticationError("bad_signature") from exc
    except jwt.InvalidTokenError as exc:
        raise AuthenticationError("invalid_claims") from exc
    return claims


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _loggable(value: str | None) -> str:
    if value is None:
        return "-"
    return _LOGGABLE.sub("?", value)[:128] or "-"


def _log_rejection(reason: str, header: _UnverifiedHeader | None, issuer: str | None) -> None:
    logger.warning(
        "client_auth_rejected reason=%s iss=%s kid=%s",
        reason,
        _loggable(issuer),
        _loggable(header.kid if header else None),
        extra={"event": "client_auth_rejected", "reason": reason},
    )
