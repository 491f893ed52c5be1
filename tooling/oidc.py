"""Production identity: an OIDC access token, verified by the codec server (and the CLI's remote
encoding) with PyJWT: signature against the provider's JWKS, issuer, audience and expiry; its
claims mapped to our roles by `policies/identity.yaml` (oidc.group_roles)."""

from __future__ import annotations

import json
import os
import secrets
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import jwt

from policies.loading import load_policy
from tooling.seal import Identity

ISSUER_ENV, AUDIENCE_ENV, JWKS_ENV = "APPEALS_OIDC_ISSUER", "APPEALS_OIDC_AUDIENCE", "APPEALS_OIDC_JWKS"
CLIENT_ID_ENV, CLIENT_SECRET_ENV = "APPEALS_OIDC_CLIENT_ID", "APPEALS_OIDC_CLIENT_SECRET"
REDIRECT_ENV = "APPEALS_OIDC_REDIRECT_URI"


class TokenError(Exception):
    """A token that does not prove who the user is (message safe to show; no token content)."""


@dataclass(frozen=True)
class OidcSettings:
    issuer: str
    audience: str
    jwks: str  # https URL of the provider's JWKS, or a JSON file holding it


@dataclass(frozen=True)
class OidcClient:
    """The workbench as the provider's client (authorization code with PKCE)."""

    issuer: str
    client_id: str
    client_secret: str  # empty: a public client (PKCE alone)
    redirect_uri: str  # empty: this server's own /login/oidc/callback, as the browser reached it
    jwks: str  # empty: the provider's jwks_uri from its discovery document


def oidc_client() -> OidcClient | None:
    """The workbench's OIDC log-in from the environment; None when no client id is configured."""
    client_id = os.environ.get(CLIENT_ID_ENV, "")
    if not client_id:
        return None
    issuer = os.environ.get(ISSUER_ENV, "")
    if not issuer:
        raise ValueError(f"{CLIENT_ID_ENV} is set: {ISSUER_ENV} is required too")
    return OidcClient(
        issuer.rstrip("/"),
        client_id,
        os.environ.get(CLIENT_SECRET_ENV, ""),
        os.environ.get(REDIRECT_ENV, ""),
        os.environ.get(JWKS_ENV, ""),
    )


def oidc_settings() -> OidcSettings | None:
    """The provider from the environment; None when OIDC is not configured (embedded default)."""
    issuer, audience, jwks = (os.environ.get(n, "") for n in (ISSUER_ENV, AUDIENCE_ENV, JWKS_ENV))
    if not issuer:
        return None
    if not audience or not jwks:
        raise ValueError(f"{ISSUER_ENV} is set: {AUDIENCE_ENV} and {JWKS_ENV} are required too")
    return OidcSettings(issuer, audience, jwks)


@cache
def _jwks_client(url: str) -> jwt.PyJWKClient:
    return jwt.PyJWKClient(url, cache_keys=True, lifespan=3600)


def _signing_key(token: str, source: str) -> Any:
    if source.startswith(("https://", "http://")):
        client = _jwks_client(source)
        if jwt.get_unverified_header(token).get("kid") is None:  # allowed when the provider has one key
            signing = client.get_signing_keys()
            if len(signing) != 1:
                raise TokenError("token: names no key (kid) and the provider's JWKS holds several")
            return signing[0].key
        return client.get_signing_key_from_jwt(token).key
    keys = jwt.PyJWKSet.from_dict(json.loads(Path(source).read_text(encoding="utf-8")))
    kid = jwt.get_unverified_header(token).get("kid")
    for key in keys.keys:
        if kid is None or key.key_id == kid:
            return key.key
    raise TokenError("access token: signed with a key the provider's JWKS does not list")


def _claims(token: str, settings: OidcSettings, required: list[str], when_expired: str) -> dict[str, Any]:
    """The token's claims, its signature, issuer, audience and expiry checked (TokenError otherwise)."""
    try:
        claims: dict[str, Any] = jwt.decode(
            token,
            _signing_key(token, settings.jwks),
            algorithms=list(load_policy("identity")["oidc"]["algorithms"]),
            audience=settings.audience,
            issuer=settings.issuer,
            options={"require": required},
        )
    except jwt.ExpiredSignatureError:
        raise TokenError(f"access token: expired; {when_expired}") from None
    except jwt.PyJWTError as err:
        raise TokenError(f"access token: {type(err).__name__}: {str(err)[:200]}") from None
    return claims


def verify_token(token: str, settings: OidcSettings, nonce: str | None = None) -> Identity:
    """The user an access token (or, with `nonce`, the workbench's ID token) proves, or TokenError
    saying why it proves nothing."""
    policy = load_policy("identity")["oidc"]
    claims = _claims(token, settings, ["exp", "iss", "aud", "sub"], "log in again")
    if nonce is not None and not secrets.compare_digest(str(claims.get("nonce", "")), nonce):
        raise TokenError("ID token: its nonce is not the one this log-in sent (a replayed token)")
    names: dict[str, str] = policy["claims"]
    groups = claims.get(names["groups"]) or []
    roles = sorted({policy["group_roles"][g] for g in groups if g in policy["group_roles"]})
    if not roles:
        raise TokenError("access token: none of the user's groups maps to a role (policies/identity.yaml)")
    user_id = str(claims.get(names["id"]) or claims["sub"])
    return Identity(
        id=user_id,
        name=str(claims.get(names["name"]) or user_id),
        roles=roles,
        unit=str(claims.get(names["unit"]) or ""),
    )


def verify_client_token(token: str, settings: OidcSettings, scope: str) -> str:
    """The OAuth2 client an access token from the client-credentials grant proves (a channel's
    service account at the organisation's identity provider), if it carries `scope`; TokenError
    saying why not."""
    claims = _claims(token, settings, ["exp", "iss", "aud"], "ask the identity provider for a new one")
    granted = str(claims.get("scope", "")).split()
    if scope not in granted:
        raise TokenError(f"access token: the scope {scope!r} was not granted")
    client = str(claims.get("client_id") or claims.get("azp") or "")
    if not client:
        raise TokenError("access token: names no client (client_id or azp)")
    return client
