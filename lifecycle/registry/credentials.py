"""Where the user's registry credentials are, in the order the first match wins:

1. `--creds USER:PASS`, then `PACK_IT_REGISTRY_USERNAME`/`PACK_IT_REGISTRY_PASSWORD` (CI);
2. `$REGISTRY_AUTH_FILE` (podman's auth.json), then podman's default
   `$XDG_RUNTIME_DIR/containers/auth.json`;
3. Docker's `config.json` in `$DOCKER_CONFIG`, else `~/.docker`: `credHelpers[host]`, then
   `auths[host].auth` (base64 `user:pass`), then `credsStore`.

A helper is run as `docker-credential-<name> get` with the server on stdin and answers
`{"ServerURL", "Username", "Secret"}` on stdout (docker-credential-helpers' protocol).
A secret is never put in a message: errors name the file or helper, not its content.
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping

from pack_it.errors import USAGE, PackItError, export_error

HELPER_TIMEOUT = 30  # seconds; a helper may prompt a keychain, but must not hang a build


@dataclass(frozen=True)
class Credentials:
    username: str
    password: str = field(repr=False)  # never in a repr, a log line or a traceback's locals view
    source: str = ""  # where they came from, for messages: "--creds", "~/.docker/config.json"

    def __repr__(self) -> str:
        return f"Credentials(username={self.username!r}, source={self.source!r})"


def parse_creds(value: str) -> Credentials:
    username, sep, password = value.partition(":")
    if not sep or not username:
        raise PackItError("--creds must be USER:PASSWORD.", exit_code=USAGE, phase="usage",
                          hint="Or set PACK_IT_REGISTRY_USERNAME and PACK_IT_REGISTRY_PASSWORD.")
    return Credentials(username, password, "--creds")


def lookup(host: str, explicit: Credentials | None = None, env: Mapping[str, str] = os.environ) -> Credentials | None:
    """The credentials for a registry host, or None (anonymous)."""
    if explicit is not None:
        return explicit
    if env.get("PACK_IT_REGISTRY_USERNAME"):
        return Credentials(env["PACK_IT_REGISTRY_USERNAME"], env.get("PACK_IT_REGISTRY_PASSWORD", ""),
                           "PACK_IT_REGISTRY_USERNAME/PASSWORD")
    for path in _auth_files(env):
        found = _from_file(path, host, env)
        if found is not None:
            return found
    return None


def _auth_files(env: Mapping[str, str]) -> list[Path]:
    files = []
    if env.get("REGISTRY_AUTH_FILE"):
        files.append(Path(env["REGISTRY_AUTH_FILE"]))
    if env.get("XDG_RUNTIME_DIR"):
        files.append(Path(env["XDG_RUNTIME_DIR"]) / "containers" / "auth.json")
    docker_dir = Path(env["DOCKER_CONFIG"]) if env.get("DOCKER_CONFIG") else Path(env.get("HOME", str(Path.home()))) / ".docker"
    files.append(docker_dir / "config.json")
    return files


def _server_keys(host: str) -> list[str]:
    """How a host may be written as a key of `auths` (Docker writes https:// URLs too)."""
    keys = [host, f"https://{host}", f"http://{host}", f"https://{host}/v1/", f"https://{host}/v2/"]
    if host in ("docker.io", "registry-1.docker.io"):
        keys += ["https://index.docker.io/v1/", "index.docker.io", "docker.io", "registry-1.docker.io"]
    return keys


def _from_file(path: Path, host: str, env: Mapping[str, str]) -> Credentials | None:
    try:
        config = json.loads(path.read_text())
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as e:
        raise export_error(f"Cannot read the registry credentials file {path}: {type(e).__name__}.",
                           "Fix or remove the file, or pass --creds USER:PASSWORD.")
    keys = _server_keys(host)
    helpers = config.get("credHelpers") or {}
    for key in keys:
        if key in helpers:
            return run_helper(helpers[key], host, env)
    auths = config.get("auths") or {}
    for key in keys:
        entry = auths.get(key)
        if isinstance(entry, dict) and entry.get("auth"):
            return _decode_auth(entry["auth"], path, host)
        if isinstance(entry, dict) and entry.get("username"):
            return Credentials(entry["username"], entry.get("password", ""), str(path))
    if config.get("credsStore"):
        return run_helper(config["credsStore"], host, env)
    return None


def _decode_auth(value: str, path: Path, host: str) -> Credentials:
    try:
        username, sep, password = base64.b64decode(value, validate=True).decode().partition(":")
    except (ValueError, UnicodeDecodeError):
        sep, username, password = "", "", ""
    if not sep:
        raise export_error(f"The entry for {host} in {path} is not base64 of USER:PASSWORD.",
                           f"Log in again (podman login {host}) or pass --creds USER:PASSWORD.")
    return Credentials(username, password, str(path))


def run_helper(name: str, host: str, env: Mapping[str, str]) -> Credentials | None:
    program = f"docker-credential-{name}"
    try:
        done = subprocess.run([program, "get"], input=host.encode(), capture_output=True,
                              timeout=HELPER_TIMEOUT, env=dict(env))
    except FileNotFoundError:
        raise export_error(f"The credential helper {program} for {host} is not on PATH.",
                           "Install it, or remove it from ~/.docker/config.json, or pass --creds USER:PASSWORD.")
    except subprocess.TimeoutExpired:
        raise export_error(f"The credential helper {program} for {host} did not answer in {HELPER_TIMEOUT}s.",
                           "Check that it runs on its own: echo HOST | " + program + " get")
    if done.returncode != 0:
        # "credentials not found" is the protocol's way of saying: anonymous.
        if b"credentials not found" in done.stdout.lower() + done.stderr.lower():
            return None
        raise export_error(f"The credential helper {program} failed for {host} (exit {done.returncode}).",
                           "Run `echo HOST | " + program + " get` to see why.")
    try:
        answer = json.loads(done.stdout)
        username, secret = answer["Username"], answer["Secret"]
    except (ValueError, KeyError, TypeError):
        # Its output is not shown: it may well hold the secret.
        raise export_error(f"The credential helper {program} gave no Username and Secret for {host}.",
                           "Run `echo HOST | " + program + " get` to see what it prints.")
    return Credentials(username, secret, program)
