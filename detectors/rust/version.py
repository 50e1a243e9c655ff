"""Which rustc the app asks for: rust-toolchain.toml (or the older rust-toolchain file, a bare
channel line or the same TOML) and Cargo.toml's rust-version.

Both are minimums here. rust-version is one by definition (the oldest rustc the crate builds
with). A rust-toolchain pin (`1.80.0`) is what rustup would install; pack-it builds with the
rustc it is provided, and Rust's stability promise (code that builds on a stable release builds
on every later one) is what makes a newer stable rustc a faithful stand-in for an older pin.
beta, nightly and dated channels are refused: their features do not exist on stable.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import tomli

from pack_it.detectors.rust.manifest import line_of
from pack_it.detectors.source import SourceTree
from pack_it.errors import UNSUPPORTED, detect_error

TOOLCHAIN_FILES = ("rust-toolchain.toml", "rust-toolchain")  # rustup reads the second only without the first
RELEASE = re.compile(r"^(\d+)\.(\d+)(?:\.(\d+))?$")
# A channel with a host triple (1.80.0-x86_64-unknown-linux-gnu): the version is what matters.
WITH_HOST = re.compile(r"^(\d+\.\d+(?:\.\d+)?)-[a-z0-9_]+-[a-z0-9_-]+$")


@dataclass(frozen=True)
class Request:
    version: str | None  # a minimum ("1.80", "1.80.0"), None for any stable
    source: str  # the file and line that asked ("default" when none)
    runtime_source: str  # the plan's runtime.source: the file alone


def parse_release(text: str) -> tuple[int, int, int] | None:
    match = RELEASE.match(text)
    return (int(match.group(1)), int(match.group(2)), int(match.group(3) or 0)) if match else None


def _channel(tree: SourceTree) -> tuple[str, str, str] | None:
    """(channel, evidence, file) from the toolchain file, or None."""
    for name in TOOLCHAIN_FILES:
        if not tree.has_file(name):
            continue
        text = tree.read_text(name)
        stripped = [line.strip() for line in text.splitlines()]
        if name == "rust-toolchain" and len([s for s in stripped if s]) == 1 and "=" not in text and "[" not in text:
            number = next(i for i, s in enumerate(stripped, start=1) if s)
            return stripped[number - 1], f"{name} line {number}", name
        data = tree.read_toml(name)
        table = data.get("toolchain")
        if not isinstance(table, dict):
            raise detect_error(f"{name} has no [toolchain] table.", f'Write [toolchain] and channel = "1.80" in {name}.')
        line = line_of(text, r"channel\s*=", after=r"\[toolchain\]")
        if "path" in table:
            path_line = line_of(text, r"path\s*=", after=r"\[toolchain\]")
            raise detect_error(f"{name} line {path_line} names a custom toolchain "
                               "directory (`path`).", "pack-it builds with a stable rustc: name a channel instead.",
                               exit_code=UNSUPPORTED)
        channel = table.get("channel")
        if channel is None:
            return None  # components or targets only: any stable
        if not isinstance(channel, str):
            raise detect_error(f"{name} line {line}: channel must be a string, not {channel!r}.",
                               f'Quote it: channel = "{channel}".')
        return channel, f"{name} line {line}", name
    return None


def request(tree: SourceTree, rust_version: str | None, rust_version_where: str, rust_version_file: str) -> Request:
    """The newest of the minimums the toolchain file and rust-version ask for."""
    asked: list[tuple[tuple[int, int, int], str, str, str]] = []
    found = _channel(tree)
    if found:
        channel, where, file = found
        channel = WITH_HOST.sub(r"\1", channel)
        if channel.startswith(("nightly", "beta")) or re.match(r"^stable-\d{4}-\d\d-\d\d$", channel):
            raise detect_error(f"{where} asks for the {channel} toolchain; pack-it builds with a stable rustc.",
                               f'Build on stable: channel = "stable" (or a version, e.g. "1.85") in {file}.',
                               exit_code=UNSUPPORTED)
        if channel != "stable":
            release = parse_release(channel)
            if release is None:
                raise detect_error(f"{where}: {channel!r} is not a Rust toolchain channel.",
                                   'Write channel = "stable" or a version such as "1.85" or "1.85.0".')
            asked.append((release, channel, f"{where} (channel {channel})", file))
    if rust_version is not None:
        release = parse_release(rust_version) or (
            (int(rust_version), 0, 0) if rust_version.isdigit() else None)
        if release is None:
            raise detect_error(f"{rust_version_where}: rust-version {rust_version!r} is not a Rust version.",
                               'Write it as rust-version = "1.80" (or "1.80.1").')
        asked.append((release, rust_version, f"{rust_version_where} (rust-version {rust_version})", rust_version_file))
    if not asked:
        return Request(None, "default", "default")
    release, version, evidence, file = max(asked, key=lambda a: a[0])
    return Request(version, evidence, file)
