"""The versions index: every runtime release pack-it knows, with its checksum, shipped inside
pack-it (as Heroku's and Paketo's buildpacks ship their inventories).

Detection resolves "22", "lts/*" or "^20" against this index, never against what a registry
serves on the day: the same source, pack-it version and index give the same plan on any
machine, any day. The plan names the index it used (date and digest). `pack-it versions
update` refreshes it explicitly into the cache; a refreshed index is used from then on
unless a newer pack-it ships a newer one.

    lifecycle/versions.json          the shipped index
    <cache>/versions/index.json      a refreshed one

The index is data: {"format": 1, "date": "YYYY-MM-DD", "runtimes": {<runtime>: {<version>:
{<fact>: <value>}}}}. Which runtimes it holds, and what a release's facts mean (an npm
integrity, a sha256), is the business of the pack that provides each runtime; the lifecycle
only loads, names and stores the index.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import re
from dataclasses import dataclass, field
from functools import cache, cached_property
from pathlib import Path
from typing import Callable, Mapping

from pack_it.errors import INVALID_INPUT, PackItError
from pack_it.lifecycle.cache import atomic_file

SHIPPED = Path(__file__).parent / "versions.json"
FORMAT = 1
Releases = Mapping[str, Mapping[str, str]]  # version -> facts (checksums, ...)


@dataclass(frozen=True)
class VersionsIndex:
    """An index, read lazily: its date and digest come from the file's bytes at once (a no-op
    rebuild needs only them, to find its cached plan), its releases are parsed and checked on
    first use, one runtime at a time."""

    date: str  # YYYY-MM-DD: when it was made
    digest: str  # sha256:<hex> of the file
    origin: str  # "shipped" or the refreshed file's path
    raw: bytes = field(repr=False, compare=False)
    path: Path = field(repr=False, compare=False)

    @cached_property
    def _data(self) -> dict:
        try:
            data = json.loads(self.raw)
        except (ValueError, RecursionError):
            raise _index_error(self.path, "not JSON") from None
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise _index_error(self.path, f"format is not {FORMAT}")
        if data.get("date") != self.date or not isinstance(data.get("runtimes"), dict):
            raise _index_error(self.path, "no date or runtimes")
        return data["runtimes"]

    @property
    def runtimes(self) -> Mapping[str, Releases]:
        return {name: self.releases(name) for name in self._data}

    def releases(self, runtime: str) -> Releases:
        if runtime in self._checked:
            return self._checked[runtime]
        releases = self._data.get(runtime, {})
        if not isinstance(releases, dict) or not all(
                isinstance(v, str) and isinstance(facts, dict)
                and all(isinstance(k, str) and isinstance(x, str) for k, x in facts.items())
                for v, facts in releases.items()):
            raise _index_error(self.path, f"{runtime!r} is not a map of versions to facts")
        self._checked[runtime] = releases
        return releases

    @cached_property
    def _checked(self) -> dict[str, Releases]:
        return {}

    def check(self) -> "VersionsIndex":
        """Every runtime parsed and checked now (an index about to be written or shown)."""
        self.runtimes  # noqa: B018  raises if any part is malformed
        return self

    def versions(self, runtime: str) -> list[str]:
        return list(self.releases(runtime))

    def to_json(self) -> dict:
        """What a plan records of the index it was made with."""
        return {"date": self.date, "digest": self.digest}


def _index_error(path: Path, reason: str) -> PackItError:
    return PackItError(f"{path} is not a pack-it versions index ({reason}).", exit_code=INVALID_INPUT,
                       phase="detect", hint="Delete it, or run `pack-it versions update` to write it anew.")


# update() writes the keys sorted, so "date" comes first; any other layout is parsed in full.
_DATE = re.compile(rb'\A\{\s*"date":\s*"(\d{4}-\d{2}-\d{2})",')


def parse(raw: bytes, path: Path, origin: str) -> VersionsIndex:
    """The index in `raw`; its date is read without parsing the rest when it leads the file."""
    digest = "sha256:" + hashlib.sha256(raw).hexdigest()
    if match := _DATE.match(raw):
        return VersionsIndex(match.group(1).decode(), digest, origin, raw, path)
    try:
        data = json.loads(raw)
    except (ValueError, RecursionError):
        raise _index_error(path, "not JSON") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise _index_error(path, f"format is not {FORMAT}")
    if not isinstance(data.get("date"), str) or not isinstance(data.get("runtimes"), dict):
        raise _index_error(path, "no date or runtimes")
    return VersionsIndex(data["date"], digest, origin, raw, path).check()


def refreshed_path(cache_root: Path) -> Path:
    return Path(cache_root) / "versions" / "index.json"


@cache
def shipped() -> VersionsIndex:
    """The index inside pack-it (read once a process: it cannot change under it)."""
    return parse(SHIPPED.read_bytes(), SHIPPED, "shipped")


def load(cache_root: Path | None) -> VersionsIndex:
    """The refreshed index in the cache when there is one at least as new as the shipped
    index, else the shipped one."""
    index = shipped()
    if cache_root is None:
        return index
    path = refreshed_path(cache_root)
    try:
        raw = path.read_bytes()
    except OSError:
        return index
    refreshed = parse(raw, path, str(path))
    return refreshed if refreshed.date >= index.date else index


def update(cache_root: Path, fetchers: Mapping[str, Callable[[], dict[str, dict[str, str]]]],
           into: Path | None = None, today: str | None = None) -> tuple[VersionsIndex, dict[str, tuple[int, int]]]:
    """Asks each runtime's fetcher for its current releases and writes a new index (into the
    cache, or `into`); runtimes without a fetcher keep the shipped releases. Returns the new
    index and, per runtime, (releases before, releases after)."""
    base = load(cache_root)
    runtimes: dict[str, Releases] = {name: dict(releases) for name, releases in base.runtimes.items()}
    counts = {}
    for name, fetch in fetchers.items():
        fresh = fetch()
        counts[name] = (len(runtimes.get(name, {})), len(fresh))
        runtimes[name] = fresh
    data = {"format": FORMAT, "date": today or datetime.date.today().isoformat(),
            "runtimes": {name: dict(sorted(r.items())) for name, r in sorted(runtimes.items())}}
    raw = (json.dumps(data, indent=0, sort_keys=True) + "\n").encode()
    path = into or refreshed_path(cache_root)
    with atomic_file(path) as f:
        f.write(raw)
    return parse(raw, path, str(path)).check(), counts
