#!/usr/bin/env python3
"""Java benchmark: the Spring Boot hello image's size, and a one-line change's rebuild time
against `mvn package` alone, with which layers it changed.

    python bench/java_bench.py [--runs 5] [--cache-dir DIR] [--json] [--app java-maven-jar]

Each run changes one line of sample_apps/java-spring-boot (or --app's sample, in a temp copy)
and times, in turn:
  pack-it build       the CLI, as a user runs it (Python start-up included)
  mvn package         ./mvnw (else pack-it's Maven) -B -o -DskipTests package in another copy, with the same JDK
                      (Debian's, from pack-it's cache), the same local repository and the same
                      wrapper Maven: what the build costs without pack-it
and prints the medians and their difference, the image's uncompressed size and, for every run,
the layers whose digest changed (only `application` should), and pack-it's time outside its
own mvn step (the total less the step's time pack-it reports with -v). The first build (cold, or warm
from --cache-dir) is not timed. Standard library only.
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

REPO = Path(__file__).resolve().parent.parent
# sample -> (the file a run changes, the greeting in it)
APPS = {"java-spring-boot": ("src/main/java/com/example/hello/HelloApplication.java", "Hello from java-spring-boot!"),
        "java-maven-jar": ("src/main/java/com/example/Server.java", "Hello from java-maven-jar!")}


def pack_it() -> list[str]:
    exe = shutil.which("pack-it")
    return [exe] if exe else [sys.executable, "-c", "import sys; sys.argv[0] = 'pack-it'; from pack_it.cli import main; main()"]


def change(app: Path, run: int) -> None:
    source, greeting = APPS[app.name]
    path = app / source
    # A new text every time: a cache that saw an earlier benchmark's text would reuse its build.
    text = re.sub(re.escape(greeting) + r"[^\"]*", f"{greeting} ({run}, {time.time_ns()})", path.read_text())
    path.write_text(text)


def timed(argv: list[str], env: dict[str, str] | None = None, cwd: Path | None = None) -> tuple[float, str]:
    started = time.monotonic()
    proc = subprocess.run(argv, capture_output=True, text=True, env=env, cwd=cwd)
    elapsed = time.monotonic() - started
    if proc.returncode != 0:
        sys.exit(f"error: {' '.join(argv[:3])}... failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
    return elapsed, proc.stdout + proc.stderr


def layer_names_and_digests(layout: Path) -> list[tuple[str, str]]:
    """(pack/name, diff_id) of the image's pack-it layers, from its OCI layout."""
    index = json.loads((layout / "index.json").read_text())
    manifest = json.loads((layout / "blobs/sha256" / index["manifests"][-1]["digest"][7:]).read_text())
    config = json.loads((layout / "blobs/sha256" / manifest["config"]["digest"][7:]).read_text())
    meta = json.loads(config["config"]["Labels"]["io.pack-it.metadata"])
    return [(f"{l['pack']}/{l['name']}", l["diff_id"]) for l in meta["layers"]]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--cache-dir", type=Path, help="pack-it's cache (default: a fresh temp directory)")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--app", choices=sorted(APPS), default="java-spring-boot")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="java-bench-"))
    cache = args.cache_dir or work / "cache"
    try:
        app, plain = work / args.app, work / "plain" / args.app
        shutil.copytree(REPO / "sample_apps" / args.app, app)
        shutil.copytree(REPO / "sample_apps" / args.app, plain)
        layout = work / "oci"
        build = [*pack_it(), "build", str(app), "--cache-dir", str(cache), "--output", f"oci:{layout}", "-t", "bench:1", "-v"]
        print("first build (not timed)...", file=sys.stderr)
        _, out = timed(build)
        size = re.search(r"size:\s+([0-9.]+) MB \(([0-9.]+) MB compressed\)", out)
        assert size, out
        jdk = next(cache.glob("packs/java/jdk/*/usr/lib/jvm/java-17-openjdk-amd64"))
        tool = plain / "mvnw" if (plain / "mvnw").is_file() else next(cache.glob("packs/java/maven/*/bin/mvn"))
        mvn = [str(tool), "-B", "-o", "-q", "-DskipTests",
               f"-Dmaven.repo.local={cache / 'packs/java/m2/repository'}", "package"]
        mvn_env = {**os.environ, "JAVA_HOME": str(jdk), "MAVEN_USER_HOME": str(cache / "packs/java/maven-user")}
        timed(mvn, mvn_env, plain)  # the plain copy's own first build
        before = layer_names_and_digests(layout)
        pack_times, mvn_times, inside, changed_runs = [], [], [], []
        for run in range(1, args.runs + 1):
            change(app, run)
            elapsed, out = timed(build)
            pack_times.append(elapsed)
            # The time pack-it spent outside Maven, from its own report of the mvn step: less
            # noisy than two separate runs on a loaded machine.
            step = re.search(r"mvn package: ([0-9.]+)s", out)
            inside.append(elapsed - float(step.group(1)) if step else float("nan"))
            after = layer_names_and_digests(layout)
            changed_runs.append([name for (name, d), (_, d0) in zip(after, before) if d != d0])
            before = after
            change(plain, run)
            elapsed, _ = timed(mvn, mvn_env, plain)
            mvn_times.append(elapsed)
            print(f"run {run}: pack-it {pack_times[-1]:.2f}s (outside mvn {inside[-1]:.2f}s), "
                  f"mvn package {mvn_times[-1]:.2f}s, "
                  f"changed {changed_runs[-1]}", file=sys.stderr)
        result = {
            "uncompressed_mb": float(size.group(1)), "compressed_mb": float(size.group(2)),
            "one_line_change_s": {"median": statistics.median(pack_times), "runs": pack_times},
            "mvn_package_s": {"median": statistics.median(mvn_times), "runs": mvn_times},
            "overhead_s": statistics.median(pack_times) - statistics.median(mvn_times),
            "outside_mvn_s": {"median": statistics.median(inside), "runs": inside},
            "changed_layers": changed_runs,
        }
        if args.json:
            print(json.dumps(result, indent=2))
        else:
            print(f"{args.app} image: {result['uncompressed_mb']} MB uncompressed "
                  f"({result['compressed_mb']} MB compressed)")
            print(f"one-line change, median of {args.runs}: pack-it build {result['one_line_change_s']['median']:.2f}s, "
                  f"mvn package {result['mvn_package_s']['median']:.2f}s, "
                  f"difference {result['overhead_s']:+.2f}s; pack-it's time outside its mvn step "
                  f"{result['outside_mvn_s']['median']:.2f}s")
            print(f"layers changed per run: {changed_runs}")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
