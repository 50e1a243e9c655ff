#!/usr/bin/env python3
"""Native-libraries benchmark: what the soname -> Debian package step costs.

    python bench/native_bench.py [--release debian12] [--runs 3] [--scan DIR ...] [--json]

- snapshot: a fresh cache each run; InRelease verified, Packages.xz and Contents-amd64.gz of
  every suite downloaded and checked (network: the Debian archive);
- contents: deriving the soname index from the downloaded Contents (what the first
  resolution after a snapshot pays), and its size on disk;
- packages: parsing the snapshot's Packages indices (paid once per new set of sonames);
- warm: the step on a rebuild (the recorded resolution, no index read);
- scan: reading every file of each --scan DIR for ELF NEEDED (what a freshly built layer of
  that size costs; default: this checkout's node_modules-free tree).

Medians of --runs. Standard library plus pack-it itself (run from the checkout).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pack_it.lifecycle.cache import Cache  # noqa: E402
from pack_it.lifecycle.native import archive, scan  # noqa: E402
from pack_it.lifecycle.stacks.definitions import releases  # noqa: E402


def _timed(fn):
    started = time.monotonic()
    result = fn()
    return time.monotonic() - started, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--release", default="debian12")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--scan", action="append", type=Path, default=[])
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    release = releases()[args.release]
    times: dict[str, list[float]] = {"snapshot": [], "contents": [], "packages": [], "warm": []}
    sizes: dict[str, int] = {}
    for _ in range(args.runs):
        with tempfile.TemporaryDirectory() as tmp:
            cache = Cache(Path(tmp))
            t, snap = _timed(lambda: archive.take_snapshot(cache, release, archive.Reporter()))
            times["snapshot"].append(t)
            t, index = _timed(lambda: archive.soname_index(cache, snap, archive.Reporter()))
            times["contents"].append(t)
            t, _ = _timed(lambda: archive.package_index(cache, snap))
            times["packages"].append(t)
            t, _ = _timed(lambda: archive.soname_index(cache, archive.snapshot(cache, release, archive.Reporter()),
                                                       archive.Reporter()))
            times["warm"].append(t)
            sizes = {
                "contents_gz": sum(cache.blob_path("sha256:" + s.contents).stat().st_size for s in snap.suites if s.contents),
                "packages_xz": sum(cache.blob_path("sha256:" + s.packages).stat().st_size for s in snap.suites),
                "soname_index": sum(p.stat().st_size for p in (cache.root / "native").glob("sonames-*.json")),
                "sonames": len(index),
            }
    scans = {}
    for directory in args.scan or [Path(__file__).resolve().parent.parent]:
        runs = []
        found = None
        for _ in range(args.runs):
            t, found = _timed(lambda: scan.scan_directory(directory, "/x"))
            runs.append(t)
        files = sum(1 for p in directory.rglob("*") if p.is_file())
        scans[str(directory)] = {"files": files, "elf": len(found.elves) if found else 0,
                                 "median_s": statistics.median(runs)}
    result = {"release": args.release, "runs": args.runs,
              "median_s": {k: statistics.median(v) for k, v in times.items()}, "sizes": sizes, "scan": scans}
    if args.json:
        print(json.dumps(result, indent=1))
        return
    print(f"native libraries, Debian {args.release}, medians of {args.runs} runs")
    for k, v in result["median_s"].items():
        print(f"  {k:<10} {v:7.2f} s")
    print(f"  Contents-amd64.gz {sizes['contents_gz'] / 1e6:.1f} MB, Packages.xz {sizes['packages_xz'] / 1e6:.1f} MB, "
          f"soname index {sizes['soname_index'] / 1e3:.0f} kB ({sizes['sonames']} sonames)")
    for directory, s in scans.items():
        print(f"  scan {directory}: {s['files']} files, {s['elf']} ELF, {s['median_s'] * 1000:.0f} ms")


if __name__ == "__main__":
    main()
