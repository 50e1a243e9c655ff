"""End to end: build each sample app, load the image into podman, run it, and make a real
HTTP request. Each app says what to expect in its own sample_apps/<app>/pack-it-test.json: one check or a
list of them, {"path": "/", "status": 200, "body_contains": "..."} (or "body_regex")."""

import json
import re
import socket
import subprocess
import time
import urllib.error
import urllib.request

import pytest

from pack_it.lifecycle.pipeline import BuildOptions, build
from pack_it.packs import REGISTRY
from tests.conftest import SAMPLE_APPS

pytestmark = pytest.mark.network  # the package registries (see tests/conftest.py)

APPS = sorted(p.parent.name for p in SAMPLE_APPS.glob("*/pack-it-test.json"))
READY_TIMEOUT = 90  # a Spring Boot app took 33 s to start on a loaded 2-core machine
KILLED = 137  # 128 + SIGKILL: the app ignored SIGTERM for `podman stop`'s grace period and was killed


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def _wait_for(url: str, container: str, podman: str) -> tuple[int, str]:
    deadline = time.monotonic() + READY_TIMEOUT
    while True:
        try:
            return _get(url)
        except (urllib.error.URLError, ConnectionError, OSError):
            if time.monotonic() > deadline:
                logs = subprocess.run([podman, "logs", container], capture_output=True, text=True)
                pytest.fail(f"{url} did not answer in {READY_TIMEOUT}s; container logs:\n{logs.stdout}{logs.stderr}")
            time.sleep(0.3)


def _wait_for_log(text: str, container: str, podman: str) -> None:
    """For apps with no HTTP (workers): what they print."""
    deadline = time.monotonic() + READY_TIMEOUT
    while True:
        logs = subprocess.run([podman, "logs", container], capture_output=True, text=True)
        if text in logs.stdout + logs.stderr:
            return
        if time.monotonic() > deadline:
            pytest.fail(f"{container} did not log {text!r} in {READY_TIMEOUT}s:\n{logs.stdout}{logs.stderr}")
        time.sleep(0.3)


def stop_within_grace(podman: str, container: str) -> int:
    """`podman stop -t 2` (SIGTERM, then SIGKILL after 2 s), then the container's exit code."""
    subprocess.run([podman, "stop", "-t", "2", container], capture_output=True, check=True)
    code = subprocess.run([podman, "inspect", "-f", "{{.State.ExitCode}}", container], capture_output=True, text=True)
    return int(code.stdout.strip())


@pytest.mark.engine
@pytest.mark.parametrize("app", APPS)
def test_sample_app_serves_http(app, tmp_path, shared_cache, podman):
    checks = json.loads((SAMPLE_APPS / app / "pack-it-test.json").read_text())
    checks = checks if isinstance(checks, list) else [checks]
    image = f"localhost/pack-it-e2e-{app}:test"
    archive = tmp_path / f"{app}.tar"
    build(BuildOptions(SAMPLE_APPS / app, tag=image, output=f"tar:{archive}", cache_dir=shared_cache), REGISTRY)

    load = subprocess.run([podman, "load", "-i", str(archive)], capture_output=True, text=True)
    assert load.returncode == 0, load.stderr
    port = _free_port()
    container = f"pack-it-e2e-{app}-{port}"
    try:
        run = subprocess.run([podman, "run", "-d", "--name", container, "-p", f"127.0.0.1:{port}:8080", image],
                             capture_output=True, text=True)
        assert run.returncode == 0, run.stderr
        if all("logs_contain" in check for check in checks):
            for check in checks:
                _wait_for_log(check["logs_contain"], container, podman)
            assert stop_within_grace(podman, container) != KILLED
            return
        _wait_for(f"http://127.0.0.1:{port}/", container, podman)
        for check in checks:
            status, body = _get(f"http://127.0.0.1:{port}{check['path']}")
            assert status == check["status"], (check, body)
            if "body_contains" in check:
                assert check["body_contains"] in body
            if "body_regex" in check:
                assert re.search(check["body_regex"], body), (check, body)
        user = subprocess.run([podman, "inspect", "-f", "{{.Config.User}}", container], capture_output=True, text=True)
        assert user.stdout.strip() == "65532:65532"
        assert stop_within_grace(podman, container) != KILLED  # it stopped on SIGTERM, in under 2 s
    finally:
        subprocess.run([podman, "rm", "-f", container], capture_output=True)
        subprocess.run([podman, "rmi", "-f", image], capture_output=True)
