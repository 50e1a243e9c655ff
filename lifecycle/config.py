"""pack-it's own settings: an environment variable wins, then the config file, then the
default. The file is TOML at $PACK_IT_CONFIG, else $XDG_CONFIG_HOME/pack-it/config.toml
(~/.config/pack-it/config.toml), so a platform team can set mirrors once for every build:

    [debian]
    mirror = "http://mirror.example/debian"
    security_mirror = "http://mirror.example/debian-security"
    retention_mirrors = ["snapshot+https://snapshot.debian.org", "https://artifactory.example/debian"]
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

import tomli

from pack_it.errors import USAGE, PackItError


def config_path() -> Path:
    if os.environ.get("PACK_IT_CONFIG"):
        return Path(os.environ["PACK_IT_CONFIG"])
    base = os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config"
    return Path(base) / "pack-it" / "config.toml"


@lru_cache(maxsize=None)
def _read(path: Path) -> dict:
    if not path.is_file():
        return {}
    try:
        return tomli.loads(path.read_text())
    except (tomli.TOMLDecodeError, UnicodeDecodeError) as e:
        raise PackItError(f"The pack-it config file {path} is not valid TOML: {e}.", exit_code=USAGE,
                          phase="config", hint="Fix it, or point PACK_IT_CONFIG at another file.")


def setting(section: str, key: str, env: str, default: str) -> str:
    if os.environ.get(env):
        return os.environ[env]
    value = _read(config_path()).get(section, {}).get(key)
    return str(value) if value else default


def list_setting(section: str, key: str, env: str, default: list[str]) -> list[str]:
    """As setting(), for a list: the environment variable holds it space-separated, the file
    as a TOML list (an empty list there means none)."""
    if os.environ.get(env, "").strip():
        return os.environ[env].split()
    value = _read(config_path()).get(section, {}).get(key)
    if value is None:
        return list(default)
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise PackItError(f"{key} under [{section}] in the pack-it config file {config_path()} is not a list of strings.",
                          exit_code=USAGE, phase="config", hint=f'Write it as {key} = ["http://mirror.example/debian"].')
    return list(value)
