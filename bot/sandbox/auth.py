"""Who is calling: Bearer (app-only) and OAuth 1.0a user-context verification for the sandbox.

tweepy signs OAuth 1.0a requests for `https://api.twitter.com/...` before the redirect adapter
sends them to the sandbox, so the signature base string is rebuilt over that origin (or
`https://api.x.com`), never over the sandbox's own address (CONTRACT.md §9). Only query parameters
and `oauth_*` values are signed: a JSON body or multipart form is not. Timestamps and nonces are not
checked because sandbox time is simulated.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from typing import Literal
from urllib.parse import unquote

from oauthlib.oauth1.rfc5849 import signature
from oauthlib.oauth1.rfc5849.utils import escape

ORIGINS = ("https://api.twitter.com", "https://api.x.com")
AuthKind = Literal["bearer", "oauth1", "none", "invalid"]


@dataclass(frozen=True)
class Credentials:
    """The keys the sandbox issues: one app (bearer + consumer key/secret) and one user token."""

    bearer_token: str
    api_key: str
    api_secret: str
    access_token: str
    access_token_secret: str

    @classmethod
    def issue(cls, user_id: str) -> Credentials:
        return cls(
            bearer_token="AAAAAAAAAAAAAAAAAAAAA" + secrets.token_urlsafe(40),
            api_key=secrets.token_urlsafe(18),
            api_secret=secrets.token_urlsafe(36),
            access_token=f"{user_id}-{secrets.token_urlsafe(30)}",
            access_token_secret=secrets.token_urlsafe(33),
        )

    def as_dict(self) -> dict[str, str]:
        return {
            "bearer_token": self.bearer_token,
            "api_key": self.api_key,
            "api_secret": self.api_secret,
            "access_token": self.access_token,
            "access_token_secret": self.access_token_secret,
        }


@dataclass(frozen=True)
class Caller:
    kind: AuthKind
    token: str = ""  # the bucket key: bearer token or access token
    reason: str = ""


def parse_oauth_header(header: str) -> dict[str, str]:
    """`OAuth k="v", ...` -> {k: v} with values percent-decoded."""
    out: dict[str, str] = {}
    for part in header[len("OAuth ") :].split(","):
        if "=" not in part:
            continue
        key, _, value = part.strip().partition("=")
        out[unquote(key)] = unquote(value.strip().strip('"'))
    return out


def identify(
    creds: Credentials,
    method: str,
    path: str,
    query: list[tuple[str, str]],
    authorization: str | None,
    *,
    verify_oauth: bool = True,
) -> Caller:
    """Classify the caller; `kind == "invalid"` means the request must get a 401."""
    if not authorization:
        return Caller("none", reason="no Authorization header")
    if authorization.startswith("Bearer "):
        token = authorization[len("Bearer ") :].strip()
        if hmac.compare_digest(token.encode(), creds.bearer_token.encode()):
            return Caller("bearer", token)
        return Caller("invalid", reason="unknown bearer token")
    if authorization.startswith("OAuth "):
        oauth = parse_oauth_header(authorization)
        if oauth.get("oauth_consumer_key") != creds.api_key:
            return Caller("invalid", reason="unknown consumer key")
        if oauth.get("oauth_token") != creds.access_token:
            return Caller("invalid", reason="unknown access token")
        if oauth.get("oauth_signature_method", "HMAC-SHA1") != "HMAC-SHA1":
            return Caller("invalid", reason="only HMAC-SHA1 signatures are supported")
        if verify_oauth and not _signature_ok(creds, method, path, query, oauth):
            return Caller("invalid", reason="bad OAuth 1.0a signature")
        return Caller("oauth1", creds.access_token)
    return Caller("invalid", reason="unsupported Authorization scheme")


def _signature_ok(
    creds: Credentials, method: str, path: str, query: list[tuple[str, str]], oauth: dict[str, str]
) -> bool:
    given = oauth.get("oauth_signature", "")
    params = list(query) + [
        (k, v) for k, v in oauth.items() if k.startswith("oauth_") and k != "oauth_signature"
    ]
    normalized = signature.normalize_parameters(params)
    for origin in ORIGINS:
        base = signature.signature_base_string(
            method.upper(), signature.base_string_uri(origin + path), normalized
        )
        key = f"{escape(creds.api_secret)}&{escape(creds.access_token_secret)}"
        digest = hmac.new(key.encode(), base.encode(), hashlib.sha1).digest()
        expected = base64.b64encode(digest).decode()
        if hmac.compare_digest(expected.encode(), given.encode()):
            return True
    return False
