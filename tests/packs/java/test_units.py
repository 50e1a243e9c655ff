"""The Java pack's parts that need no network: the JKS trust store, the class-file reader
behind the module analysis, Spring Boot's layers.idx split, and the choice of the jar."""

from __future__ import annotations

import subprocess
import zipfile
from pathlib import Path

import pytest

from pack_it.detectors.java.facts import JavaFacts
from pack_it.errors import PackItError
from pack_it.packs import java as java_pack
from pack_it.packs.java import cacerts, classes, springboot
from tests.conftest import need

# A self-signed certificate (openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256).
def _certificate(tmp_path: Path) -> bytes:
    openssl = need("openssl", ["version"])
    out = tmp_path / "c.pem"
    subprocess.run([openssl, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                    "-keyout", str(tmp_path / "k.pem"), "-out", str(out), "-subj", "/CN=pack-it test CA",
                    "-days", "2"], check=True, capture_output=True)
    return out.read_bytes()


def test_jks_trust_store_is_read_by_keytool_with_the_default_password(tmp_path):
    keytool = need("keytool", ["-help"])
    pem = _certificate(tmp_path)
    store = tmp_path / "cacerts"
    store.write_bytes(cacerts.jks(cacerts.der_certificates({"usr/share/ca-certificates/x/Test_CA.crt": pem * 2}), 1))
    listing = subprocess.run([keytool, "-list", "-keystore", str(store), "-storepass", "changeit"],
                             capture_output=True, text=True)
    assert listing.returncode == 0, listing.stdout + listing.stderr
    assert "Your keystore contains 2 entries" in listing.stdout
    assert "debian:test_ca.crt," in listing.stdout and "debian:test_ca.crt-1," in listing.stdout
    assert "trustedCertEntry" in listing.stdout
    # The integrity digest covers the content: a flipped byte is refused.
    broken = bytearray(store.read_bytes())
    broken[40] ^= 1
    store.write_bytes(bytes(broken))
    again = subprocess.run([keytool, "-list", "-keystore", str(store), "-storepass", "changeit"],
                           capture_output=True, text=True)
    assert again.returncode != 0


def test_jks_is_deterministic():
    certs = {"debian:b": b"\x30\x03\x02\x01\x01", "debian:a": b"\x30\x03\x02\x01\x02"}
    assert cacerts.jks(certs, 5) == cacerts.jks(dict(reversed(list(certs.items()))), 5)
    assert cacerts.jks(certs, 5) != cacerts.jks(certs, 6)


SERVER = """
import com.sun.net.httpserver.HttpServer;
import java.net.InetSocketAddress;
public class Srv {
    static java.util.function.Supplier<String> s = () -> java.util.logging.Logger.getGlobal().getName();
    public static void main(String[] a) throws Exception {
        HttpServer.create(new InetSocketAddress(8080), 0).start();
        double d = 1.5; long l = 7L;
    }
    static void onlyInASignature(java.sql.Date date) {}  // java.sql appears in a descriptor only
}
"""
PACKAGES = {"java/lang": "java.base", "java/net": "java.base", "java/util/function": "java.base",
            "java/util/logging": "java.logging", "com/sun/net/httpserver": "jdk.httpserver", "java/sql": "java.sql"}


def test_class_references_give_the_modules_jdeps_would(tmp_path):
    javac = need("javac", ["-version"])
    (tmp_path / "Srv.java").write_text(SERVER)
    subprocess.run([javac, "-d", str(tmp_path / "out"), str(tmp_path / "Srv.java")], check=True)
    expected = {"java.base", "java.logging", "jdk.httpserver", "java.sql"}
    assert classes.modules([tmp_path / "out"], PACKAGES) == expected
    with zipfile.ZipFile(tmp_path / "app.jar", "w") as z:
        z.write(tmp_path / "out" / "Srv.class", "Srv.class")
        z.writestr("BOOT-INF/lib/skipped.class", b"\xca\xfe\xba\xbe")
    assert classes.modules([tmp_path / "app.jar"], PACKAGES) == expected
    jdeps = need("jdeps", ["--version"])
    printed = subprocess.run([jdeps, "--print-module-deps", str(tmp_path / "out")], capture_output=True, text=True)
    # jdeps prints the reduced set: java.sql requires java.logging transitively (jlink adds it back).
    assert set(printed.stdout.strip().split(",")) == expected - {"java.logging"}


def test_not_a_class_file_is_skipped(tmp_path):
    (tmp_path / "x").mkdir()
    (tmp_path / "x" / "Bad.class").write_bytes(b"\x00\x01garbage")
    assert classes.modules([tmp_path / "x"], PACKAGES) == set()


def test_package_map_from_jmods(tmp_path):
    jmods = tmp_path / "jmods"
    jmods.mkdir()
    with zipfile.ZipFile(jmods / "java.logging.jmod", "w") as z:
        z.writestr("classes/java/util/logging/Logger.class", b"")
        z.writestr("classes/module-info.class", b"")
    assert classes.package_modules(jmods, tmp_path / "map.json") == {"java/util/logging": "java.logging"}
    assert (tmp_path / "map.json").is_file()


LAYERS_IDX = """- "dependencies":
  - "BOOT-INF/lib/"
- "spring-boot-loader":
  - "org/"
- "snapshot-dependencies":
- "application":
  - "BOOT-INF/classes/"
  - "BOOT-INF/classpath.idx"
  - "BOOT-INF/layers.idx"
  - "META-INF/"
"""


def boot_jar(path: Path, greeting: bytes = b"hello") -> Path:
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("META-INF/MANIFEST.MF", "Main-Class: org.springframework.boot.loader.launch.JarLauncher\n")
        z.writestr("org/springframework/boot/loader/launch/JarLauncher.class", b"loader")
        z.writestr("BOOT-INF/layers.idx", LAYERS_IDX)
        z.writestr("BOOT-INF/lib/dep-1.0.jar", b"dependency")
        z.writestr("BOOT-INF/classes/com/example/App.class", greeting)
        z.writestr("unlisted.txt", b"x")
    return path


def test_boot_jar_splits_by_layers_idx(tmp_path):
    jar = boot_jar(tmp_path / "a.jar")
    assert springboot.is_boot_jar(jar)
    split = springboot.split(jar)
    assert [name for name, _, _ in split] == ["dependencies", "spring-boot-loader", "application"]  # no snapshots
    files = {name: sorted(e.filename for e in entries) for name, entries, _ in split}
    assert files["dependencies"] == ["BOOT-INF/lib/dep-1.0.jar"]
    assert files["application"] == ["BOOT-INF/classes/com/example/App.class", "BOOT-INF/layers.idx",
                                    "META-INF/MANIFEST.MF", "unlisted.txt"]
    springboot.extract(jar, split[0][1], tmp_path / "out")
    assert (tmp_path / "out" / "BOOT-INF/lib/dep-1.0.jar").read_bytes() == b"dependency"


def test_a_one_line_change_changes_only_the_application_digest(tmp_path):
    before = {n: d for n, _, d in springboot.split(boot_jar(tmp_path / "a.jar", b"hello"))}
    after = {n: d for n, _, d in springboot.split(boot_jar(tmp_path / "b.jar", b"hello!"))}
    assert [n for n in before if before[n] != after[n]] == ["application"]


def test_a_broken_layers_idx_names_its_line():
    with pytest.raises(PackItError) as info:
        springboot.parse_index('- "dependencies":\n  - "BOOT-INF/lib/"\nnonsense\n', "app.jar!/BOOT-INF/layers.idx")
    assert "app.jar!/BOOT-INF/layers.idx line 3" in info.value.message


def test_a_zip_entry_leaving_the_root_is_refused(tmp_path):
    jar = tmp_path / "evil.jar"
    with zipfile.ZipFile(jar, "w") as z:
        z.writestr("BOOT-INF/lib/../../../../etc/x", b"x")
    with zipfile.ZipFile(jar) as z:
        entries = z.infolist()
    with pytest.raises(PackItError):
        springboot.extract(jar, entries, tmp_path / "out")
    assert not (tmp_path / "etc").exists()


def facts(**changes) -> JavaFacts:
    base = dict(build_tool="maven", build_file="pom.xml", wrapper=None, module="", module_reason="", java_version="17",
                java_asked=None, java_source="default", framework=None, framework_version=None, main_class=None,
                kotlin=False, jar=None, runtime="jlink", debian_release="debian12")
    return JavaFacts(**{**base, **changes})


def test_pick_jar_never_takes_plain_sources_or_original_jars(tmp_path):
    for name in ("app-1.0-plain.jar", "app-1.0-sources.jar", "app-1.0-javadoc.jar", "original-app-1.0.jar"):
        (tmp_path / name).write_bytes(b"")
    with zipfile.ZipFile(tmp_path / "app-1.0.jar", "w") as z:
        z.writestr("META-INF/MANIFEST.MF", "Main-Class: a.B\n")
    assert java_pack.pick_jar(tmp_path, facts()).name == "app-1.0.jar"
    with zipfile.ZipFile(tmp_path / "app-1.0-all.jar", "w") as z:  # a shaded jar beside the thin one
        z.writestr("META-INF/MANIFEST.MF", "Main-Class: a.B\n")
    with pytest.raises(PackItError) as info:
        java_pack.pick_jar(tmp_path, facts())
    assert "several executable jars" in info.value.message


def test_pick_jar_with_nothing_built(tmp_path):
    with pytest.raises(PackItError) as info:
        java_pack.pick_jar(tmp_path, facts())
    assert "wrote no executable jar" in info.value.message


def test_build_outputs_are_not_source(tmp_path):
    from pack_it.detectors.source import SourceTree
    from tests.detectors.trees import write_tree

    tree = write_tree(tmp_path, {"pom.xml": "<project/>", "src/main/java/a/build/B.java": "",
                                 "target/app.jar": "", "web/target/classes/A.class": "", "build/libs/x.jar": "",
                                 ".gradle/caches/x": "", "src/main/java/A.java": ""})
    assert java_pack.source_files(SourceTree(tmp_path), facts()) == (
        "pom.xml", "src/main/java/A.java", "src/main/java/a/build/B.java")
    assert tree is not None


def test_layer_digests_read_the_content_not_only_the_zip_crc(tmp_path):
    # "plumless" and "buckeroo" have the same CRC-32 and size: the zip's own fields cannot tell them apart.
    before = {n: d for n, _, d in springboot.split(boot_jar(tmp_path / "a.jar", b"plumless"))}
    after = {n: d for n, _, d in springboot.split(boot_jar(tmp_path / "b.jar", b"buckeroo"))}
    assert before["application"] != after["application"]


def _ar(members: dict[str, bytes]) -> bytes:
    out = b"!<arch>\n"
    for name, data in members.items():
        out += f"{name:<16}{0:<12}{0:<6}{0:<6}{100644:<8}{len(data):<10}`\n".encode() + data
        out += b"\n" if len(data) % 2 else b""
    return out


def _tar_gz(build) -> bytes:
    import io
    import tarfile

    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        build(tar)
    return buffer.getvalue()


def test_unpacked_jdk_links_resolve_inside_its_root_never_the_hosts(tmp_path):
    """Debian's JDK links lib/security/* to /etc/java-N-openjdk: unpacked as they are, they
    would read the host's configuration."""
    import hashlib
    import io
    import tarfile

    from pack_it.lifecycle.cache import Cache
    from pack_it.lifecycle.stacks.debian import Package
    from pack_it.packs.java import jdk

    def control(tar):
        info = tarfile.TarInfo("./control")
        text = b"Package: openjdk-17-jre-headless\nVersion: 17\n"
        info.size = len(text)
        tar.addfile(info, io.BytesIO(text))

    def data(tar):
        policy = tarfile.TarInfo("./etc/java-17-openjdk/security/default.policy")
        policy.size = 6
        tar.addfile(policy, io.BytesIO(b"grant\n"))
        link = tarfile.TarInfo("./usr/lib/jvm/java-17-openjdk-amd64/lib/security/default.policy")
        link.type, link.linkname = tarfile.SYMTYPE, "/etc/java-17-openjdk/security/default.policy"
        tar.addfile(link)

    deb = _ar({"debian-binary": b"2.0\n", "control.tar.gz": _tar_gz(control), "data.tar.gz": _tar_gz(data)})
    cache = Cache(tmp_path / "cache")
    sha = hashlib.sha256(deb).hexdigest()
    blob = cache.blob_path("sha256:" + sha)
    blob.parent.mkdir(parents=True, exist_ok=True)
    blob.write_bytes(deb)
    package = Package("openjdk-17-jre-headless", "17", "amd64", "pool/x.deb", sha, len(deb), "debian")
    root = tmp_path / "root"
    jdk.unpack([package], cache, root)
    link = root / "usr/lib/jvm/java-17-openjdk-amd64/lib/security/default.policy"
    assert not Path(link.readlink()).is_absolute()
    assert link.resolve() == (root / "etc/java-17-openjdk/security/default.policy").resolve()
    assert link.read_text() == "grant\n"
    assert (root / "var/lib/dpkg/status.d/openjdk-17-jre-headless").read_text().startswith("Package: openjdk-17")
    cache.close()


def test_a_gradle_build_without_its_wrapper_never_runs_the_hosts_gradle(tmp_path):
    from types import SimpleNamespace

    from pack_it.errors import MISSING_TOOLCHAIN
    from pack_it.packs.java import tools

    gradle = tmp_path / "bin" / "gradle"
    gradle.parent.mkdir()
    gradle.write_text("#!/bin/sh\n")
    gradle.chmod(0o755)
    ctx = SimpleNamespace(provided_toolchains=True, build_env={"PATH": str(gradle.parent)})
    with pytest.raises(PackItError) as info:
        tools.gradle_argv(ctx, facts(build_tool="gradle", build_file="build.gradle.kts"), tmp_path)  # type: ignore[arg-type]
    assert info.value.exit_code == MISSING_TOOLCHAIN and "no ./gradlew" in info.value.message
    host = SimpleNamespace(provided_toolchains=False, build_env={"PATH": str(gradle.parent)})  # --toolchain host
    argv = tools.gradle_argv(host, facts(build_tool="gradle", build_file="build.gradle.kts"), tmp_path)  # type: ignore[arg-type]
    assert argv[0] == str(gradle)


def test_the_build_trust_store_is_made_once_per_stack_bundle_and_host_bundle(tmp_path, monkeypatch):
    from pack_it.lifecycle.cache import Cache
    from pack_it.lifecycle.reporter import Reporter

    made = []
    stack = {"debian:stack.crt": b"\x30\x03\x02\x01\x01"}
    monkeypatch.setattr(cacerts, "stack_certificates", lambda *a: made.append(a) or stack)
    pem = _certificate(tmp_path)
    (tmp_path / "host.pem").write_bytes(pem)
    monkeypatch.setenv("SSL_CERT_FILE", str(tmp_path / "host.pem"))
    cache, where = Cache(tmp_path / "cache"), tmp_path / "stores"
    first = cacerts.build_store("debian12", cache, Reporter(), where)
    assert first.read_bytes() == cacerts.for_build("debian12", cache, Reporter())  # the same store, kept
    assert cacerts.build_store("debian12", cache, Reporter(), where) == first
    assert len(made) == 2  # the store above, and for_build's: the second build_store made nothing
    (tmp_path / "host.pem").write_bytes(pem + pem)  # a host bundle with another CA: another store
    second = cacerts.build_store("debian12", cache, Reporter(), where)
    assert second != first and len(made) == 3 and sorted(p.name for p in where.iterdir()) == sorted(
        [first.name, second.name])
