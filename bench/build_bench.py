#!/usr/bin/env python3
"""Build-time benchmark for pack-it: cold build, no-op rebuild and one-line-change rebuild
of each sample app, timed through the real CLI (Python start-up included, as a user sees it),
plus the size of the image it makes.

    python bench/build_bench.py [--apps go-hello,go-cmd] [--runs 5] [--cold-runs 3] [--json]

Each app is copied to a temp directory first; sample_apps/ is never modified. Standard
library only. See bench/README.md.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import shutil
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from common import SAMPLE_APPS, CommandFailed, app_list, cell, detect, pack_it_command, progress, remove_tree, run, summary  # noqa: E402

MB = 1_000_000  # the CLI's sizes are decimal too

COMMENT_BY_SUFFIX = {
    ".go": "//",
    ".py": "#",
    ".js": "//", ".mjs": "//", ".cjs": "//", ".jsx": "//",
    ".ts": "//", ".mts": "//", ".cts": "//", ".tsx": "//",
}
SKIPPED_DIRS = {".git", ".pack-it", "node_modules", "vendor", ".venv", "venv", "__pycache__"}
PYTHON_MAINS = ("main.py", "app.py", "manage.py", "wsgi.py", "asgi.py", "server.py", "__main__.py")
NODE_MAINS = ("index.js", "server.js", "app.js", "main.js", "index.ts", "server.ts", "app.ts", "main.ts")


@dataclass
class AppResult:
    app: str
    source_file: str
    cold: list[float] = field(default_factory=list)
    noop: list[float] = field(default_factory=list)
    change: list[float] = field(default_factory=list)
    uncompressed_bytes: int = 0
    compressed_bytes: int = 0


# Running pack-it ------------------------------------------------------------------------


# Extra `pack-it build` arguments (--build-args), e.g. "--sandbox none --toolchain host" to
# measure the same code with and without the sandbox: issue 10's before and after.
BUILD_ARGS: list[str] = []


def timed_build(pack_it: list[str], app_dir: Path, cache: Path, out: Path, what: str) -> float:
    argv = pack_it + ["build", str(app_dir), "-t", app_dir.name, "-q",
                      "--output", f"tar:{out}", "--cache-dir", str(cache), *BUILD_ARGS]
    started = time.perf_counter()
    run(argv, what)
    return time.perf_counter() - started


def image_sizes(pack_it: list[str], image_tar: Path) -> tuple[int, int]:
    """(uncompressed, compressed) bytes, summed over the image's layers."""
    info = json.loads(run(pack_it + ["inspect", "--json", f"tar:{image_tar}"], "pack-it inspect").stdout)
    layers = info["layers"]
    return sum(l["uncompressed_size"] for l in layers), sum(l["size"] for l in layers)


# Choosing apps and the file to change ---------------------------------------------------

def available_apps(pack_it: list[str]) -> list[str]:
    return sorted(d.name for d in SAMPLE_APPS.iterdir() if d.is_dir() and detect(pack_it, d) is not None)


def source_files(app_dir: Path, suffixes: tuple[str, ...]) -> list[Path]:
    found = []
    for dirpath, dirnames, filenames in os.walk(app_dir):
        dirnames[:] = sorted(d for d in dirnames if d not in SKIPPED_DIRS and not d.startswith("."))
        found += [Path(dirpath) / f for f in sorted(filenames) if f.endswith(suffixes)]
    return found


def go_main_file(app_dir: Path, plan: dict) -> Path | None:
    """A file of the main package pack-it builds (details.go.main), main.go first."""
    main_dir = app_dir / plan.get("details", {}).get("go", {}).get("main", ".")
    candidates = sorted(main_dir.glob("*.go"), key=lambda p: (p.name != "main.go", p.name))
    for path in candidates:
        if path.name.endswith("_test.go"):
            continue
        if any(line.split()[:2] == ["package", "main"] for line in path.read_text(errors="replace").splitlines()):
            return path
    return None


def node_main_file(app_dir: Path) -> Path | None:
    package_json = app_dir / "package.json"
    if package_json.is_file():
        try:
            main = json.loads(package_json.read_text()).get("main")
        except (ValueError, AttributeError):
            main = None
        if isinstance(main, str) and (app_dir / main).is_file():
            return app_dir / main
    return next((app_dir / n for n in NODE_MAINS if (app_dir / n).is_file()), None)


def main_source_file(app_dir: Path, plan: dict) -> Path:
    """The app's main source file: the one a one-line change is made to."""
    language = plan.get("language", "")
    chosen = None
    if language == "go":
        chosen = go_main_file(app_dir, plan)
    elif language == "python":
        chosen = next((app_dir / n for n in PYTHON_MAINS if (app_dir / n).is_file()), None)
    elif language in ("node", "nodejs", "javascript", "typescript"):
        chosen = node_main_file(app_dir)
    if chosen is None:  # the default process's source, if it is code; else any source file
        sources = [p.get("source", "") for p in plan.get("processes", []) if p.get("default")]
        chosen = next((app_dir / s for s in sources if Path(s).suffix in COMMENT_BY_SUFFIX
                       and (app_dir / s).is_file()), None)
    if chosen is None:
        files = source_files(app_dir, tuple(COMMENT_BY_SUFFIX))
        if not files:
            raise CommandFailed(f"{app_dir.name}: no source file to change ({', '.join(COMMENT_BY_SUFFIX)}).")
        chosen = files[0]
    return chosen


def change_one_line(path: Path, original: str, i: int) -> None:
    """The original text plus one comment line that differs from every other run's."""
    comment = COMMENT_BY_SUFFIX[path.suffix]
    text = original if original.endswith("\n") or not original else original + "\n"
    path.write_text(f"{text}{comment} bench change {i} {time.time_ns()}\n")


# Benchmark ------------------------------------------------------------------------------


def bench_app(pack_it: list[str], app: str, runs: int, cold_runs: int, scratch: Path) -> AppResult:
    app_dir = scratch / "src" / app
    shutil.copytree(SAMPLE_APPS / app, app_dir, symlinks=True)
    plan = detect(pack_it, app_dir)
    if plan is None:
        raise CommandFailed(f"{app}: `pack-it detect` does not accept it.")
    source = main_source_file(app_dir, plan)
    result = AppResult(app, str(source.relative_to(app_dir)))
    image = scratch / "img.tar"

    cache = None
    for i in range(1, cold_runs + 1):
        if cache is not None:
            remove_tree(cache)
        cache = scratch / f"cache-cold-{i}"  # a fresh, empty cache dir every cold run
        result.cold.append(timed_build(pack_it, app_dir, cache, image, f"{app}: cold build {i}"))
        progress(f"  {app}: cold {i}/{cold_runs}: {result.cold[-1]:.2f}s")
    result.uncompressed_bytes, result.compressed_bytes = image_sizes(pack_it, image)

    for i in range(1, runs + 1):  # same cache as the last cold build, nothing changed
        result.noop.append(timed_build(pack_it, app_dir, cache, image, f"{app}: no-op rebuild {i}"))
        progress(f"  {app}: no-op {i}/{runs}: {result.noop[-1]:.2f}s")

    original = source.read_text()
    try:
        for i in range(1, runs + 1):
            change_one_line(source, original, i)
            result.change.append(timed_build(pack_it, app_dir, cache, image, f"{app}: one-line-change rebuild {i}"))
            progress(f"  {app}: one-line change {i}/{runs} ({result.source_file}): {result.change[-1]:.2f}s")
    finally:
        source.write_text(original)
    return result


# Reporting ------------------------------------------------------------------------------


def ratio(r: AppResult) -> float:
    return statistics.median(r.noop) / statistics.median(r.cold)


def table(results: list[AppResult]) -> str:
    header = ("app", "cold s", "no-op s", "1-line change s", "MB uncompr.", "MB compr.", "no-op/cold")
    rows = [(r.app, cell(r.cold), cell(r.noop), cell(r.change), f"{r.uncompressed_bytes / MB:.2f}",
             f"{r.compressed_bytes / MB:.2f}", f"{ratio(r):.3f}") for r in results]
    widths = [max(len(row[c]) for row in [header, *rows]) for c in range(len(header))]

    def line(row):
        return "  ".join(v.ljust(w) if c == 0 else v.rjust(w) for c, (v, w) in enumerate(zip(row, widths)))

    note = "times: median [min-max] seconds, wall clock of `pack-it build -q`; sizes: MB (10^6 bytes) of the layers"
    return "\n".join([line(header), "  ".join("-" * w for w in widths), *map(line, rows), note])


def as_json(results: list[AppResult], runs: int, cold_runs: int) -> str:
    return json.dumps({
        "runs": runs, "cold_runs": cold_runs, "unit": "seconds",
        "apps": [{
            "app": r.app, "changed_file": r.source_file,
            "cold": summary(r.cold), "noop": summary(r.noop), "one_line_change": summary(r.change),
            "noop_over_cold": ratio(r),
            "uncompressed_bytes": r.uncompressed_bytes, "compressed_bytes": r.compressed_bytes,
        } for r in results],
    }, indent=2)


# Command line ---------------------------------------------------------------------------

def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Time pack-it builds (cold, no-op, one-line change) of the sample apps.")
    parser.add_argument("--apps", help="comma-separated sample apps; default: every one `pack-it detect` accepts")
    parser.add_argument("--runs", type=int, default=5, help="no-op and one-line-change runs per app (default 5)")
    parser.add_argument("--cold-runs", type=int, default=3, help="cold builds per app, each with an empty cache (default 3)")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON instead of a table")
    parser.add_argument("--build-args", default="", help='extra `pack-it build` arguments, e.g. "--sandbox none --toolchain host"')
    args = parser.parse_args(argv)
    if args.runs < 1 or args.cold_runs < 1:
        parser.error("--runs and --cold-runs must be at least 1")
    if args.apps:
        args.apps = app_list(args.apps, parser)
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    BUILD_ARGS[:] = shlex.split(args.build_args)
    pack_it = pack_it_command()
    apps = args.apps or available_apps(pack_it)
    if not apps:
        progress(f"error: no sample app in {SAMPLE_APPS} is accepted by `pack-it detect`.")
        return 1
    progress(f"benchmarking {', '.join(apps)}: {args.cold_runs} cold, {args.runs} no-op, {args.runs} one-line-change runs each"
             + (f", with {args.build_args}" if args.build_args else ""))
    results = []
    for app in apps:
        scratch = Path(tempfile.mkdtemp(prefix=f"pack-it-bench-{app}-"))
        try:
            results.append(bench_app(pack_it, app, args.runs, args.cold_runs, scratch))
        except CommandFailed as e:
            progress(f"error: {e}")
            return 1
        finally:
            remove_tree(scratch)
    print(as_json(results, args.runs, args.cold_runs) if args.json else table(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
