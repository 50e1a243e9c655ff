"""Where a locked .deb is fetched from once the Debian archive has deleted it.

The archive keeps only the newest version of a package in a suite: at the next security or
point-release update of a locked package, its file is gone from every mirror. Retention
mirrors keep old files:

- `snapshot+URL` (and any URL on snapshot.debian.org): the snapshot.debian.org API, as
  Debian's reproducible-builds tools use it. /mr/binary/<pkg>/<version>/binfiles?fileinfo=1
  names the file's hash for each architecture, then /file/<hash> serves it;
- any other URL: a mirror with the Debian pool layout (aptly, Artifactory), <base>/<filename>.

Whatever serves a file, it is kept only if it has the lock's SHA256.
"""

from __future__ import annotations

import json
import urllib.parse
from pathlib import Path

from pack_it.errors import PackItError
from pack_it.lifecycle.config import list_setting
from pack_it.lifecycle.reporter import Reporter
from pack_it.lifecycle.stacks.debian import NotOnMirror, Package, WrongFile, _read_url, download

ENV = "PACK_IT_DEBIAN_RETENTION_MIRRORS"
KEY = "retention_mirrors"  # in the config's [debian]
DEFAULT = ["snapshot+https://snapshot.debian.org"]
SNAPSHOT_PREFIX = "snapshot+"
SNAPSHOT_HOST = "snapshot.debian.org"


def retention_mirrors() -> list[str]:
    """PACK_IT_DEBIAN_RETENTION_MIRRORS (space-separated), else the config file's list, else
    snapshot.debian.org."""
    return [m.rstrip("/") for m in list_setting("debian", KEY, ENV, DEFAULT)]


def is_snapshot(mirror: str) -> bool:
    return mirror.startswith(SNAPSHOT_PREFIX) or urllib.parse.urlsplit(mirror).hostname == SNAPSHOT_HOST


def snapshot_urls(base: str, package: Package) -> list[str]:
    """The URLs snapshot.debian.org gives for this package version on its architecture,
    asked through its machine-readable API (the lock's SHA256 then says which is the one)."""
    name = urllib.parse.quote(package.name, safe="")
    version = urllib.parse.quote(package.version, safe="")
    try:
        answer = json.loads(_read_url(f"{base}/mr/binary/{name}/{version}/binfiles?fileinfo=1"))
    except (PackItError, ValueError):  # unknown to snapshot (404), or not its API
        return []
    return [f"{base}/file/{r['hash']}" for r in answer.get("result", [])
            if r.get("architecture") == package.arch and r.get("hash")]


def candidate_urls(mirror: str, package: Package) -> list[str]:
    if is_snapshot(mirror):
        return snapshot_urls(mirror.removeprefix(SNAPSHOT_PREFIX), package)
    return [f"{mirror}/{package.filename}"]


def fetch_locked(package: Package, dest: Path, reporter: Reporter, staging: Path | None = None) -> bool:
    """Fetches a locked .deb to `dest`: from its archive, else, if the archive no longer has
    it, from the retention mirrors in order. False if no source had the file with the lock's
    SHA256 (what each said is verbose output). Anything but a missing file on the archive
    (the network down, wrong bytes) is an error, as before: only a deleted version is looked
    for elsewhere, never a tampered one."""
    try:
        download(package.url(), dest, package.sha256, staging)
        return True
    except NotOnMirror as e:
        reporter.detail(e.message)
    for mirror in retention_mirrors():
        urls = candidate_urls(mirror, package)
        if not urls:
            reporter.detail(f"{mirror} has no {package.name} {package.version}")
        for url in urls:
            try:
                download(url, dest, package.sha256, staging)
                return True
            except WrongFile as e:
                # A retention mirror is trusted for nothing: wrong bytes are refused, the next one is asked.
                reporter.warn(e.message + " Refused; trying the next source.")
            except PackItError as e:
                reporter.detail(e.message)
    return False
