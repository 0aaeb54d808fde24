"""Key sets behind ClientAuthenticator: which keys are usable, and how a jku is fetched and cached."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jwt.algorithms import ECAlgorithm, RSAAlgorithm

from cds_service.security.auth import AuthenticationError, ClientAuthenticator, MemoryJtiCache
from cds_service.security.jwks import JkuKeySource, JwksError, load_jwks_file, parse_jwks
from cds_service.security.url_allowlist import UrlAllowlist
from tests.support.jwt_minter import SigningKey, generate_key, jwks, mint_token, write_jwks_file

ISS = "https://ehr.example.org"
AUD = "https://cds.example.org/cds-services/crd-order-sign"
JKU = "https://keys.example.org/jwks.json"


def test_only_p384_ec_and_rsa_2048_plus_keys_are_usable() -> None:
    p256 = ECAlgorithm.to_jwk(ec.generate_private_key(ec.SECP256R1()).public_key(), as_dict=True)
    rsa1024 = RSAAlgorithm.to_jwk(
        rsa.generate_private_key(public_exponent=65537, key_size=1024).public_key(), as_dict=True
    )
    good_es, good_rs = generate_key("ES384", kid="es"), generate_key("RS384", kid="rs")
    rs256_labelled = {**generate_key("RS384").public_jwk(), "kid": "rs256", "alg": "RS256"}
    document = {
        "keys": [
            good_es.public_jwk(),
            good_rs.public_jwk(),
            {**p256, "kid": "p256"},
            {**rsa1024, "kid": "rsa1024"},
            {"kty": "oct", "k": "c2VjcmV0", "kid": "hmac"},
            rs256_labelled,
        ]
    }
    key_set = parse_jwks(document, source="test")
    assert sorted(key_set.keys) == ["es", "rs"]
    assert key_set.find("es", "ES384") is not None
    assert key_set.find("es", "RS384") is None
    assert key_set.find("rs", "RS384") is not None


@pytest.mark.parametrize(
    "document",
    [[], {"keys": {}}, {"keys": [{"kty": "EC"}]}, {"keys": ["x"]}],
)
def test_malformed_jwks_documents_are_refused(document: object) -> None:
    with pytest.raises(JwksError):
        parse_jwks(document, source="test")


def test_duplicate_kids_are_refused(tmp_path: Path) -> None:
    key = generate_key("ES384", kid="same")
    path = tmp_path / "jwks.json"
    path.write_text(json.dumps({"keys": [key.public_jwk(), key.public_jwk()]}), encoding="utf-8")
    with pytest.raises(JwksError):
        load_jwks_file(path)


def test_missing_jwks_file_names_the_path(tmp_path: Path) -> None:
    with pytest.raises(JwksError, match="absent.json"):
        load_jwks_file(tmp_path / "absent.json")


class CountingJwks:
    """A jku endpoint whose key set can be swapped (key rotation) and whose fetches are counted."""

    def __init__(self, document: dict[str, object]) -> None:
        self.document = document
        self.fetches = 0

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.fetches += 1
        return httpx.Response(200, json=self.document)


def test_jku_is_refetched_for_a_new_kid_after_the_refetch_interval() -> None:
    old, new = generate_key("ES384", kid="old"), generate_key("ES384", kid="new")
    endpoint = CountingJwks(jwks(old))
    source = JkuKeySource(UrlAllowlist([JKU]), transport=httpx.MockTransport(endpoint), refetch_interval_s=0.0)

    async def scenario() -> list[bool]:
        found_old = await source.find(JKU, "old", "ES384") is not None
        endpoint.document = jwks(old, new)
        found_new = await source.find(JKU, "new", "ES384") is not None
        return [found_old, found_new]

    assert asyncio.run(scenario()) == [True, True]
    assert endpoint.fetches == 2


def test_unknown_kids_do_not_trigger_a_fetch_each_within_the_interval() -> None:
    endpoint = CountingJwks(jwks(generate_key("ES384", kid="only")))
    source = JkuKeySource(UrlAllowlist([JKU]), transport=httpx.MockTransport(endpoint))

    async def scenario() -> list[object]:
        return [await source.find(JKU, f"made-up-{n}", "ES384") for n in range(20)]

    assert asyncio.run(scenario()) == [None] * 20
    assert endpoint.fetches == 1


def test_jku_error_responses_and_oversized_sets_make_the_key_unavailable() -> None:
    big = {"keys": [], "padding": "x" * 300_000}
    answers = [httpx.Response(500), httpx.Response(200, content=b"not json"), httpx.Response(200, json=big)]
    for answer in answers:

        def respond(request: httpx.Request, answer: httpx.Response = answer) -> httpx.Response:
            return answer

        source = JkuKeySource(UrlAllowlist([JKU]), transport=httpx.MockTransport(respond))
        with pytest.raises(JwksError):
            asyncio.run(source.find(JKU, "kid", "ES384"))


def test_jku_redirects_are_not_followed() -> None:
    hops: list[str] = []

    def redirect(request: httpx.Request) -> httpx.Response:
        hops.append(str(request.url))
        return httpx.Response(302, headers={"Location": "http://169.254.169.254/latest/meta-data"})

    source = JkuKeySource(UrlAllowlist([JKU]), transport=httpx.MockTransport(redirect))
    with pytest.raises(JwksError):
        asyncio.run(source.find(JKU, "kid", "ES384"))
    assert hops == [JKU]


# --- header and lifetime rules of the authenticator ---------------------------------------------


@pytest.fixture(scope="module")
def key() -> SigningKey:
    return generate_key("ES384")


@pytest.fixture
def authenticator(tmp_path: Path, key: SigningKey) -> ClientAuthenticator:
    return ClientAuthenticator.from_settings(
        trusted_jwks_path=write_jwks_file(tmp_path / "jwks.json", key),
        trusted_issuers=[ISS],
        allowed_jku_prefixes=[],
        jti_cache=MemoryJtiCache(),
    )


def reason_for(authenticator: ClientAuthenticator, token: str) -> str:
    with pytest.raises(AuthenticationError) as caught:
        asyncio.run(authenticator.authenticate(f"Bearer {token}", AUD))
    return caught.value.reason


def test_rejects_a_token_without_typ(authenticator: ClientAuthenticator, key: SigningKey) -> None:
    token = mint_token(key, iss=ISS, aud=AUD, omit_headers=("typ",))
    assert "typ" not in jwt.get_unverified_header(token)
    assert reason_for(authenticator, token) == "bad_typ"


def test_rejects_a_token_without_kid(authenticator: ClientAuthenticator, key: SigningKey) -> None:
    token = mint_token(key, iss=ISS, aud=AUD, omit_headers=("kid",))
    assert reason_for(authenticator, token) == "missing_kid"


def test_rejects_a_token_that_lives_too_long(authenticator: ClientAuthenticator, key: SigningKey) -> None:
    token = mint_token(key, iss=ISS, aud=AUD, exp=time.time() + 86_400)
    assert reason_for(authenticator, token) == "lifetime_too_long"


def test_rejects_a_token_issued_in_the_future(authenticator: ClientAuthenticator, key: SigningKey) -> None:
    token = mint_token(key, iss=ISS, aud=AUD, iat=time.time() + 600, exp=time.time() + 900)
    assert reason_for(authenticator, token) == "not_yet_valid"


def test_rejects_numeric_strings_as_times(authenticator: ClientAuthenticator, key: SigningKey) -> None:
    token = mint_token(key, iss=ISS, aud=AUD, extra_claims={"exp": str(int(time.time()) + 300)})
    assert reason_for(authenticator, token) == "invalid_claims"
