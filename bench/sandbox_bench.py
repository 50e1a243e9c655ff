#!/usr/bin/env python3
"""The sandbox's cost (issue 10): what bubblewrap adds to one build step, and what assembling a
build root costs.

    python bench/sandbox_bench.py [--runs 20] [--release debian12] [--assemble-runs 3] [--cold]

- per step: the median wall time of `true` run as a build step in the sandbox on the build root
  (BuildContext.run's own command line, binds included) minus the median of the same `true` run
  as a plain subprocess; the target is at most 50 ms.
- build root: the median time to assemble it from the cached .debs into a fresh directory
  (the lock's packages read, checked and written), and its size on disk; with --cold the first
  run also downloads the .debs into an empty cache.

Needs pack-it importable (run from the checkout or an install) and bwrap. Prints medians.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pack_it.lifecycle.cache import Cache, default_cache_dir  # noqa: E402
from pack_it.lifecycle.sandbox import Sandbox, Step  # noqa: E402
from pack_it.lifecycle.stacks import buildroot  # noqa: E402


def _time(argv: list[str], env: dict[str, str], cwd: Path, cpu: list[float] | None = None) -> float:
    """Wall time of one run; its CPU time (user + system of the process tree) appended to
    `cpu`: on a loaded machine the wall time is mostly waiting for a core."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run(argv, env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT, check=True)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if cpu is not None:
        cpu.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    return wall


def step_cost(root: Path, runs: int) -> tuple[float, float, float, float]:
    with tempfile.TemporaryDirectory() as tmp:
        work, packs = Path(tmp, "work"), Path(tmp, "packs")
        work.mkdir(), packs.mkdir()
        box = Sandbox("bwrap", root, scratch=(work,), toolchain="pack-it")
        step = Step(["true"], box.base_env(), work, (work, packs))
        argv, env, cwd = box.command(step)
        plain_cpu: list[float] = []
        sandboxed_cpu: list[float] = []
        plain = statistics.median(_time(["/bin/true"], dict(os.environ), work, plain_cpu) for _ in range(runs))
        sandboxed = statistics.median(_time(argv, env, cwd, sandboxed_cpu) for _ in range(runs))
    return plain, sandboxed, statistics.median(plain_cpu), statistics.median(sandboxed_cpu)


def du(path: Path) -> int:
    total = 0
    for dirpath, _, files in os.walk(path):
        for name in files:
            p = os.path.join(dirpath, name)
            if not os.path.islink(p):
                total += os.lstat(p).st_blocks * 512
    return total


def assemble(release: str, cache: Cache, runs: int, cold: bool) -> tuple[list[float], int, float | None]:
    times = []
    size = 0
    cold_time = None
    saved = os.environ.get(buildroot.DIR_ENV)
    try:
        if cold:
            with tempfile.TemporaryDirectory(dir=cache.root.parent) as empty:
                os.environ.pop(buildroot.DIR_ENV, None)
                started = time.perf_counter()
                buildroot.ensure(release, Cache(Path(empty)))
                cold_time = time.perf_counter() - started
        for _ in range(runs):
            with tempfile.TemporaryDirectory(dir=cache.root) as target:
                os.environ[buildroot.DIR_ENV] = target
                started = time.perf_counter()
                made = buildroot.ensure(release, cache)
                times.append(time.perf_counter() - started)
                size = du(made)
    finally:
        if saved is None:
            os.environ.pop(buildroot.DIR_ENV, None)
        else:
            os.environ[buildroot.DIR_ENV] = saved
    return times, size, cold_time


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=20, help="sandboxed steps timed (default 20)")
    parser.add_argument("--release", default="debian12")
    parser.add_argument("--assemble-runs", type=int, default=3, help="build-root assemblies from cached .debs (default 3; 0 skips)")
    parser.add_argument("--cold", action="store_true", help="also one assembly into an empty cache, downloads included")
    parser.add_argument("--cache-dir", type=Path, default=None)
    args = parser.parse_args()
    if shutil.which("bwrap") is None:
        sys.exit("error: bwrap is not installed (apt-get install bubblewrap)")
    cache = Cache(args.cache_dir or default_cache_dir())
    root = buildroot.ensure(args.release, cache)
    plain, sandboxed, plain_cpu, sandboxed_cpu = step_cost(root, args.runs)
    print(f"step `true`, median of {args.runs}: wall plain {plain * 1000:.1f} ms, sandboxed {sandboxed * 1000:.1f} ms "
          f"(+{(sandboxed - plain) * 1000:.1f} ms per step); CPU plain {plain_cpu * 1000:.1f} ms, sandboxed "
          f"{sandboxed_cpu * 1000:.1f} ms (+{(sandboxed_cpu - plain_cpu) * 1000:.1f} ms); load average "
          f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    if args.assemble_runs or args.cold:
        times, size, cold_time = assemble(args.release, cache, args.assemble_runs, args.cold)
        if cold_time is not None:
            print(f"build root {args.release} cold (downloads included): {cold_time:.1f} s")
        if times:
            print(f"build root {args.release} from cached .debs, median of {len(times)}: {statistics.median(times):.1f} s, "
                  f"{size / 1e6:.0f} MB on disk")
    return 0


if __name__ == "__main__":
    sys.exit(main())
