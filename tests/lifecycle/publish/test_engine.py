"""`--output docker` and the default output, against podman's Docker-API service on a
socket of the test's own (DOCKER_HOST names it; pack-it never looks for podman's socket)."""

from __future__ import annotations

import json
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from pack_it.lifecycle import engine
from pack_it.lifecycle.publish import reference as refs
from tests.conftest import SAMPLE_APPS
from tests.lifecycle.publish.helpers import pack_it, run_and_get

# Builds run in the sandbox, on a build root assembled from the Debian archive's packages.
pytestmark = pytest.mark.network


@pytest.fixture(scope="module")
def docker_host(podman, tmp_path_factory):
    socket_path = tmp_path_factory.mktemp("podman") / "podman.sock"
    service = subprocess.Popen([podman, "system", "service", "--time=0", f"unix://{socket_path}"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    address = f"unix://{socket_path}"
    deadline = time.monotonic() + 20
    while engine.answers({"DOCKER_HOST": address}) is None:
        if service.poll() is not None or time.monotonic() > deadline:
            service.kill()
            pytest.fail("podman system service did not answer on its socket")
        time.sleep(0.2)
    yield address
    service.terminate()
    service.wait(timeout=10)


@pytest.fixture(scope="module")
def app(tmp_path_factory, go_tool):
    target = tmp_path_factory.mktemp("apps") / "go-hello"
    shutil.copytree(SAMPLE_APPS / "go-hello", target)
    return target


def test_output_docker_loads_the_image_tagged_and_it_runs(app, docker_host, podman, shared_cache):
    tag = "pack-it-engine-test/go-hello:1"
    proc = pack_it("build", app, "--output", "docker", "-t", tag, "--run-image", "base", "--cache-dir", shared_cache,
                   env={"DOCKER_HOST": docker_host})
    assert proc.returncode == 0, proc.stderr
    assert f"-> docker:{tag}" in proc.stdout
    # The Docker API names images as Docker does: docker.io/... for a name with no registry.
    qualified = refs.parse(tag).fully_qualified
    try:
        assert "Hello from go-hello!" in run_and_get(podman, qualified)
        inspect = pack_it("inspect", f"docker:{tag}", "--json", "--cache-dir", shared_cache, env={"DOCKER_HOST": docker_host})
        assert inspect.returncode == 0, inspect.stderr
        info = json.loads(inspect.stdout)
        assert info["entrypoint"] == ["/layers/go/app/bin/go-hello"]
        assert info["layers"][-1]["made_by"].startswith("go/")
    finally:
        subprocess.run([podman, "rmi", "-f", qualified], capture_output=True)


def test_the_default_output_is_the_engine_that_answers(app, docker_host, podman, shared_cache, tmp_path):
    proc = pack_it("build", app, "-t", "pack-it-default-test:1", "--run-image", "base", "--cache-dir", shared_cache,
                   cwd=tmp_path, env={"DOCKER_HOST": docker_host,
                                      # podman's API answers slowly on a loaded machine
                                      "PACK_IT_ENGINE_PING_TIMEOUT": "30"})
    try:
        assert proc.returncode == 0, proc.stderr
        assert f"output: the engine at {docker_host}" in proc.stderr
        assert list(tmp_path.iterdir()) == []  # no tarball
    finally:
        subprocess.run([podman, "rmi", "-f", refs.parse("pack-it-default-test:1").fully_qualified], capture_output=True)


def test_with_no_engine_answering_the_default_is_the_tarball(app, shared_cache, tmp_path):
    dead = f"unix://{tmp_path / 'nobody.sock'}"
    proc = pack_it("build", app, "--run-image", "base", "--cache-dir", shared_cache, cwd=tmp_path,
                   env={"DOCKER_HOST": dead})
    assert proc.returncode == 0, proc.stderr
    assert f"output: tar:go-hello.tar (no engine answered at {dead})" in proc.stderr
    assert (tmp_path / "go-hello.tar").is_file()


def test_podmans_socket_is_never_guessed(monkeypatch, tmp_path):
    monkeypatch.setattr(engine, "DEFAULT_SOCKET", tmp_path / "docker.sock")
    assert engine.engine_address({}) is None
    assert engine.answers({}) is None
    (tmp_path / "docker.sock").touch()
    assert engine.engine_address({}) == f"unix://{tmp_path / 'docker.sock'}"
    assert engine.engine_address({"DOCKER_HOST": "unix:///x.sock"}) == "unix:///x.sock"


def test_an_engine_publisher_takes_an_injected_client(tmp_path):
    """The client is injected (ko's WithDockerClient): a fake records what it was given."""
    from pack_it.lifecycle.cache import Cache
    from pack_it.lifecycle.publish.engine import EnginePublisher
    from tests.lifecycle.registry.servers import synthetic_image

    cache = Cache(tmp_path / "cache")
    image = synthetic_image(cache, (100,))
    loaded = []

    class FakeImage:
        tags: list[str] = []

        def tag(self, reference):
            loaded.append(("tag", reference))

    class FakeImages:
        def load(self, f):
            loaded.append(("load", len(f.read())))

        def get(self, digest):
            assert digest == image.config_descriptor.digest
            return FakeImage()

    class FakeClient:
        images = FakeImages()

        def close(self):
            loaded.append(("close",))

    assert EnginePublisher(FakeClient, "fake").publish(image, cache, "app:1") == "docker:app:1"
    assert loaded[0][0] == "load" and loaded[1:] == [("tag", "app:1"), ("close",)]
    cache.close()  # what the process's end does: its own staging directory goes too
    assert not list(Path(cache.root / "tmp").iterdir())
