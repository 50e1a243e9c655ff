"""Answering a registry's 401 as the distribution spec's token flow describes it:

- `Basic realm=...`: send the user's credentials (there must be some);
- `Bearer realm=URL,service=S[,scope=...]`: GET URL?service=S&scope=... (with the
  credentials as basic auth when there are any, anonymously otherwise), and send the
  `token` (or `access_token`) it answers, for as long as the registry accepts it.
"""

from __future__ import annotations

import base64
import json
import re
import urllib.parse

from pack_it.lifecycle.registry.credentials import Credentials
from pack_it.lifecycle.registry.transport import Transport

CHALLENGE_PARAM = re.compile(r'(\w+)="([^"]*)"|(\w+)=([^\s,]+)')


class AuthenticationFailed(Exception):
    """The registry (or its token server) refused these credentials, or asked for some."""


def parse_challenge(header: str) -> tuple[str, dict[str, str]]:
    """`Bearer realm="https://auth",service="reg"` -> ("bearer", {"realm": ..., "service": ...})."""
    scheme, _, rest = header.strip().partition(" ")
    params = {}
    for m in CHALLENGE_PARAM.finditer(rest):
        key = (m.group(1) or m.group(3)).lower()
        params[key] = m.group(2) if m.group(1) else m.group(4)
    return scheme.lower(), params


def basic(credentials: Credentials) -> str:
    return "Basic " + base64.b64encode(f"{credentials.username}:{credentials.password}".encode()).decode()


class Authenticator:
    """The Authorization header for one registry and one set of scopes
    (`repository:team/app:pull,push`), obtained once and reused."""

    def __init__(self, transport: Transport, credentials: Credentials | None, scopes: list[str]) -> None:
        self.transport = transport
        self.credentials = credentials
        self.scopes = scopes
        self.header: str | None = None

    def answer(self, challenge: str) -> None:
        """Sets `header` for a 401's WWW-Authenticate; raises AuthenticationFailed."""
        scheme, params = parse_challenge(challenge)
        if scheme == "basic":
            if self.credentials is None:
                raise AuthenticationFailed("asks for a user name and password and none were found")
            if self.header == basic(self.credentials):
                raise AuthenticationFailed(f"refused the credentials of {self.credentials.username!r} "
                                           f"(from {self.credentials.source})")
            self.header = basic(self.credentials)
        elif scheme == "bearer" and params.get("realm"):
            if self.header and self.header.startswith("Bearer ") and "error" in params:
                raise AuthenticationFailed(self._refused(params.get("error", "")))
            self.header = "Bearer " + self._token(params)
        else:
            raise AuthenticationFailed(f"asks for {scheme or 'an unknown'} authentication, which pack-it does not speak")

    def _refused(self, error: str) -> str:
        who = f"the credentials of {self.credentials.username!r} (from {self.credentials.source})" if self.credentials else "anonymous access"
        return f"refused {who}" + (f" ({error})" if error in ("insufficient_scope", "invalid_token") else "")

    def _token(self, params: dict[str, str]) -> str:
        query = [("service", params["service"])] if params.get("service") else []
        scopes = self.scopes or ([params["scope"]] if params.get("scope") else [])
        query += [("scope", s) for s in scopes]
        realm = params["realm"]
        url = realm + ("&" if "?" in realm else "?") + urllib.parse.urlencode(query)
        headers = {"Authorization": basic(self.credentials)} if self.credentials else {}
        response = self.transport.request("GET", url, headers)
        if response.status in (401, 403):
            raise AuthenticationFailed(self._refused(""))
        try:
            answer = json.loads(response.body)
            token = answer.get("token") or answer.get("access_token")
        except (ValueError, AttributeError):
            token = None
        if response.status != 200 or not token:
            host = urllib.parse.urlsplit(realm).netloc
            raise AuthenticationFailed(f"sent pack-it to the token server {host}, which answered HTTP {response.status} with no token")
        return token
