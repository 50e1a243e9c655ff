"""End to end: the start commands people write (issue 8 item 2), one fixture each under
tests/fixtures/launch/: built, run in podman, answering HTTP, and stopped by SIGTERM within
the 2 s `podman stop` grace period (the app got the signal: not killed, exit code 137).
Each fixture's pack-it-test.json also says how the plan runs it (direct, launcher or shell)
and whether its image needs a shell: only those images carry one."""

import io
import json
import subprocess
import tarfile

import pytest

from pack_it.detectors.source import SourceTree
from pack_it.lifecycle.detect import detect
from pack_it.lifecycle.pipeline import BuildOptions, build
from pack_it.packs import REGISTRY
from tests.conftest import REPO
from tests.e2e.test_sample_apps import KILLED, _free_port, _get, _wait_for, stop_within_grace

pytestmark = pytest.mark.network

FIXTURES = REPO / "tests" / "fixtures" / "launch"
APPS = sorted(p.parent.name for p in FIXTURES.glob("*/pack-it-test.json"))


def has_shell(podman: str, image: str) -> bool:
    """Whether /bin/sh exists in the image, asked without running one."""
    probe = subprocess.run([podman, "create", image], capture_output=True, text=True, check=True)
    container = probe.stdout.strip()
    try:
        listing = subprocess.run([podman, "export", container], capture_output=True, check=True).stdout
    finally:
        subprocess.run([podman, "rm", "-f", container], capture_output=True)
    names = set(tarfile.open(fileobj=io.BytesIO(listing)).getnames())
    return bool(names & {"bin/sh", "usr/bin/sh", "./bin/sh", "./usr/bin/sh"})


@pytest.mark.parametrize("app", APPS)
def test_plan_says_how_it_runs(app):
    expected = json.loads((FIXTURES / app / "pack-it-test.json").read_text())
    plan = detect(SourceTree(FIXTURES / app), REGISTRY)
    default = plan.default_process
    assert (default.runs, bool(default.shell)) == (expected["runs"], expected["shell"])
    assert default.command[0] not in ("npm", "yarn", "pnpm", "npx")  # the image has no package manager
    assert any("needs a shell" in w and "line" in w for w in plan.warnings) == expected["shell"]


@pytest.mark.engine
@pytest.mark.parametrize("app", APPS)
def test_start_command_serves_and_stops(app, tmp_path, shared_cache, podman):
    check = json.loads((FIXTURES / app / "pack-it-test.json").read_text())
    image = f"localhost/pack-it-e2e-launch-{app}:test"
    archive = tmp_path / f"{app}.tar"
    build(BuildOptions(FIXTURES / app, tag=image, output=f"tar:{archive}", cache_dir=shared_cache), REGISTRY)
    load = subprocess.run([podman, "load", "-i", str(archive)], capture_output=True, text=True)
    assert load.returncode == 0, load.stderr
    port = _free_port()
    container = f"pack-it-e2e-launch-{app}-{port}"
    try:
        run = subprocess.run([podman, "run", "-d", "--name", container, "-p", f"127.0.0.1:{port}:8080", image],
                             capture_output=True, text=True)
        assert run.returncode == 0, run.stderr
        _wait_for(f"http://127.0.0.1:{port}/", container, podman)
        status, body = _get(f"http://127.0.0.1:{port}{check['path']}")
        assert status == check["status"], body
        assert check["body_contains"] in body, body
        assert stop_within_grace(podman, container) != KILLED
        assert has_shell(podman, image) == check["shell"]
    finally:
        subprocess.run([podman, "rm", "-f", container], capture_output=True)
        subprocess.run([podman, "rmi", "-f", image], capture_output=True)
