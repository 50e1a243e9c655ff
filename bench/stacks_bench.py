#!/usr/bin/env python3
"""Stack benchmark for pack-it: cold and warm `pack-it stacks build` times per stack and
Debian release, the stack image's exact size, a reproducibility check, and a comparison with
the sizes distroless publishes for its images.

    python bench/stacks_bench.py [--stacks static,cc,python,node] [--releases debian12,debian13]
                                 [--runs 3] [--node-runs N] [--node-version 22] [--json]

Every build runs the real CLI (Python start-up included). A cold build gets a fresh, empty
--cache-dir, so it includes downloading the .deb files (and, for node, the Node binary).
Standard library only. See bench/README.md.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

STACKS = ("static", "cc", "python", "node")
RELEASES = ("debian12", "debian13")
DEFAULT_RELEASE = "debian12"  # the release a stack name without a suffix means
MB = 1_000_000  # the CLI's sizes are decimal too
MIB = 1 << 20
NODE_LABEL = "io.pack-it.node-version"
DIGESTS_DIFFER = 3  # exit code when a stack's builds printed different digests (a failed build: 1)

DIGEST_LINE = re.compile(r"^\s*digest:\s*(sha256:[0-9a-f]{64})\s*$", re.MULTILINE)
SIZE_LINE = re.compile(r"^\s*size:\s*([0-9.]+) (B|KB|MB|GB) \(([0-9.]+) (B|KB|MB|GB) compressed\)\s*$", re.MULTILINE)
UNITS = {"B": 1, "KB": 10**3, "MB": 10**6, "GB": 10**9}


@dataclass(frozen=True)
class Reference:
    """A size distroless publishes for its Debian 12 image (uncompressed); not measured here."""
    image: str
    label: str
    bytes: int


# Published, approximate. None for cc (distroless publishes no figure for cc or base).
DISTROLESS = {
    "static": Reference("static-debian12", "~2 MiB", 2 * MIB),
    "cc": None,
    "python": Reference("python3-debian12", "~50 MB", 50 * MB),
    "node": Reference("nodejs22-debian12", "141 MB", 141 * MB),
}


class BuildFailed(Exception):
    pass


@dataclass
class StackResult:
    stack: str
    release: str
    reference: str  # what the CLI is given: `python`, `python-debian13`
    cold: list[float] = field(default_factory=list)
    warm: list[float] = field(default_factory=list)
    digests: list[str] = field(default_factory=list)  # every build's, cold, warm and the oci: one
    uncompressed_bytes: int = 0
    compressed_bytes: int = 0
    layers: int = 0
    cli_size_line: str = ""
    node_version: str | None = None

    @property
    def same_digest(self) -> bool:
        return len(set(self.digests)) == 1


# Running pack-it ------------------------------------------------------------------------

def pack_it_command() -> list[str]:
    exe = shutil.which("pack-it")
    if exe is None:
        sys.exit("error: `pack-it` is not on PATH; install it with `pip install -e .` first.")
    return [exe]


def stack_reference(stack: str, release: str) -> str:
    return stack if release == DEFAULT_RELEASE else f"{stack}-{release}"


def build_argv(pack_it: list[str], reference: str, cache: Path, node_version: str | None,
               output: str | None = None) -> list[str]:
    argv = pack_it + ["stacks", "build", reference, "--cache-dir", str(cache)]
    # The node stack holds no Node.js since it became the Node pack's runtime layer:
    # node_version is kept for the report's shape only.
    if output:
        argv += ["-o", output]
    return argv


def run_build(argv: list[str], what: str) -> tuple[float, str]:
    """(wall-clock seconds, stdout) of one build; BuildFailed with its stderr if it fails."""
    started = time.perf_counter()
    proc = subprocess.run(argv, capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    if proc.returncode != 0:
        raise BuildFailed(f"{what} failed (exit code {proc.returncode}): {' '.join(argv)}\n"
                          f"--- stderr ---\n{proc.stderr.rstrip()}\n"
                          f"--- stdout ---\n{proc.stdout.rstrip()}")
    return elapsed, proc.stdout


def digest_of(stdout: str, what: str) -> str:
    match = DIGEST_LINE.search(stdout)
    if match is None:
        raise BuildFailed(f"{what}: no `digest: sha256:...` line in the output:\n{stdout.rstrip()}")
    return match.group(1)


def size_line(stdout: str) -> str:
    match = SIZE_LINE.search(stdout)
    return match.group(0).strip() if match else ""


def cli_sizes(line: str) -> list[tuple[float, float]] | None:
    """[(bytes, rounding), (bytes, rounding)]: uncompressed then compressed, as the CLI's
    `size:` line shows them (one decimal, so within half a tenth of the unit)."""
    match = SIZE_LINE.search(line)
    if match is None:
        return None
    return [(float(match.group(i)) * UNITS[match.group(i + 1)],
             0.5 * UNITS[match.group(i + 1)] if match.group(i + 1) == "B" else 0.05 * UNITS[match.group(i + 1)])
            for i in (1, 3)]


# Reading the OCI layout -----------------------------------------------------------------

def blob_path(layout: Path, digest: str) -> Path:
    algorithm, _, hex_digest = digest.partition(":")
    return layout / "blobs" / algorithm / hex_digest


def gzip_isize(path: Path) -> int:
    """A gzip blob's uncompressed size: the trailer's last 4 bytes (ISIZE, exact below 4 GiB)."""
    with path.open("rb") as f:
        f.seek(-4, 2)
        return int.from_bytes(f.read(4), "little")


def layer_uncompressed(layout: Path, layer: dict) -> int:
    path = blob_path(layout, layer["digest"])
    return gzip_isize(path) if layer["mediaType"].endswith("gzip") else path.stat().st_size


def oci_image(layout: Path) -> tuple[str, dict, dict]:
    """(manifest digest, manifest, config) of the layout's only image."""
    manifests = json.loads((layout / "index.json").read_text())["manifests"]
    if len(manifests) != 1:
        raise BuildFailed(f"{layout}: expected one image in index.json, found {len(manifests)}.")
    digest = manifests[0]["digest"]
    manifest = json.loads(blob_path(layout, digest).read_text())
    config = json.loads(blob_path(layout, manifest["config"]["digest"]).read_text())
    return digest, manifest, config


# Benchmark ------------------------------------------------------------------------------

def progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def cold_runs(pack_it: list[str], result: StackResult, runs: int, node_version: str | None,
              scratch: Path) -> Path:
    """`runs` builds, each with a fresh, empty cache; returns the last one's cache dir."""
    cache = None
    for i in range(1, runs + 1):
        if cache is not None:
            shutil.rmtree(cache)
        cache = scratch / f"cache-cold-{i}"
        what = f"{result.reference}: cold build {i}"
        seconds, stdout = run_build(build_argv(pack_it, result.reference, cache, node_version), what)
        result.cold.append(seconds)
        result.digests.append(digest_of(stdout, what))
        progress(f"  {result.reference}: cold {i}/{runs}: {seconds:.2f}s  {result.digests[-1][:19]}")
    return cache


def warm_runs(pack_it: list[str], result: StackResult, runs: int, node_version: str | None, cache: Path) -> None:
    for i in range(1, runs + 1):
        what = f"{result.reference}: warm build {i}"
        seconds, stdout = run_build(build_argv(pack_it, result.reference, cache, node_version), what)
        result.warm.append(seconds)
        result.digests.append(digest_of(stdout, what))
        progress(f"  {result.reference}: warm {i}/{runs}: {seconds:.2f}s  {result.digests[-1][:19]}")


def measure_size(pack_it: list[str], result: StackResult, node_version: str | None, cache: Path,
                 scratch: Path) -> None:
    """One more (untimed) build writing oci:DIR; sums its layers to exact bytes."""
    layout = scratch / "oci"
    what = f"{result.reference}: build -o oci:{layout}"
    _, stdout = run_build(build_argv(pack_it, result.reference, cache, node_version, f"oci:{layout}"), what)
    result.digests.append(digest_of(stdout, what))
    result.cli_size_line = size_line(stdout)
    digest, manifest, config = oci_image(layout)
    if digest != result.digests[-1]:
        raise BuildFailed(f"{what}: the layout holds {digest}, the CLI printed {result.digests[-1]}.")
    result.layers = len(manifest["layers"])
    result.compressed_bytes = sum(layer["size"] for layer in manifest["layers"])
    result.uncompressed_bytes = sum(layer_uncompressed(layout, layer) for layer in manifest["layers"])
    result.node_version = ((config.get("config") or {}).get("Labels") or {}).get(NODE_LABEL)
    check_cli_sizes(result)


def check_cli_sizes(result: StackResult) -> None:
    """Warn if the CLI's rounded `size:` line disagrees with the layout's exact bytes."""
    rounded = cli_sizes(result.cli_size_line)
    if rounded is None:
        progress(f"  warning: {result.reference}: no `size:` line in the CLI output")
        return
    for name, exact, (shown, rounding) in (("uncompressed", result.uncompressed_bytes, rounded[0]),
                                           ("compressed", result.compressed_bytes, rounded[1])):
        if abs(exact - shown) > rounding * 1.001:
            progress(f"  warning: {result.reference}: {name} {exact} B from the layout, "
                     f"but the CLI says {result.cli_size_line!r}")


def bench_stack(pack_it: list[str], stack: str, release: str, runs: int, node_version: str | None) -> StackResult:
    result = StackResult(stack, release, stack_reference(stack, release))
    scratch = Path(tempfile.mkdtemp(prefix=f"pack-it-stacks-bench-{result.reference}-"))
    try:
        cache = cold_runs(pack_it, result, runs, node_version, scratch)
        warm_runs(pack_it, result, runs, node_version, cache)
        measure_size(pack_it, result, node_version, cache, scratch)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return result


# Reporting ------------------------------------------------------------------------------

def summary(times: list[float]) -> dict:
    return {"median": statistics.median(times), "min": min(times), "max": max(times), "runs": times}


def reference_for(result: StackResult) -> Reference | None:
    return DISTROLESS.get(result.stack)


def ratio(result: StackResult) -> float | None:
    ref = reference_for(result)
    return result.uncompressed_bytes / ref.bytes if ref else None


def reference_cell(result: StackResult) -> str:
    ref = reference_for(result)
    if ref is None:
        return "-"
    note = "" if result.release == "debian12" else " (deb12 figure)"
    return f"{ref.label} {ref.image}{note}"


def row(result: StackResult) -> tuple[str, ...]:
    r = ratio(result)
    name = result.reference if result.release != DEFAULT_RELEASE else f"{result.stack}-{result.release}"
    if result.node_version:
        name += f" (node {result.node_version})"
    return (name,
            f"{statistics.median(result.cold):.2f} [{min(result.cold):.2f}-{max(result.cold):.2f}]",
            f"{statistics.median(result.warm):.2f}",
            f"{result.uncompressed_bytes / MB:.2f}", f"{result.compressed_bytes / MB:.2f}",
            reference_cell(result), "-" if r is None else f"{r:.2f}",
            "same digest" if result.same_digest else "DIFFERENT")


def table(results: list[StackResult]) -> str:
    header = ("stack", "cold s median [min-max]", "warm s median", "MB uncompr.", "MB compr.",
              "distroless (uncompr., published)", "ours/distroless", "digest")
    rows = [row(r) for r in results]
    widths = [max(len(x[c]) for x in [header, *rows]) for c in range(len(header))]
    left = {0, 5, 7}

    def line(values):
        return "  ".join(v.ljust(w) if c in left else v.rjust(w) for c, (v, w) in enumerate(zip(values, widths)))

    runs = sorted({len(r.cold) for r in results})
    notes = [
        f"times: wall clock of `pack-it stacks build`, runs per stack: {'/'.join(map(str, runs))}; cold = fresh empty "
        "--cache-dir (downloads included), warm = same cache again",
        "sizes: MB (10^6 bytes), exact sums over the layers of the image written with -o oci:DIR "
        "(uncompressed = gzip ISIZE)",
        "distroless: sizes distroless publishes for its Debian 12 images, not measured here; "
        "ratio = our uncompressed / that figure",
        "digest: every build of a stack (cold, warm and the -o oci: one) "
        + ("printed the same digest" if all(r.same_digest for r in results) else "did NOT always print the same digest"),
    ]
    return "\n".join([line(header), "  ".join("-" * w for w in widths), *map(line, rows), *notes])


def as_json(results: list[StackResult], node_version: str | None) -> str:
    return json.dumps({
        "unit": "seconds", "node_version_requested": node_version,
        "all_reproducible": all(r.same_digest for r in results),
        "stacks": [{
            "stack": r.stack, "release": r.release, "reference": r.reference, "node_version": r.node_version,
            "cold": summary(r.cold), "warm": summary(r.warm),
            "uncompressed_bytes": r.uncompressed_bytes, "compressed_bytes": r.compressed_bytes, "layers": r.layers,
            "cli_size_line": r.cli_size_line,
            "digest": r.digests[0], "same_digest": r.same_digest, "digests": r.digests,
            "distroless": None if reference_for(r) is None else {
                "image": reference_for(r).image, "uncompressed_bytes": reference_for(r).bytes,
                "published_figure": reference_for(r).label, "debian12_figure_for_other_release": r.release != "debian12",
            },
            "ours_over_distroless": ratio(r),
        } for r in results],
    }, indent=2)


# Command line ---------------------------------------------------------------------------

def comma_list(value: str | None, allowed: tuple[str, ...], option: str, parser: argparse.ArgumentParser) -> list[str]:
    if not value:
        return list(allowed)
    chosen = [v.strip() for v in value.split(",") if v.strip()]
    unknown = [v for v in chosen if v not in allowed]
    if unknown or not chosen:
        parser.error(f"{option}: unknown {', '.join(unknown) or 'empty list'} (choose from {', '.join(allowed)})")
    return chosen


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Time `pack-it stacks build` (cold and warm) and measure the stack images.")
    parser.add_argument("--stacks", help=f"comma-separated; default: {','.join(STACKS)}")
    parser.add_argument("--releases", help=f"comma-separated; default: {','.join(RELEASES)}")
    parser.add_argument("--runs", type=int, default=3, help="cold and warm builds per stack (default 3)")
    parser.add_argument("--node-runs", type=int, help="cold and warm builds for node (default: --runs)")
    parser.add_argument("--node-version", default="22", help="--node-version for the node stack (default 22)")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON instead of a table")
    args = parser.parse_args(argv)
    args.stacks = comma_list(args.stacks, STACKS, "--stacks", parser)
    args.releases = comma_list(args.releases, RELEASES, "--releases", parser)
    if args.node_runs is None:
        args.node_runs = args.runs
    if args.runs < 1 or args.node_runs < 1:
        parser.error("--runs and --node-runs must be at least 1")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    pack_it = pack_it_command()
    progress(f"benchmarking {', '.join(args.stacks)} on {', '.join(args.releases)}: "
             f"{args.runs} cold + {args.runs} warm runs each" +
             (f" ({args.node_runs} for node)" if args.node_runs != args.runs and "node" in args.stacks else ""))
    started = time.perf_counter()
    results = []
    for release in args.releases:
        for stack in args.stacks:
            runs = args.node_runs if stack == "node" else args.runs
            try:
                results.append(bench_stack(pack_it, stack, release, runs, args.node_version))
            except BuildFailed as e:
                progress(f"error: {e}")
                return 1
    progress(f"done in {time.perf_counter() - started:.0f}s")
    print(as_json(results, args.node_version) if args.json else table(results))
    return 0 if all(r.same_digest for r in results) else DIGESTS_DIFFER


if __name__ == "__main__":
    sys.exit(main())
