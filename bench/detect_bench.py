#!/usr/bin/env python3
"""How long `pack-it detect APP --json` takes per sample app, through the real CLI (Python
start-up included, as a user sees it): the median [min-max] of several runs. Detection reads
no cache, so every run does the whole detect phase.

    python bench/detect_bench.py [--apps go-hello,node-express] [--runs 7] [--json]

Standard library only. See bench/README.md.
"""

from __future__ import annotations

import argparse
import json
import sys
import time

from common import SAMPLE_APPS, app_list, cell, pack_it_command, progress, run, summary  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--apps", type=lambda v: app_list(v, parser), default=None,
                        help="comma-separated sample apps (default: all)")
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    pack_it = pack_it_command()
    apps = args.apps or sorted(p.name for p in SAMPLE_APPS.iterdir() if (p / "pack-it-test.json").is_file())
    results = {}
    for app in apps:
        times = []
        for n in range(args.runs):
            progress(f"{app}: detect {n + 1}/{args.runs}")
            started = time.perf_counter()
            run(pack_it + ["detect", str(SAMPLE_APPS / app), "--json"], f"detect {app}")
            times.append(time.perf_counter() - started)
        results[app] = times
    if args.json:
        print(json.dumps({app: summary(t) for app, t in results.items()}, indent=2))
    else:
        print(f"{'app':<22} detect (median [min-max], {args.runs} runs)")
        for app, times in results.items():
            print(f"{app:<22} {cell(times)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
