"""Build-time --env values are secrets: the build's tools get them, and nothing pack-it writes
or prints shows them (the image, the plan, the cache's records, progress, errors). Only a
value given with --env-launch goes into the image, in its config's Env.

pack-it's own settings (PACK_IT_*, e.g. PACK_IT_GO_MAIN) are configuration, not secrets: the
plan names what they chose. Values shorter than MIN_MASKED characters are not masked (they
are not secrets, and masking `1` would garble every line)."""

from __future__ import annotations

import re
from pathlib import PurePosixPath
from contextlib import contextmanager
from typing import Iterator, Mapping

from pack_it.detectors.source import INSTALL_CONFIG
from pack_it.errors import USAGE, PackItError
from pack_it.lifecycle.reporter import Reporter

MASK = "***"
MIN_MASKED = 4
ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def check_env(env: Mapping[str, str], option: str = "--env") -> None:
    """Each name a variable can have, each value one a process can receive."""
    for key, value in env.items():
        if not ENV_NAME.fullmatch(key) or "\0" in value:
            raise PackItError(f"{option} {key}=... is not a valid variable (a name is letters, digits and _, "
                              "not starting with a digit; a value has no NUL).", exit_code=USAGE, phase="usage",
                              hint=f"Write it as {option} NAME=VALUE, e.g. {option} GOFLAGS=-tags=prod.")


def secret_values(env: Mapping[str, str]) -> tuple[str, ...]:
    """The values to mask, longest first (so a value containing another is masked whole)."""
    values = {v for k, v in env.items() if not k.startswith("PACK_IT_") and len(v) >= MIN_MASKED}
    return tuple(sorted(values, key=len, reverse=True))


def mask(text: str, values: tuple[str, ...]) -> str:
    for value in values:
        text = text.replace(value, MASK)
    return text


class MaskingReporter(Reporter):
    """Passes everything on to `inner` with the secret values masked."""

    def __init__(self, inner: Reporter, values: tuple[str, ...]) -> None:
        self.inner = inner
        self.values = values

    def phase(self, name: str) -> None:
        self.inner.phase(mask(name, self.values))

    def step(self, message: str) -> None:
        self.inner.step(mask(message, self.values))

    def warn(self, message: str) -> None:
        self.inner.warn(mask(message, self.values))

    def detail(self, message: str) -> None:
        self.inner.detail(mask(message, self.values))


@contextmanager
def masked_errors(values: tuple[str, ...]) -> Iterator[None]:
    """A PackItError leaving the block (a tool's output quoted in it) has the values masked."""
    try:
        yield
    except PackItError as e:
        if values:
            e.message, e.hint = mask(e.message, values), mask(e.hint, values)
            e.args = (e.message,)
        raise


def secret_warning(rel: str, why: str) -> str:
    """The warning for a secret-looking file of the source tree (SourceTree.secret_files())."""
    kept = " (the install step still reads it)" if PurePosixPath(rel).name in INSTALL_CONFIG else ""
    return (f"{rel} looks like {why}: left out of the image{kept}; "
            f"add '!{rel}' to .pack-itignore (or .dockerignore) to keep it.")
