"""The exporter's output, read back with independent tools: skopeo and umoci."""

import json
import os
import shutil
import subprocess
import tarfile

import pytest

from pack_it.lifecycle.pipeline import BuildOptions, build
from pack_it.packs import REGISTRY
from tests.conftest import SAMPLE_APPS

pytestmark = [pytest.mark.engine, pytest.mark.network]


@pytest.fixture(scope="module")
def built(tmp_path_factory, shared_cache):
    out = tmp_path_factory.mktemp("export")
    app = out / "go-hello"
    shutil.copytree(SAMPLE_APPS / "go-hello", app)
    result = build(BuildOptions(app, output=f"oci:{out / 'layout'}", cache_dir=shared_cache), REGISTRY)
    build(BuildOptions(app, output=f"tar:{out / 'image.tar'}", cache_dir=shared_cache), REGISTRY)
    return out, result


def _run(*argv) -> str:
    proc = subprocess.run(argv, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def test_skopeo_reads_the_layout_config(built, skopeo):
    out, result = built
    config = json.loads(_run(skopeo, "inspect", "--config", f"oci:{out / 'layout'}:go-hello:latest"))
    assert config["config"]["User"] == "65532:65532"
    assert config["config"]["Entrypoint"] == ["/layers/go/app/bin/go-hello"]
    assert "8080/tcp" in config["config"]["ExposedPorts"]
    assert config["created"] == "1980-01-01T00:00:01Z"
    metadata = json.loads(config["config"]["Labels"]["io.pack-it.metadata"])
    assert metadata["run_image"]["reference"] == "static-debian12" and metadata["run_image"]["layers"] == 1
    assert [l["pack"] for l in metadata["layers"]] == ["go"]
    raw = json.loads(_run(skopeo, "inspect", "--raw", f"oci:{out / 'layout'}:go-hello:latest"))
    assert raw["mediaType"] == "application/vnd.oci.image.manifest.v1+json"
    assert {l["mediaType"] for l in raw["layers"]} == {"application/vnd.oci.image.layer.v1.tar+gzip"}


def test_skopeo_reads_the_tarball_as_a_docker_archive_with_its_tag(built, skopeo):
    out, result = built
    info = json.loads(_run(skopeo, "inspect", f"docker-archive:{out / 'image.tar'}"))
    # skopeo names a docker archive's layers by their diff_ids, in the archive's order.
    assert info["Layers"] == result.image.diff_ids and len(info["Layers"]) == 2
    with tarfile.open(out / "image.tar") as tar:
        manifest = json.load(tar.extractfile("manifest.json"))
    assert manifest[0]["RepoTags"] == ["go-hello:latest"]
    # docker load stacks the Layers in this order: bottom (run image) first, as in the manifest.
    assert manifest[0]["Layers"] == ["blobs/sha256/" + d.digest.removeprefix("sha256:") for d in result.image.layers]
    assert manifest[0]["Config"] == "blobs/sha256/" + result.image.config_descriptor.digest.removeprefix("sha256:")
    # The archive's docker half, read back as docker load does, is the same image.
    _run(skopeo, "copy", f"docker-archive:{out / 'image.tar'}", f"oci:{out / 'from-docker'}:x")
    assert json.loads(_run(skopeo, "inspect", "--config", f"oci:{out / 'from-docker'}:x"))["rootfs"]["diff_ids"] == result.image.diff_ids
    # The same tarball is an OCI layout archive too.
    oci_info = json.loads(_run(skopeo, "inspect", f"oci-archive:{out / 'image.tar'}"))
    assert oci_info["Digest"] == result.image.digest


def test_skopeo_copies_between_oci_and_docker_archive(built, skopeo, tmp_path):
    out, _ = built
    _run(skopeo, "copy", f"oci:{out / 'layout'}:go-hello:latest", f"docker-archive:{tmp_path / 'd.tar'}:go-hello:latest")
    _run(skopeo, "copy", f"docker-archive:{tmp_path / 'd.tar'}", f"oci:{tmp_path / 'again'}:copy")
    assert (tmp_path / "again" / "index.json").is_file()


def test_umoci_unpacks_a_rootfs_with_the_expected_files(built, umoci, tmp_path):
    out, _ = built
    _run(umoci, "unpack", "--rootless", "--image", f"{out / 'layout'}:go-hello:latest", str(tmp_path / "bundle"))
    root = tmp_path / "bundle" / "rootfs"
    binary = root / "layers/go/app/bin/go-hello"
    assert binary.is_file() and os.access(binary, os.X_OK)
    assert (root / "tmp").stat().st_mode & 0o7777 == 0o1777
    assert "nonroot:x:65532:65532" in (root / "etc/passwd").read_text()
    assert (root / "etc/nsswitch.conf").is_file() and (root / "etc/os-release").is_file()
    assert (root / "home/nonroot").is_dir()
    # The static stack: CA bundle, time zones, Debian's identity, dpkg status for scanners.
    assert (root / "etc/ssl/certs/ca-certificates.crt").read_text().count("BEGIN CERTIFICATE") > 100
    assert (root / "usr/share/zoneinfo/Europe/Paris").is_file()
    assert "Debian" in (root / "usr/lib/os-release").read_text()
    assert (root / "var/lib/dpkg/status.d/tzdata").is_file()
