"""The CI step for real: pack-it built by pack-it (this repository, on the builder stack), run in
podman as a non-root user with only the app's source, a docker config, the registry's CA and a
results directory mounted, as deploy/tekton/pack-it.yaml runs it. It builds python-flask and
pushes it to the test registry (TLS, htpasswd); then a fresh container with only
--cache-image rebuilds a one-line change without installing the dependencies or assembling the
run image again, and what it pushed runs."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import shutil
import subprocess
import time
import uuid

import pytest

from pack_it.lifecycle.pipeline import BuildOptions, build
from pack_it.lifecycle.sandbox import CA_BUNDLE, NETWORK_VARIABLES
from pack_it.packs import REGISTRY
from tests.conftest import CLEARED, HARNESS, REPO
from tests.lifecycle.publish.helpers import run_and_get
from tests.lifecycle.registry.conftest import registry  # noqa: F401
from tests.lifecycle.registry.servers import PASSWORD, USER

pytestmark = [pytest.mark.network, pytest.mark.engine]

# One tag per run: CI and a developer may run this test at once on one podman store.
IMAGE = f"localhost/pack-it-e2e-self:{uuid.uuid4().hex[:12]}"
NONROOT = "65532:65532"
PROXY_VARIABLES = tuple(v for v in NETWORK_VARIABLES if v.lower().endswith("_proxy"))


@pytest.fixture(scope="module")
def pack_it_image(tmp_path_factory, shared_cache, shared_buildroots, podman):
    archive = tmp_path_factory.mktemp("self") / "pack-it.tar"
    # A module fixture runs before the tests' hermetic environment: the same settings here.
    with pytest.MonkeyPatch.context() as env:
        for name in [n for n in os.environ if (n.startswith("PACK_IT_") and n not in HARNESS) or n in CLEARED]:
            env.delenv(name)
        env.setenv("PACK_IT_BUILDROOTS", str(shared_buildroots))
        env.setenv("HOME", str(tmp_path_factory.mktemp("self-home")))
        build(BuildOptions(REPO, tag=IMAGE, output=f"tar:{archive}", run_image="builder-debian13",
                           cache_dir=shared_cache), REGISTRY)
    load = subprocess.run([podman, "load", "-i", str(archive)], capture_output=True, text=True)
    archive.unlink()
    assert load.returncode == 0, load.stderr
    yield IMAGE
    # No -f: the image is reproducible, so a concurrent run's tag may name the same image, and
    # removing a tag of an image with others only untags it.
    subprocess.run([podman, "rmi", IMAGE], capture_output=True)


def _mounts(tmp_path, registry) -> dict[str, str]:  # noqa: F811
    config = tmp_path / "dockerconfig"
    config.mkdir()
    auth = base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
    (config / "config.json").write_text(json.dumps({"auths": {registry.host: {"auth": auth}}}))
    ca = tmp_path / "ca"
    ca.mkdir()
    shutil.copy(registry.ca, ca / "ca.crt")
    for d in (config, ca):
        d.chmod(0o755)
        for f in d.iterdir():
            f.chmod(0o644)
    return {"config": str(config), "ca": str(ca)}


def _step(podman, image, app, results, mounts, registry,  # noqa: F811
          repository: str = "ci/flask") -> tuple[subprocess.CompletedProcess, float]:
    """deploy/tekton/pack-it.yaml's step: pack-it as the command, its args, in a new container
    (bench/ci_step_bench.py times it)."""
    # This host's network: its proxy settings and the CA bundle a TLS-intercepting proxy's CA
    # is in, as the build sandbox passes them to its steps (lifecycle/sandbox); on a machine
    # that reaches the registries directly they are the image's own.
    network = [a for v in PROXY_VARIABLES if v in os.environ for a in ("-e", f"{v}={os.environ[v]}")]
    bundle = os.environ.get("SSL_CERT_FILE") or str(CA_BUNDLE)
    if os.path.isfile(bundle):
        network += ["-v", f"{os.path.realpath(bundle)}:{CA_BUNDLE}:ro"]
    # As deploy/'s securityContext: non-root, every capability dropped, no privilege escalation.
    argv = [podman, "run", "--rm", "--user", NONROOT, "--cap-drop", "ALL", "--security-opt", "no-new-privileges",
            "--network", "host", *network,
            "-v", f"{app}:/workspace/source:ro", "-v", f"{mounts['config']}:/config:ro",
            "-v", f"{mounts['ca']}:/ca:ro", "-v", f"{results}:/results",
            "-e", "DOCKER_CONFIG=/config", "-e", "HOME=/tmp/home", "-e", "PACK_IT_CACHE_DIR=/tmp/home/.cache/pack-it",
            "--entrypoint", "pack-it", image,
            "build", "/workspace/source", "--publish", "--tag", f"{registry.host}/{repository}:1",
            "--cache-image", f"{registry.host}/{repository}:cache", "--sandbox", "none", "--registry-ca", "/ca/ca.crt",
            "--digest-file", "/results/IMAGE_DIGEST", "--image-url-file", "/results/IMAGE_URL"]
    started = time.monotonic()
    proc = subprocess.run(argv, capture_output=True, text=True, timeout=900)
    return proc, time.monotonic() - started


def test_the_pack_it_image_builds_and_pushes_as_non_root_then_rebuilds_from_the_cache_image(
        pack_it_image, tmp_path, app_copy, registry, podman, skopeo):  # noqa: F811
    app = app_copy("python-flask")
    app.chmod(0o755)
    results = tmp_path / "results"
    results.mkdir()
    results.chmod(0o777)  # the step's user writes the results
    mounts = _mounts(tmp_path, registry)

    first, first_seconds = _step(podman, pack_it_image, app, results, mounts, registry)
    assert first.returncode == 0, first.stdout + first.stderr
    output = first.stdout + first.stderr
    assert "installing dependencies" in output  # the check below is not vacuous
    digest = (results / "IMAGE_DIGEST").read_text().strip()
    assert (results / "IMAGE_URL").read_text().strip() == f"{registry.host}/ci/flask:1"
    pushed = subprocess.run([skopeo, "inspect", "--raw", "--cert-dir", str(registry.cert_dir), "--creds",
                             registry.creds, f"docker://{registry.host}/ci/flask:1"], capture_output=True)
    assert pushed.returncode == 0, pushed.stderr
    assert "sha256:" + hashlib.sha256(pushed.stdout).hexdigest() == digest

    main_py = app / "app.py"
    main_py.write_text(main_py.read_text() + "\n# a one-line change\n")
    second, second_seconds = _step(podman, pack_it_image, app, results, mounts, registry)
    output = second.stdout + second.stderr
    assert second.returncode == 0, output
    assert "installing dependencies" not in output, output
    assert "reusing layer deps (dependencies unchanged)" in output, output
    assert "layer records" in output and "1 run images restored" in output, output
    assert "layer python-debian13:" in first.stderr and "layer python-debian13:" not in output  # not assembled again
    # The cache it pushes back is the one it restored, plus the app layer the image push sent.
    assert re.search(r"cache image \S+: \d+ layers, 0 uploaded", output), output
    assert PASSWORD not in first.stdout + first.stderr + output
    second_digest = (results / "IMAGE_DIGEST").read_text().strip()
    assert second_digest != digest  # the change is in the image
    # What the step pushed runs: pulled back by its digest, it serves the app.
    pulled = f"{registry.host}/ci/flask@{second_digest}"  # the registry's port makes the name this run's own
    pull = subprocess.run([podman, "pull", "--cert-dir", str(registry.cert_dir), "--creds", registry.creds, pulled],
                          capture_output=True, text=True)
    assert pull.returncode == 0, pull.stderr
    try:
        assert "Hello from python-flask!" in run_and_get(podman, pulled)
    finally:
        subprocess.run([podman, "rmi", pulled], capture_output=True)  # no -f: as for the pack-it image
    print(f"\nCI step in podman as {NONROOT}: first build {first_seconds:.1f} s, "
          f"fresh container with --cache-image after a one-line change {second_seconds:.1f} s")
