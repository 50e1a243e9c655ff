"""The CI step's cost (issue 13, deploy/tekton/pack-it.yaml): the pack-it image (pack-it built by
itself on builder-debian13) run in podman as tests/e2e/test_ci_step.py runs it (user 65532, no
capabilities, --sandbox none, a fresh container each time), pushing python-flask to a local TLS
registry with htpasswd. Each run uses a new repository: a first build with no cache image yet,
then a one-line change in a fresh container with only --cache-image. Prints the medians.
Needs podman, docker-registry, htpasswd, openssl and the package registries.

    python3 bench/ci_step_bench.py [--runs 3] [--cache-dir DIR]
"""
from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from pack_it.lifecycle.pipeline import BuildOptions, build  # noqa: E402
from pack_it.packs import REGISTRY  # noqa: E402
from tests.e2e.test_ci_step import _mounts, _step  # noqa: E402
from tests.lifecycle.registry.servers import start_registry  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--cache-dir", type=Path, help="the cache the pack-it image is built with (default: a new one)")
    args = parser.parse_args()
    podman = shutil.which("podman") or sys.exit("error: podman is not installed")
    scratch = Path(tempfile.mkdtemp(prefix="ci-step-bench-"))
    image = f"localhost/pack-it-bench-self:{uuid.uuid4().hex[:12]}"
    (scratch / "registry").mkdir()
    registry = start_registry(scratch / "registry")
    try:
        archive = scratch / "pack-it.tar"
        build(BuildOptions(ROOT, tag=image, output=f"tar:{archive}", run_image="builder-debian13",
                           cache_dir=args.cache_dir or scratch / "cache"), REGISTRY)
        subprocess.run([podman, "load", "-i", str(archive)], check=True, capture_output=True)
        first, second = [], []
        for i in range(args.runs):
            run = scratch / f"run{i}"
            app = run / "python-flask"
            shutil.copytree(ROOT / "sample_apps" / "python-flask", app)
            app.chmod(0o755)
            results = run / "results"
            results.mkdir()
            results.chmod(0o777)
            mounts = _mounts(run, registry)
            for times, change in ((first, False), (second, True)):
                if change:
                    (app / "app.py").write_text((app / "app.py").read_text() + f"\n# bench change {i}\n")
                proc, seconds = _step(podman, image, app, results, mounts, registry, repository=f"bench/flask{i}")
                if proc.returncode != 0:
                    sys.exit(f"the step failed:\n{proc.stdout}{proc.stderr}")
                times.append(seconds)
                print(f"run {i + 1} {'cache image' if change else 'first'}: {seconds:.1f} s", file=sys.stderr)
        for label, times in (("first build, no cache image", first),
                             ("one-line change, fresh container, --cache-image", second)):
            print(f"{label}: median {statistics.median(times):.1f} s [{min(times):.1f}-{max(times):.1f}] "
                  f"over {len(times)} runs")
    finally:
        subprocess.run([podman, "rmi", image], capture_output=True)
        registry.process.terminate()
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
