"""The registry client against a real docker-registry (TLS, htpasswd), through a proxy that
counts requests and injects faults. Images are synthetic (random blobs): cheap and unique."""

from __future__ import annotations

import json
import os
import stat

import pytest

from pack_it.errors import EXPORT_FAILED, INVALID_IMAGE, PackItError
from pack_it.lifecycle import oci
from pack_it.lifecycle.cache import Cache
from pack_it.lifecycle.registry import names
from pack_it.lifecycle.registry.client import RegistryClient, RegistryOptions
from pack_it.lifecycle.registry.credentials import Credentials
from tests.lifecycle.registry.servers import PASSWORD, USER, synthetic_image

SMALL = 100_000  # chunk size and monolithic limit here, so a 300 kB layer goes up in 3 PATCHes


def options(registry, **overrides) -> RegistryOptions:
    sleeps = []
    values = dict(credentials=Credentials(USER, PASSWORD, "test"), ca_file=registry.ca, chunk_size=SMALL,
                  monolithic_limit=SMALL, sleep=sleeps.append, env={"HOME": "/nonexistent"})
    values.update(overrides)
    result = RegistryOptions(**values)
    result.sleeps = sleeps  # what the client waited, for the retry tests
    return result


def client(host: str, repo: str, opts: RegistryOptions, push: bool = False, **kw) -> RegistryClient:
    return RegistryClient(names.parse(f"{host}/{repo}"), opts, push=push, **kw)


@pytest.fixture
def cache(tmp_path) -> Cache:
    return Cache(tmp_path / "cache")


def test_push_then_pull_gives_the_same_image_with_every_blob_verified(registry, proxy, cache, tmp_path):
    image = synthetic_image(cache)
    report = client(proxy.host, "t/round-trip:1", options(registry), push=True).push(image, cache)
    assert sorted(report.uploaded) == sorted([d.digest for d in image.layers] + [image.config_descriptor.digest])
    assert [m for m, p in proxy.blob_writes()].count("PATCH") == 3  # the 300 kB layer went up in chunks

    fresh = Cache(tmp_path / "fresh")
    pulled = client(registry.host, "t/round-trip:1", options(registry)).pull(fresh)
    assert pulled.digest == image.digest
    for d in image.layers:
        assert fresh.blob_path(d.digest).read_bytes() == cache.blob_path(d.digest).read_bytes()
    by_digest = client(registry.host, f"t/round-trip@{image.digest}", options(registry)).pull(Cache(tmp_path / "again"))
    assert by_digest.digest == image.digest


def test_a_second_push_uploads_no_blob(registry, proxy, cache):
    image = synthetic_image(cache)
    client(proxy.host, "t/again:1", options(registry), push=True).push(image, cache)
    proxy.reset()
    report = client(proxy.host, "t/again:2", options(registry), push=True).push(image, cache)
    assert proxy.blob_writes() == []
    assert report.uploaded == [] and len(report.present) == 3
    assert [m for m, p in proxy.requests if "/manifests/" in p] == ["PUT"]


def test_the_registry_certificate_is_verified(registry, cache):
    image = synthetic_image(cache, (10,))
    with pytest.raises(PackItError) as e:
        client(registry.host, "t/tls:1", options(registry, ca_file=None), push=True).push(image, cache)
    assert e.value.exit_code == EXPORT_FAILED
    assert "TLS certificate" in e.value.message and registry.host in e.value.message
    assert "--registry-ca" in e.value.hint


def test_plain_http_only_for_a_host_named_insecure(cache):
    import http.server
    import threading

    class NoImages(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(404)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), NoImages)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    host = f"127.0.0.1:{server.server_address[1]}"
    try:
        with pytest.raises(PackItError) as e:  # HTTPS to a plain-HTTP server: no fallback
            client(host, "t/http:1", RegistryOptions(attempts=1, env={})).pull(cache)
        assert "cannot be reached" in e.value.message and "--insecure-registry" in e.value.hint
        with pytest.raises(PackItError) as e:  # named insecure: plain HTTP reaches it
            client(host, "t/http:1", RegistryOptions(insecure_hosts=frozenset({host}), env={})).pull(cache)
        assert e.value.message == f"The registry {host} has no image {host}/t/http:1."
    finally:
        server.shutdown()


def test_a_wrong_password_is_one_sentence_without_the_password(registry, cache):
    image = synthetic_image(cache, (10,))
    wrong = Credentials(USER, "not-the-Pa55word", "--creds")
    with pytest.raises(PackItError) as e:
        client(registry.host, "t/denied:1", options(registry, credentials=wrong), push=True).push(image, cache)
    assert e.value.exit_code == EXPORT_FAILED
    assert e.value.message == (f"The registry {registry.host} refused the credentials of {USER!r} (from --creds), "
                               "for t/denied.")
    assert "not-the-Pa55word" not in e.value.message + e.value.hint + repr(wrong)


def test_no_credentials_says_so(registry, cache):
    with pytest.raises(PackItError) as e:
        client(registry.host, "t/anon:1", options(registry, credentials=None)).pull(cache)
    assert e.value.exit_code == INVALID_IMAGE
    assert "asks for a user name and password and none were found" in e.value.message


def test_a_credential_helper_named_in_docker_config_is_used(registry, proxy, cache, tmp_path):
    bin_dir, config_dir = tmp_path / "bin", tmp_path / "docker"
    bin_dir.mkdir(), config_dir.mkdir()
    asked = tmp_path / "asked"
    helper = bin_dir / "docker-credential-test"
    helper.write_text(f"#!/bin/sh\n[ \"$1\" = get ] || exit 1\ncat > {asked}\n"
                      f"printf '{{\"ServerURL\":\"%s\",\"Username\":\"{USER}\",\"Secret\":\"{PASSWORD}\"}}' \"$(cat {asked})\"\n")
    helper.chmod(helper.stat().st_mode | stat.S_IEXEC)
    (config_dir / "config.json").write_text(json.dumps({"credHelpers": {proxy.host: "test"}}))
    env = {"PATH": f"{bin_dir}:{os.environ['PATH']}", "DOCKER_CONFIG": str(config_dir), "HOME": str(tmp_path)}
    image = synthetic_image(cache, (10,))
    client(proxy.host, "t/helper:1", options(registry, credentials=None, env=env), push=True).push(image, cache)
    assert asked.read_text() == proxy.host


def test_faults_are_retried_and_an_interrupted_chunked_upload_resumes(registry, proxy, cache, tmp_path):
    from tests.lifecycle.registry.servers import Fault

    image = synthetic_image(cache)
    big = max(image.layers, key=lambda d: d.size).digest
    proxy.faults = [
        Fault("HEAD", "/blobs/", "500"),
        Fault("POST", "/blobs/uploads/", "429"),
        Fault("PATCH", "/blobs/uploads/", "drop"),  # the first chunk of the big layer
        Fault("PUT", "/blobs/uploads/", "drop"),  # a monolithic upload: restarted whole
        Fault("PUT", "/manifests/", "500"),
    ]
    opts = options(registry)
    report = client(proxy.host, "t/faults:1", opts, push=True).push(image, cache)
    assert all(f.times == 0 for f in proxy.faults), proxy.applied
    assert big in report.uploaded
    assert 1.0 in opts.sleeps  # Retry-After: 1 was honoured
    assert client(registry.host, "t/faults:1", options(registry)).pull(Cache(tmp_path / "back")).digest == image.digest


def test_a_chunk_dropped_after_the_first_resumes_from_the_registry_offset(registry, proxy, cache, tmp_path):
    from tests.lifecycle.registry.servers import Fault

    image = synthetic_image(cache, (300_000,))
    proxy.faults = [Fault("PATCH", "/blobs/uploads/", "drop", times=0)]
    patches = []
    original = proxy.take_fault

    def second_patch_drops(method, path):
        if method == "PATCH":
            patches.append(path)
            if len(patches) == 2:
                proxy.applied.append("drop")
                return "drop"
        return original(method, path)

    proxy.take_fault = second_patch_drops
    try:
        client(proxy.host, "t/resume:1", options(registry), push=True).push(image, cache)
    finally:
        del proxy.take_fault
    statuses = [p for m, p in proxy.requests if m == "GET" and "/blobs/uploads/" in p]
    assert statuses, "the client asked the registry where the upload stood"
    assert len(patches) == 4  # chunk 1, chunk 2 (dropped), chunk 2 again, chunk 3: nothing re-sent from 0
    assert client(registry.host, "t/resume:1", options(registry)).pull(Cache(tmp_path / "back")).digest == image.digest


def test_a_corrupted_blob_is_refused_and_not_cached(registry, proxy, cache, tmp_path):
    from tests.lifecycle.registry.servers import Fault

    image = synthetic_image(cache, (5000,))
    client(registry.host, "t/corrupt:1", options(registry), push=True).push(image, cache)
    proxy.faults = [Fault("GET", f"/blobs/{image.layers[0].digest}", "corrupt")]
    fresh = Cache(tmp_path / "fresh")
    with pytest.raises(PackItError) as e:
        client(proxy.host, "t/corrupt:1", options(registry, attempts=1)).pull(fresh)
    assert e.value.exit_code == INVALID_IMAGE
    assert "does not match its digest" in e.value.message
    assert not fresh.has_blob(image.layers[0].digest)


def test_an_index_is_resolved_to_linux_amd64(registry, cache, tmp_path):
    amd64, arm64 = synthetic_image(cache, (100,)), synthetic_image(cache, (200,))
    push = client(registry.host, "t/index:1", options(registry), push=True)
    for image in (amd64, arm64):
        push.push(image, cache)
    index = {"schemaVersion": 2, "mediaType": oci.INDEX, "manifests": [
        {**arm64.descriptor().to_json(), "platform": {"os": "linux", "architecture": "arm64"}},
        {**amd64.descriptor().to_json(), "platform": {"os": "linux", "architecture": "amd64"}}]}
    response = push._call("PUT", "/v2/t/index/manifests/multi", {"Content-Type": oci.INDEX}, oci.canonical_json(index))
    assert response.status == 201
    pulled = client(registry.host, "t/index:multi", options(registry)).pull(Cache(tmp_path / "p"))
    assert pulled.digest == amd64.digest


def test_the_bearer_token_flow(registry, proxy, cache):
    proxy.bearer = True
    image = synthetic_image(cache, (10,))
    client(proxy.host, "t/bearer:1", options(registry), push=True).push(image, cache)
    assert proxy.token_requests and all("scope=repository%3At%2Fbearer%3Apull%2Cpush" in p for p in proxy.token_requests)
    assert "service=pack-it-test" in proxy.token_requests[0]
    with pytest.raises(PackItError) as e:
        client(proxy.host, "t/bearer:1", options(registry, credentials=Credentials(USER, "nope-nope", "--creds"))).pull(cache)
    assert "refused the credentials" in e.value.message and "nope-nope" not in e.value.message


def test_run_image_layers_are_mounted_from_their_repository(registry, proxy, cache):
    from pack_it.lifecycle.oci import Image
    from pack_it.lifecycle.publish.registry import RegistryPublisher

    run = synthetic_image(cache, (1000, 2000))
    client(registry.host, "t/run-image:1", options(registry), push=True).push(run, cache)
    app_layer = synthetic_image(cache, (300,)).layers[0]
    label = json.dumps({"run_image": {"reference": f"{proxy.host}/t/run-image:1", "layers": 2}})
    config = {"architecture": "amd64", "os": "linux", "config": {"Labels": {oci.METADATA_LABEL: label}},
              "rootfs": {"type": "layers", "diff_ids": [d.digest for d in [*run.layers, app_layer]]}}
    app = Image.assemble(config, [*run.layers, app_layer])
    cache.put_bytes(app.config)
    publisher = RegistryPublisher(f"{proxy.host}/t/app-on-run:1", options(registry))
    publisher.publish(app, cache, "app-on-run:1")
    assert sorted(publisher.report.mounted) == sorted(d.digest for d in run.layers)
    assert app_layer.digest in publisher.report.uploaded
    assert [p for m, p in proxy.requests if m == "POST" and "mount=" in p and "from=t%2Frun-image" in p]


def test_a_manifest_not_matching_the_registrys_digest_is_refused(registry, proxy, cache, tmp_path):
    from tests.lifecycle.registry.servers import Fault

    image = synthetic_image(cache, (100,))
    client(registry.host, "t/bad-manifest:1", options(registry), push=True).push(image, cache)
    proxy.faults = [Fault("GET", "/manifests/1", "corrupt")]
    with pytest.raises(PackItError) as e:
        client(proxy.host, "t/bad-manifest:1", options(registry)).pull(Cache(tmp_path / "p"))
    assert e.value.exit_code == INVALID_IMAGE
    assert e.value.message.startswith("The manifest of") and "does not match its digest" in e.value.message


def test_a_redirect_to_blob_storage_does_not_carry_the_credentials(cache, tmp_path):
    import http.server
    import threading

    image = synthetic_image(cache, (1000,))
    layer = image.layers[0].digest
    seen_by_storage = []

    class Storage(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            seen_by_storage.append(self.headers.get("Authorization"))
            data = cache.blob_path(layer).read_bytes()
            self.send_response(200)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args):
            pass

    storage = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Storage)
    storage_host = f"127.0.0.1:{storage.server_address[1]}"

    class Registry(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            if not self.headers.get("Authorization"):
                self.send_response(401)
                self.send_header("WWW-Authenticate", 'Basic realm="test"')
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            if self.path.endswith(layer):
                self.send_response(307)
                self.send_header("Location", f"http://{storage_host}/signed/blob")
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            data = image.manifest if "/manifests/" in self.path else image.config
            self.send_response(200)
            self.send_header("Content-Type", oci.MANIFEST)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args):
            pass

    registry_server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Registry)
    host = f"127.0.0.1:{registry_server.server_address[1]}"
    for server in (storage, registry_server):
        threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        opts = RegistryOptions(credentials=Credentials(USER, PASSWORD), insecure_hosts=frozenset({host, storage_host}), env={})
        pulled = client(host, "t/redirect:1", opts).pull(Cache(tmp_path / "p"))
        assert pulled.digest == image.digest
        assert seen_by_storage == [None]
    finally:
        storage.shutdown(), registry_server.shutdown()


def test_a_push_by_digest_puts_the_manifest_under_its_digest(registry, proxy, cache, tmp_path):
    image = synthetic_image(cache, (100,))
    client(proxy.host, f"t/by-digest@{image.digest}", options(registry), push=True).push(image, cache)
    assert [p for m, p in proxy.requests if m == "PUT" and "/manifests/" in p][-1] == f"/v2/t/by-digest/manifests/{image.digest}"
    assert client(registry.host, f"t/by-digest@{image.digest}", options(registry)).pull(Cache(tmp_path / "p")).digest == image.digest
    other = synthetic_image(cache, (100,))
    with pytest.raises(PackItError) as e:
        client(proxy.host, f"t/by-digest@{image.digest}", options(registry), push=True).push(other, cache)
    assert "names a digest" in e.value.message
