"""Mint CDS Hooks client JWTs for tests and docs.

    key = generate_key("ES384")                       # or "RS384"; kid is random unless given
    write_jwks_file(tmp_path / "jwks.json", key)      # what CDS_TRUSTED_JWKS points to
    token = mint_token(key, iss="https://ehr.example.org", aud="http://127.0.0.1:8080/cds-services/x")
    headers = {"Authorization": f"Bearer {token}"}

``mint_token`` makes a valid token by default; its keyword arguments bend it into each invalid
shape the authenticator must reject (``omit=("jti",)``, ``exp=...``, ``jku=...``).
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jwt.algorithms import ECAlgorithm, RSAAlgorithm

PrivateKey = ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey


@dataclass(frozen=True)
class SigningKey:
    """A private key with the ``kid`` and ``alg`` its tokens carry."""

    kid: str
    alg: str
    private_key: PrivateKey

    def public_jwk(self) -> dict[str, Any]:
        public = self.private_key.public_key()
        if isinstance(public, ec.EllipticCurvePublicKey):
            jwk = ECAlgorithm.to_jwk(public, as_dict=True)
        else:
            jwk = RSAAlgorithm.to_jwk(public, as_dict=True)
        return {**jwk, "kid": self.kid, "alg": self.alg, "use": "sig"}

    def public_pem(self) -> bytes:
        from cryptography.hazmat.primitives import serialization

        return self.private_key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )


def generate_key(alg: str = "ES384", *, kid: str | None = None) -> SigningKey:
    """A fresh ES384 (P-384) or RS384 (RSA 2048) key."""
    private_key: PrivateKey
    if alg == "ES384":
        private_key = ec.generate_private_key(ec.SECP384R1())
    elif alg == "RS384":
        private_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    else:
        raise ValueError(f"unsupported alg {alg!r}; use ES384 or RS384")
    return SigningKey(kid=kid or f"test-{uuid.uuid4().hex[:12]}", alg=alg, private_key=private_key)


def jwks(*keys: SigningKey) -> dict[str, Any]:
    """A JWK Set document holding the public halves of ``keys``."""
    return {"keys": [key.public_jwk() for key in keys]}


def write_jwks_file(path: Path, *keys: SigningKey) -> Path:
    path.write_text(json.dumps(jwks(*keys)), encoding="utf-8")
    return path


def mint_token(
    key: SigningKey,
    *,
    iss: str,
    aud: str | list[str],
    lifetime_s: int = 300,
    iat: float | None = None,
    exp: float | None = None,
    jti: str | None = None,
    jku: str | None = None,
    omit: Iterable[str] = (),
    omit_headers: Iterable[str] = (),
    extra_claims: Mapping[str, Any] | None = None,
    extra_headers: Mapping[str, Any] | None = None,
) -> str:
    """A signed client JWT; ``omit`` / ``omit_headers`` drop named claims / header fields."""
    now = time.time()
    claims: dict[str, Any] = {
        "iss": iss,
        "aud": aud,
        "iat": int(now if iat is None else iat),
        "exp": int(now + lifetime_s if exp is None else exp),
        "jti": jti or uuid.uuid4().hex,
        **(extra_claims or {}),
    }
    for name in omit:
        claims.pop(name, None)
    headers: dict[str, Any] = {"kid": key.kid, "typ": "JWT", **(extra_headers or {})}
    if jku is not None:
        headers["jku"] = jku
    for name in omit_headers:
        headers.pop(name, None)
    if "typ" in set(omit_headers):
        headers["typ"] = None  # PyJWT adds typ unless told None
    return jwt.encode(claims, key.private_key, algorithm=key.alg, headers=headers)


def forge_token(header: Mapping[str, Any], claims: Mapping[str, Any], *, hmac_secret: bytes | None = None) -> str:
    """A hand-built token for attacks the JWT library refuses to sign.

    With ``hmac_secret`` the token is HS256-signed with it (e.g. a public key's PEM, the classic
    algorithm-confusion attack); without, the signature is empty (pair with ``alg: none``).
    """
    import base64
    import hashlib
    import hmac

    def segment(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")

    signing_input = f"{segment(json.dumps(dict(header)).encode())}.{segment(json.dumps(dict(claims)).encode())}"
    signature = b""
    if hmac_secret is not None:
        signature = hmac.new(hmac_secret, signing_input.encode("ascii"), hashlib.sha256).digest()
    return f"{signing_input}.{segment(signature)}"


def default_claims(*, iss: str, aud: str, lifetime_s: int = 300) -> dict[str, Any]:
    """The claims ``mint_token`` would sign, for use with ``forge_token``."""
    now = int(time.time())
    return {"iss": iss, "aud": aud, "iat": now, "exp": now + lifetime_s, "jti": uuid.uuid4().hex}
