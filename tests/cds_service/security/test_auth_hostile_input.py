"""Whatever arrives in the Authorization header, the only outcome is AuthenticationError (a 401)."""

from __future__ import annotations

import asyncio
import base64
import json
import time

from hypothesis import given, settings
from hypothesis import strategies as st

from cds_service.security.auth import AuthenticationError, ClientAuthenticator, MemoryJtiCache
from cds_service.security.jwks import JkuKeySource, parse_jwks
from cds_service.security.url_allowlist import UrlAllowlist
from tests.support.jwt_minter import generate_key, jwks, mint_token

ISS = "https://ehr.example.org"
AUD = "https://cds.example.org/cds-services/crd-order-sign"
KEY = generate_key("ES384")


AUTHENTICATOR = ClientAuthenticator(
    file_keys=parse_jwks(jwks(KEY), source="test"),
    trusted_issuers=[ISS],
    jku_source=JkuKeySource(UrlAllowlist([])),
    jti_cache=MemoryJtiCache(),
)


def _segment(value: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()


def _rejects(header: str) -> bool:
    try:
        asyncio.run(AUTHENTICATOR.authenticate(header, AUD))
    except AuthenticationError:
        return True
    return False


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=12,
)
NOW = int(time.time())


def _plausible(*values: object) -> st.SearchStrategy[object]:
    """Mostly values that pass the earlier checks, so later checks get exercised too."""
    return st.one_of(st.sampled_from(values), JSON_VALUES)


JOSE_HEADERS = st.fixed_dictionaries(
    {},
    optional={
        "alg": _plausible("ES384", "RS384", "none", "HS256", "ES256"),
        "typ": _plausible("JWT", "jwt"),
        "kid": _plausible(KEY.kid, "other"),
        "jku": _plausible("https://keys.example.org/jwks.json"),
    },
)
CLAIMS = st.fixed_dictionaries(
    {},
    optional={
        "iss": _plausible(ISS),
        "aud": _plausible(AUD, [AUD]),
        "exp": _plausible(NOW + 300, NOW - 3600, 10**20),
        "iat": _plausible(NOW, NOW + 3600),
        "jti": _plausible("jti-1", ""),
        "nbf": JSON_VALUES,
    },
)


@settings(max_examples=150, deadline=None)
@given(header=st.text(max_size=300))
def test_arbitrary_header_text_is_rejected_cleanly(header: str) -> None:
    assert _rejects(header)


@settings(max_examples=150, deadline=None)
@given(
    jose=JOSE_HEADERS,
    claims=CLAIMS,
)
def test_arbitrary_header_and_claims_are_rejected_cleanly(jose: dict[str, object], claims: dict[str, object]) -> None:
    token = f"{_segment(jose)}.{_segment(claims)}.c2lnbmF0dXJl"
    assert _rejects(f"Bearer {token}")


@settings(max_examples=100, deadline=None)
@given(position=st.integers(min_value=0), replacement=st.sampled_from("AQgw_-x0"))
def test_any_single_character_change_to_a_valid_token_is_rejected(position: int, replacement: str) -> None:
    token = mint_token(KEY, iss=ISS, aud=AUD)
    index = position % len(token)
    if token[index] in (replacement, "."):
        return
    mutated = token[:index] + replacement + token[index + 1 :]
    assert _rejects(f"Bearer {mutated}")
