"""`pack-it build --publish` and `--output registry:REF` against a real registry (TLS from a
test CA, htpasswd), read back with skopeo and run with podman; `--run-image` and `inspect`
from the registry. One Go app, built once into the session's cache."""

from __future__ import annotations

import json
import subprocess

import pytest

from pack_it.errors import EXPORT_FAILED
from tests.lifecycle.publish.helpers import pack_it, run_and_get
from tests.lifecycle.registry.servers import PASSWORD

# Builds run in the sandbox, on a build root assembled from the Debian archive's packages.
pytestmark = pytest.mark.network


@pytest.fixture(scope="module")
def app(tmp_path_factory, go_tool):
    import shutil

    from tests.conftest import SAMPLE_APPS

    target = tmp_path_factory.mktemp("apps") / "go-hello"
    shutil.copytree(SAMPLE_APPS / "go-hello", target)
    return target


@pytest.fixture(scope="module")
def published(app, registry, proxy_server, shared_cache, tmp_path_factory):
    """go-hello pushed through the proxy, with the requests it took."""
    proxy_server.reset()
    digest_file = tmp_path_factory.mktemp("out") / "digest"
    proc = pack_it("build", app, "--publish", "-t", f"{proxy_server.host}/apps/go-hello:1", "--run-image", "base",
                   "--registry-ca", registry.ca, "--creds", registry.creds, "--digest-file", digest_file,
                   "--cache-dir", shared_cache)
    assert proc.returncode == 0, proc.stderr
    return {"proc": proc, "digest": digest_file.read_text().strip(), "requests": list(proxy_server.requests),
            "ref": f"{registry.host}/apps/go-hello:1"}


def build_args(app, registry, shared_cache, *extra):
    return ["build", app, "--run-image", "base", "--registry-ca", registry.ca, "--cache-dir", shared_cache, *extra]


def test_publish_prints_and_writes_the_pushed_digest(published):
    digest = published["digest"]
    assert digest.startswith("sha256:") and len(digest) == 71
    assert f"digest: {digest}" in published["proc"].stdout
    assert f"@{digest}" in published["proc"].stdout  # the run line names the image by digest
    assert [m for m, p in published["requests"] if "/manifests/" in p] == ["PUT"]


def test_skopeo_reads_back_the_same_manifest(published, registry, skopeo, tmp_path):
    inspect = subprocess.run([skopeo, "inspect", "--raw", "--cert-dir", registry.cert_dir, "--creds", registry.creds,
                              f"docker://{published['ref']}"], capture_output=True)
    assert inspect.returncode == 0, inspect.stderr
    import hashlib

    assert "sha256:" + hashlib.sha256(inspect.stdout).hexdigest() == published["digest"]
    copy = subprocess.run([skopeo, "copy", "--src-cert-dir", registry.cert_dir, "--src-creds", registry.creds,
                           f"docker://{published['ref']}", f"oci:{tmp_path / 'layout'}:go-hello"],
                          capture_output=True, text=True)
    assert copy.returncode == 0, copy.stderr


def test_the_pulled_image_runs_in_podman(published, registry, podman):
    pull = subprocess.run([podman, "pull", "--cert-dir", registry.cert_dir, "--creds", registry.creds, published["ref"]],
                          capture_output=True, text=True)
    assert pull.returncode == 0, pull.stderr
    try:
        assert "Hello from go-hello!" in run_and_get(podman, published["ref"])
    finally:
        subprocess.run([podman, "rmi", "-f", published["ref"]], capture_output=True)


def test_a_second_push_of_the_unchanged_app_uploads_no_blob(published, app, registry, proxy, shared_cache):
    proc = pack_it(*build_args(app, registry, shared_cache, "--publish", "-t", f"{proxy.host}/apps/go-hello:1",
                               "--creds", registry.creds))
    assert proc.returncode == 0, proc.stderr
    assert proxy.blob_writes() == []
    assert "pushed 0 blobs" in proc.stderr
    assert f"digest: {published['digest']}" in proc.stdout


def test_a_wrong_password_is_one_sentence_exit_61_and_never_shown(published, app, registry, shared_cache):
    wrong = "Wr0ng-Pa55-" + PASSWORD
    proc = pack_it(*build_args(app, registry, shared_cache, "-v", "--output", f"registry:{registry.host}/apps/denied:1"),
                   env={"PACK_IT_REGISTRY_USERNAME": registry.username, "PACK_IT_REGISTRY_PASSWORD": wrong})
    assert proc.returncode == EXPORT_FAILED
    errors = [line for line in proc.stderr.splitlines() if line.startswith(("error:", "hint:"))]
    assert errors[0] == (f"error: The registry {registry.host} refused the credentials of {registry.username!r} "
                         "(from PACK_IT_REGISTRY_USERNAME/PASSWORD), for apps/denied.")
    assert errors[1].startswith("hint: Check the user name and password")
    assert "Traceback" not in proc.stderr
    assert wrong not in proc.stdout + proc.stderr


def test_the_registry_certificate_must_verify(published, app, registry, shared_cache):
    proc = pack_it("build", app, "--run-image", "base", "--cache-dir", shared_cache, "--creds", registry.creds,
                   "--publish", "-t", f"{registry.host}/apps/untrusted:1")
    assert proc.returncode == EXPORT_FAILED
    assert f"error: The TLS certificate of the registry {registry.host} cannot be verified" in proc.stderr
    assert PASSWORD not in proc.stdout + proc.stderr


def test_run_image_from_the_registry_and_its_layers_mounted(published, app, registry, proxy, shared_cache, tmp_path):
    run_ref = f"{proxy.host}/apps/go-hello:1"
    proc = pack_it("build", app, "--run-image", run_ref, "--registry-ca", registry.ca, "--creds", registry.creds,
                   "--cache-dir", tmp_path / "cold-cache", "--output", f"registry:{proxy.host}/apps/layered:1")
    assert proc.returncode == 0, proc.stderr
    assert f"pulled {run_ref}" in proc.stderr
    assert "mounted from apps/go-hello" in proc.stderr
    assert [p for m, p in proxy.requests if m == "POST" and "mount=" in p]

    inspect = pack_it("inspect", f"registry:{proxy.host}/apps/layered:1", "--json", "--registry-ca", registry.ca,
                      "--creds", registry.creds, "--cache-dir", tmp_path / "inspect-cache")
    assert inspect.returncode == 0, inspect.stderr
    info = json.loads(inspect.stdout)
    assert info["run_image"]["reference"] == run_ref
    assert info["layers"][-1]["made_by"].startswith("go/")
    assert info["layers"][0]["made_by"] == f"run image {run_ref}"


def test_publish_needs_a_registry_tag_and_no_output(tmp_path):
    proc = pack_it("build", tmp_path, "--publish")
    assert proc.returncode == 1 and "error: --publish pushes to the registry -t names" in proc.stderr
    proc = pack_it("build", tmp_path, "--output", "registry:just-a-name")
    assert proc.returncode == 1 and "error: 'just-a-name' is not a registry image reference." in proc.stderr
