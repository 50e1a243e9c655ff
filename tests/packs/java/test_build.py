"""The Java pack's build, for real: Debian's OpenJDK from the archive, Maven Central, the
samples' own wrapper. One session cache serves every Java test (and the end-to-end ones), so
the JDK and the dependencies are downloaded once."""

from __future__ import annotations

import gzip
import io
import json
import tarfile
from pathlib import Path

import pytest

from pack_it.lifecycle.pipeline import BuildOptions, build
from pack_it.lifecycle.reporter import Reporter
from pack_it.packs import REGISTRY

pytestmark = pytest.mark.network  # Maven Central, the Debian archive (see tests/conftest.py)

MB = 1_000_000


def _layers(result) -> dict[str, str]:
    labels = result.image.config_json["config"]["Labels"]
    return {l["name"]: l["diff_id"] for l in json.loads(labels["io.pack-it.metadata"])["layers"] if l["pack"] == "java"}


def _files(result, layout: Path, name: str) -> dict[str, bytes]:
    """path -> content of one java layer in an OCI layout."""
    diff_id = _layers(result)[name]
    layer = result.image.layers[result.image.diff_ids.index(diff_id)]
    data = gzip.decompress((layout / "blobs" / "sha256" / layer.digest[7:]).read_bytes())
    out = {}
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        for member in tar:
            if member.isfile():
                f = tar.extractfile(member)
                assert f is not None
                out[member.name] = f.read()
    return out


def test_spring_boot_layers_wrapper_and_a_one_line_change(tmp_path, app_copy, shared_cache, hermetic_environment):
    app = app_copy("java-spring-boot")
    layout = tmp_path / "oci"
    options = BuildOptions(app, output=f"oci:{layout}", cache_dir=shared_cache)
    first = build(options, REGISTRY)
    layers = _layers(first)
    assert list(layers) == ["runtime", "runtime-dpkg", "dependencies", "spring-boot-loader", "application"]
    assert first.uncompressed_size <= 110 * MB  # distroless java17 alone is about 225 MB

    # The wrapper ran: it fetched Maven 3.9.16 (its distributionUrl) into pack-it's cache, and
    # nothing was written to ~/.m2.
    dists = shared_cache / "packs" / "java" / "maven-user" / "wrapper" / "dists"
    assert list(dists.glob("apache-maven-3.9.16*")), sorted(dists.glob("*"))
    assert not (hermetic_environment / ".m2").exists()

    runtime = _files(first, layout, "runtime")
    home = "usr/lib/jvm/java-17-openjdk-amd64"
    modules = next(line for line in runtime[f"{home}/release"].decode().splitlines() if line.startswith("MODULES="))
    for module in ("java.base", "java.naming", "java.desktop", "jdk.crypto.ec", "java.logging"):
        assert module in modules.split('"')[1].split()
    assert "jdk.compiler" not in modules  # a jlink image: not the whole JDK
    assert f"{home}/lib/libz.so.1" in runtime
    assert runtime[f"{home}/lib/security/cacerts"][:4] == b"\xfe\xed\xfe\xed"
    status = _files(first, layout, "runtime-dpkg")
    assert b"Package: openjdk-17-jre-headless" in status["var/lib/dpkg/status.d/openjdk-17-jre-headless"]
    assert b"Package: zlib1g" in status["var/lib/dpkg/status.d/zlib1g"]
    env = dict(e.split("=", 1) for e in first.image.config_json["config"]["Env"])
    assert env["JAVA_TOOL_OPTIONS"] == "-XX:MaxRAMPercentage=75"

    source = app / "src/main/java/com/example/hello/HelloApplication.java"
    source.write_text(source.read_text().replace("Hello from java-spring-boot!", "Hello again!"))
    second = build(options, REGISTRY)
    changed = [name for name, diff_id in _layers(second).items() if diff_id != layers[name]]
    assert changed == ["application"]
    assert b"Hello again!" in b"".join(_files(second, layout, "application").values())

    third = build(options, REGISTRY)  # nothing changed: the same image, no tool run
    assert third.image.digest == second.image.digest
    assert third.reused_layers == len(layers)


def test_plain_jar_with_maven_from_central_and_its_dependencies(tmp_path, app_copy, shared_cache):
    app = app_copy("java-maven-jar")
    layout = tmp_path / "oci"
    warnings: list[str] = []
    reporter = Reporter()
    reporter.warn = warnings.append  # type: ignore[method-assign]
    result = build(BuildOptions(app, output=f"oci:{layout}", cache_dir=shared_cache), REGISTRY, reporter)
    # lib/*.so find the libjvm.so the launcher loaded through lib/libjvm.so: the native-library
    # scan neither warns that no Debian package ships it nor reads an index to learn that.
    assert not [w for w in warnings if "libjvm" in w], warnings
    assert (shared_cache / "packs" / "java" / "maven" / "3.9.16" / "bin" / "mvn").is_file()  # no wrapper here
    assert list(_layers(result)) == ["runtime", "runtime-dpkg", "lib", "app"]
    assert sorted(_files(result, layout, "lib")) == ["workspace/lib/error_prone_annotations-2.27.0.jar",
                                                     "workspace/lib/gson-2.11.0.jar"]  # gson's own dependency too
    runtime = _files(result, layout, "runtime")
    modules = next(line for line in runtime["usr/lib/jvm/java-17-openjdk-amd64/release"].decode().splitlines()
                   if line.startswith("MODULES="))
    assert "jdk.httpserver" in modules and "java.desktop" not in modules
    assert result.uncompressed_size < 70 * MB


def test_full_runtime_links_every_module(tmp_path, app_copy, shared_cache):
    app = app_copy("java-maven-jar")
    layout = tmp_path / "oci"
    result = build(BuildOptions(app, output=f"oci:{layout}", cache_dir=shared_cache,
                                env={"PACK_IT_JAVA_RUNTIME": "full"}), REGISTRY)
    release = _files(result, layout, "runtime")["usr/lib/jvm/java-17-openjdk-amd64/release"].decode()
    assert "java.desktop" in release and "jdk.compiler" in release
