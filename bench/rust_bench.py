#!/usr/bin/env python3
"""Rust benchmark: pack-it against plain cargo on the Rust sample apps, and the image size.

    python bench/rust_bench.py [--apps rust-axum,rust-workspace] [--runs 3] [--cold-runs 1]
                               [--toolchain pack-it|host] [--json]

For each app (copied to a temp directory; sample_apps/ is never modified):

- pack-it cold: `pack-it build` with a fresh, empty --cache-dir (crates downloaded, every
  dependency compiled); the debian13 build root and, with --toolchain pack-it (the default),
  Debian's rustc and cargo are assembled once before the clock starts, in a directory every
  run shares (PACK_IT_BUILDROOTS), as a machine's first Rust build does once;
- pack-it no-op: the same again (the layer is reused, cargo does not run);
- pack-it one-line change: a comment line appended to the binary's main source file, then a
  rebuild (cargo recompiles the app's crate only);
- cargo cold: plain `cargo build --release --locked` (the host's cargo and rustc, rustup's:
  Debian 13's cannot run on a Debian 12 host) in a fresh target directory, its crates
  downloaded beforehand (`cargo fetch`, not timed), so the figure is compile time only;
- cargo one-line change: the same edit, then `cargo build --release --locked` again;
- the image's uncompressed and compressed size (`pack-it inspect --json`).

This checkout's pack-it runs (`python -m pack_it` with this repository on PYTHONPATH). Times are
medians [min-max] of --runs (or --cold-runs) runs, with time.perf_counter. Standard library only.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import ROOT, SAMPLE_APPS, CommandFailed, app_list, cell, progress, remove_tree, run, summary  # noqa: E402

MB = 1_000_000
DEFAULT_APPS = "rust-axum,rust-workspace"


def pack_it() -> tuple[list[str], dict[str, str]]:
    env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    return [sys.executable, "-m", "pack_it"], env


def timed(argv: list[str], what: str, env: dict[str, str], cwd: Path | None = None) -> float:
    started = time.perf_counter()
    proc = subprocess.run(argv, capture_output=True, text=True, env=env, cwd=cwd)
    if proc.returncode != 0:
        raise CommandFailed(f"{what} failed (exit code {proc.returncode}): {' '.join(argv)}\n{proc.stderr[-3000:]}")
    return time.perf_counter() - started


def main_file(app_dir: Path, cmd: list[str], env: dict[str, str]) -> Path:
    plan = json.loads(run(cmd + ["detect", "--json", str(app_dir)], "pack-it detect", env).stdout)
    return app_dir / plan["processes"][0]["source"]


def warm_build_root(scratch: Path, toolchain: str) -> str:
    """A PACK_IT_BUILDROOTS holding the debian13 build root (and Debian's Rust toolchain), made
    before any timed run; an existing $PACK_IT_BUILDROOTS is used as it is."""
    roots = os.environ.get("PACK_IT_BUILDROOTS") or str(scratch / "buildroots")
    cmd, env = pack_it()
    code = ("import sys; from pack_it.lifecycle.cache import Cache; from pack_it.lifecycle.stacks import buildroot; "
            "from pack_it.packs.rust import debian; cache = Cache(sys.argv[1]); buildroot.ensure('debian13', cache)"
            + ("; debian.fetch(cache, debian.Reporter())" if toolchain == "pack-it" else ""))
    progress(f"assembling the build root{' and the Debian Rust toolchain' if toolchain == 'pack-it' else ''} "
             f"in {roots} (not timed)")
    run([sys.executable, "-c", code, str(scratch / "warm-cache")], "warming the build root",
        {**env, "PACK_IT_BUILDROOTS": roots})
    return roots


def bench(app: str, runs: int, cold_runs: int, scratch: Path, toolchain: str, roots: str) -> dict:
    cmd, env = pack_it()
    env = {**env, "PACK_IT_BUILDROOTS": roots}
    work = scratch / app
    shutil.copytree(SAMPLE_APPS / app, work / "app")
    source = main_file(work / "app", cmd, env)
    original = source.read_text()
    result: dict = {"app": app, "source_file": str(source.relative_to(work / "app")), "toolchain": toolchain}

    def build(cache: Path, what: str) -> float:
        return timed(cmd + ["build", str(work / "app"), "-t", app, "-q", "--output", f"tar:{work / 'img.tar'}",
                            "--cache-dir", str(cache), "--toolchain", toolchain], what, env)

    cold = []
    for i in range(cold_runs):
        cache = work / f"cache-{i}"
        progress(f"{app}: pack-it cold build {i + 1}/{cold_runs}")
        cold.append(build(cache, "pack-it cold build"))
    noop = [build(cache, "pack-it no-op build") for _ in range(runs)]
    change = []
    for i in range(runs):
        source.write_text(original + f"// bench change {i}\n")
        progress(f"{app}: pack-it one-line change {i + 1}/{runs}")
        change.append(build(cache, "pack-it one-line change"))
    source.write_text(original)
    info = json.loads(run(cmd + ["inspect", "--json", f"tar:{work / 'img.tar'}"], "pack-it inspect", env).stdout)
    result["uncompressed_bytes"] = sum(layer["uncompressed_size"] for layer in info["layers"])
    result["compressed_bytes"] = sum(layer["size"] for layer in info["layers"])

    # Plain cargo in a developer's checkout: the same crates, downloaded before the clock starts.
    plain = work / "plain"
    shutil.copytree(SAMPLE_APPS / app, plain)
    cargo_env = {**os.environ, "CARGO_HOME": str(work / "cargo-home"), "CARGO_TERM_COLOR": "never"}
    run(["cargo", "fetch", "--locked", "--manifest-path", str(plain / "Cargo.toml")], "cargo fetch", cargo_env)
    plain_source = plain / result["source_file"]
    cargo_cold = []
    for i in range(cold_runs):
        remove_tree(plain / "target")
        progress(f"{app}: cargo cold build {i + 1}/{cold_runs}")
        cargo_cold.append(timed(["cargo", "build", "--release", "--locked", "--offline"], "cargo build", cargo_env, plain))
    cargo_change = []
    for i in range(runs):
        plain_source.write_text(original + f"// bench change {i}\n")
        progress(f"{app}: cargo one-line change {i + 1}/{runs}")
        cargo_change.append(timed(["cargo", "build", "--release", "--locked", "--offline"], "cargo build", cargo_env,
                                  plain))
    result.update({"pack_it_cold": summary(cold), "pack_it_noop": summary(noop), "pack_it_change": summary(change),
                   "cargo_cold": summary(cargo_cold), "cargo_change": summary(cargo_change)})
    return result


def table(results: list[dict]) -> str:
    head = ("app", "pack-it cold s", "cargo cold s", "pack-it no-op s", "pack-it 1-line s", "cargo 1-line s",
            "image MB (compressed)")
    rows = [head]
    for r in results:
        rows.append((r["app"], cell(r["pack_it_cold"]["runs"]), cell(r["cargo_cold"]["runs"]),
                     cell(r["pack_it_noop"]["runs"]), cell(r["pack_it_change"]["runs"]),
                     cell(r["cargo_change"]["runs"]),
                     f"{r['uncompressed_bytes'] / MB:.1f} ({r['compressed_bytes'] / MB:.1f})"))
    widths = [max(len(row[i]) for row in rows) for i in range(len(head))]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(row, widths)) for row in rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--apps", default=DEFAULT_APPS)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--cold-runs", type=int, default=1)
    parser.add_argument("--toolchain", choices=("pack-it", "host"), default="pack-it",
                        help="pack-it's: Debian 13's rustc 1.85 (the default); host: rustup's")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    apps = app_list(args.apps, parser)
    with tempfile.TemporaryDirectory(prefix="rust-bench-") as scratch:
        try:
            roots = warm_build_root(Path(scratch), args.toolchain)
            results = [bench(app, args.runs, args.cold_runs, Path(scratch), args.toolchain, roots) for app in apps]
        finally:
            remove_tree(Path(scratch))
            Path(scratch).mkdir()
    print(json.dumps(results, indent=2) if args.json else table(results))


if __name__ == "__main__":
    main()
