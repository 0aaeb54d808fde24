"""JSON Web Key Sets for client-JWT verification: parse keys, load the configured file, fetch a jku.

Only the two CDS Hooks recommended algorithms are usable: ES384 (EC P-384) and RS384 (RSA, at least
2048 bits). A key that cannot serve the token's ``alg`` is treated as absent, so a token can never
pick a weaker algorithm than its key was meant for.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import orjson
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jwt.algorithms import ECAlgorithm, RSAAlgorithm
from jwt.exceptions import InvalidKeyError

from cds_service.security.url_allowlist import UrlAllowlist

logger = logging.getLogger(__name__)

SUPPORTED_ALGORITHMS = ("ES384", "RS384")
MIN_RSA_BITS = 2048

PublicKey = ec.EllipticCurvePublicKey | rsa.RSAPublicKey


class JwksError(Exception):
    """A JWK Set could not be loaded or fetched; the message names the source, never key material."""


@dataclass(frozen=True, slots=True)
class KeySet:
    """Public keys by ``kid``; each key remembers the single algorithm it may verify."""

    keys: Mapping[str, tuple[str, PublicKey]]

    def find(self, kid: str, alg: str) -> PublicKey | None:
        entry = self.keys.get(kid)
        if entry is None or entry[0] != alg:
            return None
        return entry[1]


def parse_jwks(document: object, *, source: str) -> KeySet:
    """Build a KeySet from a parsed JWKS document; keys of other types or algorithms are skipped."""
    if not isinstance(document, dict) or not isinstance(document.get("keys"), list):
        raise JwksError(f"{source}: not a JWK Set (an object with a 'keys' array)")
    keys: dict[str, tuple[str, PublicKey]] = {}
    for jwk in document["keys"]:
        if not isinstance(jwk, dict) or not isinstance(jwk.get("kid"), str):
            raise JwksError(f"{source}: every key needs a string 'kid'")
        kid = jwk["kid"]
        if kid in keys:
            raise JwksError(f"{source}: duplicate kid {kid!r}")
        usable = _usable_key(jwk)
        if usable is not None:
            keys[kid] = usable
    return KeySet(keys)


def _usable_key(jwk: dict[str, Any]) -> tuple[str, PublicKey] | None:
    kty = jwk.get("kty")
    declared_alg = jwk.get("alg")
    try:
        if kty == "EC" and jwk.get("crv") == "P-384" and declared_alg in (None, "ES384"):
            ec_key = ECAlgorithm.from_jwk(jwk)
            if isinstance(ec_key, ec.EllipticCurvePrivateKey):
                ec_key = ec_key.public_key()
            return ("ES384", ec_key)
        if kty == "RSA" and declared_alg in (None, "RS384"):
            rsa_key = RSAAlgorithm.from_jwk(jwk)
            if isinstance(rsa_key, rsa.RSAPrivateKey):
                rsa_key = rsa_key.public_key()
            if rsa_key.key_size >= MIN_RSA_BITS:
                return ("RS384", rsa_key)
    except (InvalidKeyError, ValueError, TypeError, KeyError):
        return None
    return None


def load_jwks_file(path: Path) -> KeySet:
    """Read the configured trusted JWKS file; fails fast so a bad deployment does not start."""
    try:
        document = orjson.loads(path.read_bytes())
    except (OSError, orjson.JSONDecodeError) as exc:
        raise JwksError(f"{path}: cannot read JWK Set ({exc.__class__.__name__})") from exc
    return parse_jwks(document, source=str(path))


class JkuKeySource:
    """Fetches JWK Sets from allowlisted ``jku`` URLs, caching each for ``ttl_s`` seconds.

    A URL off the allowlist is refused before any I/O. When a ``kid`` is missing from a cached set
    the set is refetched (key rotation), but at most once per ``refetch_interval_s`` per URL so a
    stream of tokens with made-up kids cannot turn us into a request amplifier.
    """

    def __init__(
        self,
        allowlist: UrlAllowlist,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        timeout_s: float = 3.0,
        ttl_s: float = 300.0,
        refetch_interval_s: float = 30.0,
        max_bytes: int = 256 * 1024,
        max_entries: int = 64,
    ) -> None:
        self._allowlist = allowlist
        self._transport = transport
        self._timeout_s = timeout_s
        self._ttl_s = ttl_s
        self._refetch_interval_s = refetch_interval_s
        self._max_bytes = max_bytes
        self._max_entries = max_entries
        self._cache: OrderedDict[str, tuple[float, KeySet]] = OrderedDict()
        self._locks: dict[str, asyncio.Lock] = {}

    def allows(self, jku: str) -> bool:
        return self._allowlist.allows(jku)

    async def find(self, jku: str, kid: str, alg: str) -> PublicKey | None:
        if not self._allowlist.allows(jku):
            raise JwksError("jku is not on the allowlist")
        lock = self._lock_for(jku)
        async with lock:
            now = time.monotonic()
            cached = self._cache.get(jku)
            if cached is not None:
                fetched_at, key_set = cached
                key = key_set.find(kid, alg)
                age = now - fetched_at
                if key is not None and age < self._ttl_s:
                    return key
                if key is None and age < min(self._refetch_interval_s, self._ttl_s):
                    return None
            try:
                key_set = await self._fetch(jku)
            except JwksError:
                # Remember the failure too, so a broken jku is retried once per interval, not per token.
                self._remember(jku, now, KeySet({}))
                raise
            self._remember(jku, now, key_set)
            return key_set.find(kid, alg)

    def _lock_for(self, jku: str) -> asyncio.Lock:
        lock = self._locks.get(jku)
        if lock is None:
            if len(self._locks) >= 4 * self._max_entries:
                self._locks = {url: held for url, held in self._locks.items() if held.locked() or url in self._cache}
            lock = self._locks[jku] = asyncio.Lock()
        return lock

    def _remember(self, jku: str, fetched_at: float, key_set: KeySet) -> None:
        self._cache[jku] = (fetched_at, key_set)
        self._cache.move_to_end(jku)
        while len(self._cache) > self._max_entries:
            evicted, _ = self._cache.popitem(last=False)
            self._locks.pop(evicted, None)

    async def _fetch(self, jku: str) -> KeySet:
        async with httpx.AsyncClient(
            transport=self._transport,
            timeout=self._timeout_s,
            follow_redirects=False,
            trust_env=False,
        ) as client:
            try:
                async with client.stream("GET", jku, headers={"Accept": "application/json"}) as response:
                    if response.status_code != 200:
                        raise JwksError(f"jku answered HTTP {response.status_code}")
                    body = bytearray()
                    async for chunk in response.aiter_bytes():
                        body.extend(chunk)
                        if len(body) > self._max_bytes:
                            raise JwksError("jku document exceeds the size limit")
            except httpx.HTTPError as exc:
                raise JwksError(f"jku fetch failed ({exc.__class__.__name__})") from exc
        try:
            document = orjson.loads(bytes(body))
        except orjson.JSONDecodeError as exc:
            raise JwksError("jku document is not JSON") from exc
        return parse_jwks(document, source="jku")
