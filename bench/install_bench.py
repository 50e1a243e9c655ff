#!/usr/bin/env python3
"""Dependency-install benchmark for pack-it: uv against pip (pack-it's fallback installer),
each with a cold and a warm cache, installing each Python sample app's dependencies into an
empty --target directory for the app's target Python, with the flags pack-it uses.

    python bench/install_bench.py [--apps python-flask,python-django] [--runs 3] [--json]

The requirements file comes from pack-it itself (pack_it.packs.python.dependencies.requirements),
so a lock becomes the same hashed pins pack-it installs. Standard library plus the installed
pack-it (run it with the interpreter pack-it is installed in). See bench/README.md.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from pack_it.detectors.source import SourceTree
from pack_it.packs.python import dependencies

from common import SAMPLE_APPS, CommandFailed, app_list, cell, detect, pack_it_command, progress, remove_tree, run, summary  # noqa: E402

PIP_PLATFORM = "manylinux_2_36_x86_64"  # pip's spelling of dependencies.PLATFORM, as pack-it passes it
GLIBC_MINOR = 36
LEGACY_MANYLINUX = {17: "manylinux2014", 12: "manylinux2010", 5: "manylinux1"}  # PEP 600 aliases
VARIANTS = ("uv_cold", "pip_cold", "uv_warm", "pip_warm")


@dataclass
class AppPlan:
    app: str
    python: str  # the target Python, X.Y
    kind: str  # details.python.install.kind: requirements, uv.lock, poetry.lock, Pipfile.lock...
    requirements: Path
    locked: bool  # hashed pins: installed with --no-deps --require-hashes
    added: list[str]  # servers pack-it adds, as pins (gunicorn==27.0.1)


@dataclass
class AppResult:
    plan: AppPlan
    times: dict[str, list[float]] = field(default_factory=lambda: {v: [] for v in VARIANTS})
    cache_bytes: dict[str, int] = field(default_factory=dict)  # each tool's cache after the cold runs


# Running tools --------------------------------------------------------------------------


def uv_binary() -> str:
    try:
        from uv import find_uv_bin
        return find_uv_bin()
    except (ImportError, FileNotFoundError):
        sys.exit(f"error: the `uv` package is not installed for {sys.executable} (pack-it depends on it).")


def host_minor() -> str:
    return f"{sys.version_info.major}.{sys.version_info.minor}"


# The requirements file, as pack-it makes it ---------------------------------------------

class UvCache:
    """What dependencies.uv_env() reads of a BuildContext: its uv cache dir."""

    def __init__(self, cache: Path) -> None:
        self.cache = cache

    def cache_dir(self, name: str) -> Path:
        return self.cache


class RequirementsContext(UvCache):
    """What dependencies.requirements() uses of a BuildContext: tree, work, run, cache_dir."""

    def __init__(self, app_dir: Path, work: Path) -> None:
        super().__init__(work / "uv-cache")
        self.tree = SourceTree(app_dir)
        self.work = work

    def run(self, argv: list[str], env: dict[str, str], cwd: Path, what: str) -> None:
        proc = subprocess.run(argv, cwd=cwd, env={**os.environ, **env}, capture_output=True, text=True)
        if proc.returncode != 0:
            raise CommandFailed(f"{what} failed (exit code {proc.returncode}): {' '.join(argv)}\n"
                                f"--- stderr ---\n{proc.stderr.rstrip()}")


def has_dependencies(plan: dict | None) -> bool:
    python = (plan or {}).get("details", {}).get("python")
    return bool(python and (python.get("dependencies") or python.get("added")))


def app_plan(pack_it: list[str], uv: str, app: str, work: Path) -> AppPlan:
    detected = detect(pack_it, SAMPLE_APPS / app)
    if not has_dependencies(detected):
        raise CommandFailed(f"{app}: `pack-it detect` finds no Python dependencies to install.")
    details = detected["details"]["python"]
    work.mkdir(parents=True)
    reqs, locked = dependencies.requirements(RequirementsContext(SAMPLE_APPS / app, work), details["install"], uv)
    if reqs is None:
        raise CommandFailed(f"{app}: install kind {details['install']['kind']!r} has no requirements file.")
    return AppPlan(app, details["python"], details["install"]["kind"], Path(reqs), locked,
                   [dependencies.SERVERS[a] for a in details["added"]])


# The install commands, as dependencies.install() runs them ------------------------------

def uv_steps(uv: str, plan: AppPlan, target: Path, cache: Path) -> tuple[list[list[str]], dict[str, str]]:
    base = [uv, "pip", "install", "--quiet", "--target", str(target), "--python-version", plan.python,
            "--python-platform", dependencies.PLATFORM]
    if plan.python != host_minor():
        base += ["--only-binary", ":all:"]
    extra = ["--no-deps", "--require-hashes"] if plan.locked else []
    steps = [[*base, *extra, "-r", str(plan.requirements)]]
    steps += [[*base, *plan.added]] if plan.added else []
    return steps, {**os.environ, **dependencies.uv_env(UvCache(cache))}


def pip_platforms(exact: bool) -> list[str]:
    """pip takes `--platform manylinux_2_36_x86_64` literally: it does not widen it to the
    older manylinux tags (uv and pip's own host detection do), so a compiled wheel tagged
    manylinux_2_17 (MarkupSafe, pydantic-core) is not found. Unless `exact`, every tag a
    glibc 2.36 x86_64 system accepts is passed, newest first, as one --platform each."""
    if exact:
        return [PIP_PLATFORM]
    tags = []
    for minor in range(GLIBC_MINOR, 4, -1):
        tags.append(f"manylinux_2_{minor}_x86_64")
        if minor in LEGACY_MANYLINUX:
            tags.append(f"{LEGACY_MANYLINUX[minor]}_x86_64")
    return tags


def pip_steps(plan: AppPlan, target: Path, cache: Path,
              exact_platform: bool) -> tuple[list[list[str]], dict[str, str]]:
    platforms = [arg for tag in pip_platforms(exact_platform) for arg in ("--platform", tag)]
    pip = [sys.executable, "-m", "pip", "install", "--no-input", "--cache-dir", str(cache),
           "--target", str(target), "--python-version", plan.python, *platforms, "--only-binary", ":all:"]
    steps = [[*pip, "--no-deps", "--require-hashes", "-r", str(plan.requirements)] if plan.locked
             else [*pip, "-r", str(plan.requirements)]]
    steps += [[*pip, *plan.added]] if plan.added else []
    # The self-check would hit PyPI on every fresh cache dir; pack-it's pip keeps one cache.
    return steps, {**os.environ, "PIP_DISABLE_PIP_VERSION_CHECK": "1"}


def timed_install(steps: list[list[str]], env: dict[str, str], what: str) -> float:
    started = time.perf_counter()
    for argv in steps:
        run(argv, what, env)
    return time.perf_counter() - started


# Benchmark ------------------------------------------------------------------------------


def tree_bytes(path: Path) -> int:
    return sum(p.lstat().st_size for p in path.rglob("*") if p.is_file()) if path.exists() else 0


def one_install(uv: str, plan: AppPlan, variant: str, cache: Path, scratch: Path, label: str,
                exact_platform: bool) -> float:
    target = scratch / "target"
    remove_tree(target)
    target.mkdir()
    tool = variant.split("_")[0]
    steps, env = (uv_steps(uv, plan, target, cache) if tool == "uv"
                  else pip_steps(plan, target, cache, exact_platform))
    seconds = timed_install(steps, env, f"{plan.app}: {tool} install ({label})")
    remove_tree(target)
    return seconds


def bench_app(uv: str, plan: AppPlan, runs: int, scratch: Path, exact_platform: bool) -> AppResult:
    """Cold runs first, uv and pip in turn, each with a fresh cache; then warm runs, in turn,
    on the last cold run's cache."""
    result = AppResult(plan)
    caches: dict[str, Path] = {}
    for phase in ("cold", "warm"):
        for i in range(1, runs + 1):
            for tool in ("uv", "pip"):
                variant = f"{tool}_{phase}"
                if phase == "cold":
                    if tool in caches:
                        remove_tree(caches[tool])
                    caches[tool] = scratch / f"{tool}-cache-{i}"
                seconds = one_install(uv, plan, variant, caches[tool], scratch, f"{phase} {i}", exact_platform)
                result.times[variant].append(seconds)
                progress(f"  {plan.app}: {tool} {phase} {i}/{runs}: {seconds:.2f}s")
        if phase == "cold":
            result.cache_bytes = {tool: tree_bytes(cache) for tool, cache in caches.items()}
            if result.cache_bytes["pip"] == 0:
                progress(f"  {plan.app}: warning: pip's cache stayed empty (the index's responses carry no "
                         "caching headers?), so pip warm is another cold install")
    return result


# Reporting ------------------------------------------------------------------------------


def ratio(r: AppResult, phase: str) -> float:
    return statistics.median(r.times[f"pip_{phase}"]) / statistics.median(r.times[f"uv_{phase}"])


def table(results: list[AppResult]) -> str:
    header = ("app", "uv cold s", "pip cold s", "pip/uv cold", "uv warm s", "pip warm s", "pip/uv warm")
    rows = [(r.plan.app, cell(r.times["uv_cold"]), cell(r.times["pip_cold"]), f"{ratio(r, 'cold'):.2f}",
             cell(r.times["uv_warm"]), cell(r.times["pip_warm"]), f"{ratio(r, 'warm'):.2f}") for r in results]
    widths = [max(len(row[c]) for row in [header, *rows]) for c in range(len(header))]

    def line(row):
        return "  ".join(v.ljust(w) if c == 0 else v.rjust(w) for c, (v, w) in enumerate(zip(row, widths)))

    note = ("times: median [min-max] seconds, wall clock of the install commands into an empty --target; "
            "ratios: pip median / uv median")
    return "\n".join([line(header), "  ".join("-" * w for w in widths), *map(line, rows), note])


def as_json(results: list[AppResult], runs: int, uv: str, exact_platform: bool) -> str:
    return json.dumps({
        "runs": runs, "unit": "seconds", "host_python": host_minor(),
        "uv_platform": dependencies.PLATFORM, "pip_platforms": pip_platforms(exact_platform),
        "uv": run([uv, "--version"], "uv --version").stdout.strip(),
        "pip": run([sys.executable, "-m", "pip", "--version"], "pip --version").stdout.split(" from ")[0],
        "apps": [{
            "app": r.plan.app, "python": r.plan.python, "install_kind": r.plan.kind,
            "locked": r.plan.locked, "added": r.plan.added,
            "uv_only_binary": r.plan.python != host_minor(), "cache_bytes": r.cache_bytes,
            **{v: summary(r.times[v]) for v in VARIANTS},
            "pip_over_uv_cold": ratio(r, "cold"), "pip_over_uv_warm": ratio(r, "warm"),
        } for r in results],
    }, indent=2)


# Command line ---------------------------------------------------------------------------

def available_apps(pack_it: list[str]) -> list[str]:
    """The Python sample apps with dependencies to install (python-worker has none)."""
    return sorted(d.name for d in SAMPLE_APPS.glob("python-*")
                  if d.is_dir() and has_dependencies(detect(pack_it, d)))


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Time uv against pip installing the Python sample apps' dependencies.")
    parser.add_argument("--apps", help="comma-separated sample apps; default: every python-* app with dependencies")
    parser.add_argument("--runs", type=int, default=3, help="runs per app and per tool, cold and warm each (default 3)")
    parser.add_argument("--pip-exact-platform", action="store_true",
                        help=f"give pip only `--platform {PIP_PLATFORM}` "
                             "(fails on compiled wheels tagged for an older glibc)")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON instead of a table")
    args = parser.parse_args(argv)
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    if args.apps:
        args.apps = app_list(args.apps, parser)
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    pack_it = pack_it_command()
    uv = uv_binary()
    apps = args.apps or available_apps(pack_it)
    if not apps:
        progress(f"error: no python-* sample app in {SAMPLE_APPS} has dependencies.")
        return 1
    progress(f"benchmarking {', '.join(apps)}: {args.runs} cold and {args.runs} warm installs each with uv and pip "
             f"(host Python {host_minor()})")
    results = []
    for app in apps:
        scratch = Path(tempfile.mkdtemp(prefix=f"pack-it-install-bench-{app}-"))
        try:
            plan = app_plan(pack_it, uv, app, scratch / "work")
            progress(f"  {app}: Python {plan.python}, {plan.kind}{' (hashed)' if plan.locked else ''}"
                     f"{', + ' + ' '.join(plan.added) if plan.added else ''}")
            results.append(bench_app(uv, plan, args.runs, scratch, args.pip_exact_platform))
        except CommandFailed as e:
            progress(f"error: {e}")
            return 1
        finally:
            remove_tree(scratch)
    print(as_json(results, args.runs, uv, args.pip_exact_platform) if args.json else table(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
