"""ClientAuthenticator: one test per rejection case of issue 5 item 1, plus the accepted shapes."""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import time
from pathlib import Path

import httpx
import pytest

from cds_service.security.auth import AuthenticationError, ClientAuthenticator, ClientIdentity, MemoryJtiCache
from cds_service.security.jwks import JwksError
from tests.support.connection_recorder import ConnectionRecorder
from tests.support.jwt_minter import (
    SigningKey,
    default_claims,
    forge_token,
    generate_key,
    jwks,
    mint_token,
    write_jwks_file,
)

ISS = "https://ehr.example.org"
AUD = "https://cds.example.org/cds-services/crd-order-sign"
JKU_PREFIX = "https://keys.example.org/ehr/"


@pytest.fixture(scope="module")
def es_key() -> SigningKey:
    return generate_key("ES384")


@pytest.fixture(scope="module")
def rs_key() -> SigningKey:
    return generate_key("RS384")


@pytest.fixture
def authenticator(tmp_path: Path, es_key: SigningKey, rs_key: SigningKey) -> ClientAuthenticator:
    return ClientAuthenticator.from_settings(
        trusted_jwks_path=write_jwks_file(tmp_path / "jwks.json", es_key, rs_key),
        trusted_issuers=[ISS],
        allowed_jku_prefixes=[JKU_PREFIX],
        jti_cache=MemoryJtiCache(),
    )


def authenticate(authenticator: ClientAuthenticator, header: str | None, audience: str = AUD) -> ClientIdentity:
    return asyncio.run(authenticator.authenticate(header, audience))


def rejection_reason(authenticator: ClientAuthenticator, header: str | None, audience: str = AUD) -> str:
    with pytest.raises(AuthenticationError) as caught:
        authenticate(authenticator, header, audience)
    assert str(caught.value) == AuthenticationError.public_message
    return caught.value.reason


def bearer(token: str) -> str:
    return f"Bearer {token}"


# --- accepted -------------------------------------------------------------------------------


def test_accepts_valid_es384_token(authenticator: ClientAuthenticator, es_key: SigningKey) -> None:
    token = mint_token(es_key, iss=ISS, aud=AUD, jti="jti-es", extra_claims={"sub": "ehr-client"})
    identity = authenticate(authenticator, bearer(token))
    assert (identity.iss, identity.kid, identity.jti) == (ISS, es_key.kid, "jti-es")
    assert identity.client_id == "ehr-client"


def test_accepts_valid_rs384_token(authenticator: ClientAuthenticator, rs_key: SigningKey) -> None:
    identity = authenticate(authenticator, bearer(mint_token(rs_key, iss=ISS, aud=AUD)))
    assert identity.kid == rs_key.kid
    assert identity.client_id == ISS  # no sub: CDS Hooks tokens need not carry one


def test_accepts_audience_list_containing_the_endpoint(authenticator: ClientAuthenticator, es_key: SigningKey) -> None:
    token = mint_token(es_key, iss=ISS, aud=["https://other.example.org", AUD])
    assert authenticate(authenticator, bearer(token)).iss == ISS


def test_accepts_expiry_within_leeway(authenticator: ClientAuthenticator, es_key: SigningKey) -> None:
    token = mint_token(es_key, iss=ISS, aud=AUD, iat=time.time() - 120, exp=time.time() - 30)
    assert authenticate(authenticator, bearer(token)).iss == ISS


def test_accepts_key_from_allowlisted_jku_and_caches_it(tmp_path: Path) -> None:
    jku_key = generate_key("ES384")
    jku = JKU_PREFIX + "jwks.json"
    fetched: list[str] = []

    def serve_jwks(request: httpx.Request) -> httpx.Response:
        fetched.append(str(request.url))
        return httpx.Response(200, json=jwks(jku_key))

    authenticator = ClientAuthenticator.from_settings(
        trusted_jwks_path=None,
        trusted_issuers=[ISS],
        allowed_jku_prefixes=[JKU_PREFIX],
        jti_cache=MemoryJtiCache(),
        http_transport=httpx.MockTransport(serve_jwks),
    )
    for _ in range(2):
        identity = authenticate(authenticator, bearer(mint_token(jku_key, iss=ISS, aud=AUD, jku=jku)))
        assert identity.kid == jku_key.kid
    assert fetched == [jku]


# --- rejected, one per case -------------------------------------------------------------------


def test_rejects_missing_token(authenticator: ClientAuthenticator) -> None:
    assert rejection_reason(authenticator, None) == "missing_token"
    assert rejection_reason(authenticator, "") == "missing_token"


def test_rejects_non_bearer_scheme(authenticator: ClientAuthenticator, es_key: SigningKey) -> None:
    token = mint_token(es_key, iss=ISS, aud=AUD)
    assert rejection_reason(authenticator, f"Basic {token}") == "not_bearer"


def test_rejects_alg_none(authenticator: ClientAuthenticator, es_key: SigningKey) -> None:
    token = forge_token({"alg": "none", "typ": "JWT", "kid": es_key.kid}, default_claims(iss=ISS, aud=AUD))
    assert rejection_reason(authenticator, bearer(token)) == "alg_not_allowed"


def test_rejects_hs256_signed_with_public_key_as_secret(authenticator: ClientAuthenticator, rs_key: SigningKey) -> None:
    token = forge_token(
        {"alg": "HS256", "typ": "JWT", "kid": rs_key.kid},
        default_claims(iss=ISS, aud=AUD),
        hmac_secret=rs_key.public_pem(),
    )
    assert rejection_reason(authenticator, bearer(token)) == "alg_not_allowed"


def test_rejects_audience_of_another_endpoint(authenticator: ClientAuthenticator, es_key: SigningKey) -> None:
    token = mint_token(es_key, iss=ISS, aud="https://cds.example.org/cds-services/other-service")
    assert rejection_reason(authenticator, bearer(token)) == "wrong_audience"


def test_rejects_token_expired_beyond_leeway(authenticator: ClientAuthenticator, es_key: SigningKey) -> None:
    token = mint_token(es_key, iss=ISS, aud=AUD, iat=time.time() - 300, exp=time.time() - 90)
    assert rejection_reason(authenticator, bearer(token)) == "expired"


@pytest.mark.parametrize("claim", ["iat", "exp", "jti"])
def test_rejects_token_missing_required_claim(
    authenticator: ClientAuthenticator, es_key: SigningKey, claim: str
) -> None:
    token = mint_token(es_key, iss=ISS, aud=AUD, omit=(claim,))
    assert rejection_reason(authenticator, bearer(token)) == f"missing_{claim}"


def test_rejects_replayed_jti(authenticator: ClientAuthenticator, es_key: SigningKey) -> None:
    first = mint_token(es_key, iss=ISS, aud=AUD, jti="once-only")
    replay = mint_token(es_key, iss=ISS, aud=AUD, jti="once-only")
    assert authenticate(authenticator, bearer(first)).jti == "once-only"
    assert rejection_reason(authenticator, bearer(replay)) == "replayed_jti"


def test_rejects_unknown_kid(authenticator: ClientAuthenticator) -> None:
    stranger = generate_key("ES384", kid="not-in-the-jwks")
    token = mint_token(stranger, iss=ISS, aud=AUD)
    assert rejection_reason(authenticator, bearer(token)) == "unknown_kid"


def test_rejects_key_with_the_right_kid_but_another_algorithm(
    authenticator: ClientAuthenticator, es_key: SigningKey
) -> None:
    impostor = generate_key("RS384", kid=es_key.kid)
    token = mint_token(impostor, iss=ISS, aud=AUD)
    assert rejection_reason(authenticator, bearer(token)) == "unknown_kid"


def test_rejects_jku_off_the_allowlist_and_never_fetches_it(tmp_path: Path, es_key: SigningKey) -> None:
    with ConnectionRecorder() as recorder:
        authenticator = ClientAuthenticator.from_settings(
            trusted_jwks_path=write_jwks_file(tmp_path / "jwks.json", es_key),
            trusted_issuers=[ISS],
            allowed_jku_prefixes=[JKU_PREFIX, "http://127.0.0.1:1/"],
            jti_cache=MemoryJtiCache(),
        )
        token = mint_token(es_key, iss=ISS, aud=AUD, jku=f"{recorder.url}/jwks.json")
        assert rejection_reason(authenticator, bearer(token)) == "jku_not_allowed"
    assert recorder.connection_count == 0


def test_allowlisted_jku_is_fetched_so_the_recorder_would_see_a_fetch(tmp_path: Path, es_key: SigningKey) -> None:
    # Control for the test above: the same set-up with the recorder allowlisted does connect.
    with ConnectionRecorder() as recorder:
        authenticator = ClientAuthenticator.from_settings(
            trusted_jwks_path=None,
            trusted_issuers=[ISS],
            allowed_jku_prefixes=[recorder.url],
            jti_cache=MemoryJtiCache(),
        )
        token = mint_token(es_key, iss=ISS, aud=AUD, jku=f"{recorder.url}/jwks.json")
        assert rejection_reason(authenticator, bearer(token)) == "jwks_unavailable"
    assert recorder.connection_count >= 1


def test_rejects_jku_that_only_looks_like_an_allowed_prefix(es_key: SigningKey) -> None:
    requests: list[httpx.Request] = []

    def record(request: httpx.Request) -> httpx.Response:
        requests.append(request)
        return httpx.Response(500)

    authenticator = ClientAuthenticator.from_settings(
        trusted_jwks_path=None,
        trusted_issuers=[ISS],
        allowed_jku_prefixes=["https://keys.example.org"],
        jti_cache=MemoryJtiCache(),
        http_transport=httpx.MockTransport(record),
    )
    for jku in ("https://keys.example.org.evil.com/jwks", "https://keys.example.org@evil.com/"):
        token = mint_token(es_key, iss=ISS, aud=AUD, jku=jku)
        assert rejection_reason(authenticator, bearer(token)) == "jku_not_allowed"
    assert requests == []


def test_rejects_untrusted_issuer(authenticator: ClientAuthenticator, es_key: SigningKey) -> None:
    token = mint_token(es_key, iss="https://intruder.example.org", aud=AUD)
    assert rejection_reason(authenticator, bearer(token)) == "untrusted_issuer"


def test_rejects_tampered_payload(authenticator: ClientAuthenticator, es_key: SigningKey) -> None:
    header, payload, signature = mint_token(es_key, iss=ISS, aud=AUD).split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["tenant"] = "someone-else"
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    assert rejection_reason(authenticator, bearer(f"{header}.{forged}.{signature}")) == "bad_signature"


def test_rejects_garbage_token(authenticator: ClientAuthenticator) -> None:
    assert rejection_reason(authenticator, "Bearer not.a.jwt") == "malformed_token"


# --- what a rejection reveals -----------------------------------------------------------------


def test_rejection_logs_reason_but_not_the_token(
    authenticator: ClientAuthenticator, es_key: SigningKey, caplog: pytest.LogCaptureFixture
) -> None:
    token = mint_token(es_key, iss=ISS, aud="https://elsewhere.example.org/cds-services/x")
    with caplog.at_level(logging.WARNING, logger="cds_service.security.auth"):
        rejection_reason(authenticator, bearer(token))
    assert "reason=wrong_audience" in caplog.text
    assert token not in caplog.text
    assert token.split(".")[1] not in caplog.text


def test_from_settings_fails_fast_on_a_broken_jwks_file(tmp_path: Path) -> None:
    broken = tmp_path / "jwks.json"
    broken.write_text('{"keys": [{"kty": "EC"}]}', encoding="utf-8")
    with pytest.raises(JwksError, match="kid"):
        ClientAuthenticator.from_settings(
            trusted_jwks_path=broken,
            trusted_issuers=[ISS],
            allowed_jku_prefixes=[],
            jti_cache=MemoryJtiCache(),
        )


# --- MemoryJtiCache ---------------------------------------------------------------------------


def test_memory_jti_cache_reports_repeats_until_expiry() -> None:
    cache = MemoryJtiCache()
    later = time.time() + 60

    async def scenario() -> list[bool]:
        return [
            await cache.seen_before("a", later),
            await cache.seen_before("a", later),
            await cache.seen_before("expired", time.time() - 1),
            await cache.seen_before("expired", later),
        ]

    assert asyncio.run(scenario()) == [False, True, False, False]


def test_memory_jti_cache_stays_within_its_bound() -> None:
    cache = MemoryJtiCache(max_entries=10)
    later = time.time() + 60

    async def fill() -> None:
        for index in range(25):
            await cache.seen_before(f"jti-{index}", later + index)

    asyncio.run(fill())
    assert len(cache) == 10
