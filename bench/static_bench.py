#!/usr/bin/env python3
"""Static-site benchmark: the size of the static-vite-react image, and what a one-line change
to a page costs beyond the front-end build itself.

    python bench/static_bench.py [--runs 5] [--checkout] [--json]

The app is copied to a temp directory (sample_apps/ is never modified) and built once cold;
then each run changes one line of src/main.jsx (the page's heading) and rebuilds with the same
cache. For each rebuild it records the wall time of `pack-it build` (Python start-up included)
and the time of the build script itself, as pack-it reports it (`the build script: 3.1s`, every step's with -v,
from the time the package manager's `run build` took); the difference is pack-it's own cost
(copying the source, hard-linking node_modules, the site layer, compressing, writing the
tarball). A no-op rebuild (nothing changed) is timed too: the floor any rebuild pays (Python
start-up, detect, layer reuse, export). `--checkout` runs this checkout's pack-it (python -m
pack_it, its modules compiled first, as an install has them) instead of the one on PATH.
Prints medians [min-max] of the runs.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import SAMPLE_APPS, ROOT, pack_it_command, progress, run, summary  # noqa: E402

APP = "static-vite-react"
PAGE = "src/main.jsx"  # the one-line change: the page's heading
HEADING = "Hello from static-vite-react!"
BUILD_SCRIPT = re.compile(r"the build script: ([0-9.]+)s")
MB = 1_000_000  # the CLI's sizes are decimal too
LIMIT_MB, OVERHEAD_LIMIT = 15.0, 0.5  # issue 11's targets


def _size(pack_it: list[str], image: Path, env: dict[str, str]) -> tuple[int, int]:
    info = json.loads(run(pack_it + ["inspect", "--json", f"tar:{image}"], "pack-it inspect", env).stdout)
    layers = info["layers"]
    return sum(l["uncompressed_size"] for l in layers), sum(l["size"] for l in layers)


def _build(pack_it: list[str], app: Path, cache: Path, image: Path, env: dict[str, str]) -> tuple[float, float | None]:
    started = time.perf_counter()
    proc = run(pack_it + ["build", str(app), "-t", APP, "-v", "--output", f"tar:{image}", "--cache-dir", str(cache)],
               "pack-it build", env)
    elapsed = time.perf_counter() - started
    found = BUILD_SCRIPT.search(proc.stdout + proc.stderr)
    return elapsed, float(found.group(1)) if found else None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--checkout", action="store_true", help="run this checkout's pack-it (python -m pack_it)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    env = dict(os.environ)
    if args.checkout:
        pack_it = [sys.executable, "-m", "pack_it"]
        env["PYTHONPATH"] = str(ROOT)
        # As an installed wheel has them (pip compiles on install): with PYTHONDONTWRITEBYTECODE
        # set, a checkout would otherwise compile every module on every run.
        run([sys.executable, "-m", "compileall", "-q", str(ROOT / "pack_it")], "compileall", env)
    else:
        pack_it = pack_it_command()
    with tempfile.TemporaryDirectory(prefix="static-bench-") as tmp:
        work = Path(tmp)
        app = work / APP
        shutil.copytree(SAMPLE_APPS / APP, app)
        cache, image = work / "cache", work / "img.tar"
        progress(f"{APP}: cold build")
        cold, cold_script = _build(pack_it, app, cache, image, env)
        uncompressed, compressed = _size(pack_it, image, env)
        noops = []
        for i in range(args.runs):
            progress(f"{APP}: no-op rebuild {i + 1}/{args.runs}")
            noops.append(_build(pack_it, app, cache, image, env)[0])
        rebuilds, scripts = [], []
        original = (app / PAGE).read_text()
        for i in range(args.runs):
            (app / PAGE).write_text(original.replace(HEADING, f"{HEADING} (change {i})"))
            progress(f"{APP}: one-line change {i + 1}/{args.runs}")
            elapsed, script = _build(pack_it, app, cache, image, env)
            if script is None:
                sys.exit("error: pack-it did not report the build script's time (`-v` prints every step's)")
            rebuilds.append(elapsed)
            scripts.append(script)
    overheads = [r - s for r, s in zip(rebuilds, scripts)]
    result = {"app": APP, "uncompressed_mb": uncompressed / MB, "compressed_mb": compressed / MB,
              "cold_s": cold, "cold_build_script_s": cold_script, "rebuild_s": summary(rebuilds),
              "build_script_s": summary(scripts), "overhead_s": summary(overheads), "noop_s": summary(noops)}
    if args.json:
        print(json.dumps(result, indent=2))
        return
    fmt = lambda xs: f"{statistics.median(xs):.2f} s [{min(xs):.2f}-{max(xs):.2f}]"  # noqa: E731
    print(f"{APP} image: {uncompressed / MB:.1f} MB uncompressed ({compressed / MB:.1f} MB compressed); "
          f"target <= {LIMIT_MB:.0f} MB")
    print(f"cold build: {cold:.1f} s (build script {cold_script} s); no-op rebuild {fmt(noops)} (the floor: "
          "start-up, detect, reuse, export)")
    print(f"one-line change, {args.runs} runs: rebuild {fmt(rebuilds)}, build script {fmt(scripts)}, "
          f"pack-it's own {fmt(overheads)}; target <= {OVERHEAD_LIMIT} s")


if __name__ == "__main__":
    main()
