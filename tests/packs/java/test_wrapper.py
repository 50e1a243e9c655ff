"""The Maven wrapper's distribution pack-it installs for an only-script ./mvnw: at the path the
sample's real script computes, checked against distributionSha256Sum. No network: a local
HTTP server serves a hand-made distribution."""

from __future__ import annotations

import hashlib
import http.server
import io
import os
import shutil
import subprocess
import threading
import zipfile
from pathlib import Path
from types import SimpleNamespace

import pytest

from pack_it.errors import MISSING_TOOLCHAIN, PackItError
from pack_it.lifecycle.cache import Cache
from pack_it.lifecycle.reporter import Reporter
from pack_it.packs.java import wrapper
from tests.conftest import SAMPLE_APPS

FAKE_MVN = "#!/bin/sh\necho \"fake maven: $*\"\n"


def _distribution_zip(extra: dict[str, str] | None = None) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        info = zipfile.ZipInfo("apache-maven-3.9.16/bin/mvn")
        info.external_attr = 0o100755 << 16
        z.writestr(info, FAKE_MVN)
        z.writestr("apache-maven-3.9.16/lib/maven-core.jar", b"PK")
        for name, text in (extra or {}).items():
            z.writestr(name, text)
    return buf.getvalue()


@pytest.fixture
def server():
    """(base URL, files dict): serves files[path] over HTTP on 127.0.0.1."""
    files: dict[str, bytes] = {}

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            body = files.get(self.path)
            self.send_response(200 if body is not None else 404)
            self.end_headers()
            self.wfile.write(body or b"")

        def log_message(self, *args):
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}", files
    httpd.shutdown()


def _project(tmp_path: Path, url: str, sha256: str | None) -> Path:
    """A copy of the java-spring-boot sample's wrapper (its real mvnw) pointing at `url`."""
    project = tmp_path / "app"
    (project / ".mvn/wrapper").mkdir(parents=True)
    shutil.copy2(SAMPLE_APPS / "java-spring-boot/mvnw", project / "mvnw")
    lines = ["wrapperVersion=3.3.4", "distributionType=only-script", f"distributionUrl={url}"]
    if sha256:
        lines.append(f"distributionSha256Sum={sha256}")
    (project / wrapper.PROPERTIES).write_text("\n".join(lines) + "\n")
    return project


def _ctx(tmp_path: Path) -> SimpleNamespace:
    work = tmp_path / "work"
    work.mkdir(parents=True)
    return SimpleNamespace(cache=Cache(tmp_path / "cache"), work=work, reporter=Reporter())


def _mvnw(project: Path, user_home: Path, **env: str) -> subprocess.CompletedProcess:
    # No wget, curl or java on PATH: a script that does not find pack-it's install fails at once.
    return subprocess.run(["sh", str(project / "mvnw"), "-v"], capture_output=True, text=True, timeout=60,
                          env={"PATH": "/usr/bin:/bin", "HOME": str(user_home.parent), "JAVA_HOME": "/nonexistent",
                               "MAVEN_USER_HOME": str(user_home), **env})


@pytest.mark.parametrize("repo_url", [None, "mirror"])
def test_the_real_mvnw_finds_the_distribution_pack_it_installed(tmp_path, server, repo_url):
    base, files = server
    data = _distribution_zip()
    path = "/maven2/org/apache/maven/apache-maven/3.9.16/apache-maven-3.9.16-bin.zip"
    files[path] = data
    env = {"MVNW_REPOURL": base + "/maven2"} if repo_url else {}
    # With MVNW_REPOURL the script rewrites the URL (and so its directory's hash): the
    # properties name a host that is never asked.
    url = ("https://unreachable.invalid/maven2" if repo_url else base + "/maven2") + path[len("/maven2"):]
    project = _project(tmp_path, url, hashlib.sha256(data).hexdigest())
    dist = wrapper.distribution(project, env)
    assert dist is not None and dist.name == "apache-maven-3.9.16"
    user_home = tmp_path / "maven-user"
    home = wrapper.install(_ctx(tmp_path), dist, user_home)  # type: ignore[arg-type]
    assert os.access(home / "bin/mvn", os.X_OK)
    assert (home / "mvnw.url").read_text().strip() == base + path
    files.clear()  # a script looking elsewhere would download it again; it must not find it
    run = _mvnw(project, user_home, **env)
    assert run.stdout.strip() == "fake maven: -v", run.stdout + run.stderr
    assert wrapper.install(_ctx(tmp_path / "again"), dist, user_home) == home  # once: no second download


def test_a_mirror_of_maven_central_serves_the_same_file(tmp_path, server):
    base, files = server
    data = _distribution_zip()
    files["/m/org/apache/maven/apache-maven/3.9.16/apache-maven-3.9.16-bin.zip"] = data
    url = wrapper_url = "https://repo.maven.apache.org/maven2/org/apache/maven/apache-maven/3.9.16/apache-maven-3.9.16-bin.zip"
    project = _project(tmp_path, url, hashlib.sha256(data).hexdigest())
    dist = wrapper.distribution(project, {})
    assert dist is not None
    home = wrapper.install(_ctx(tmp_path), dist, tmp_path / "mu",  # type: ignore[arg-type]
                           mirror=("https://repo.maven.apache.org/maven2", base + "/m"))
    assert home == tmp_path / "mu/wrapper/dists/apache-maven-3.9.16" / wrapper.hash_string(wrapper_url)
    assert (home / "mvnw.url").read_text().strip() == url  # where the script thinks it came from


def test_a_wrong_distribution_sha256_names_the_file_and_line_and_installs_nothing(tmp_path, server):
    base, files = server
    files["/apache-maven-3.9.16-bin.zip"] = _distribution_zip()
    project = _project(tmp_path, base + "/apache-maven-3.9.16-bin.zip", "0" * 64)
    dist = wrapper.distribution(project, {})
    assert dist is not None
    user_home = tmp_path / "maven-user"
    with pytest.raises(PackItError) as e:
        wrapper.install(_ctx(tmp_path), dist, user_home)  # type: ignore[arg-type]
    assert e.value.exit_code == MISSING_TOOLCHAIN
    assert str(e.value).startswith(".mvn/wrapper/maven-wrapper.properties, line 4: distributionSha256Sum")
    assert not user_home.exists()


def test_an_unsafe_distribution_entry_is_refused(tmp_path, server):
    base, files = server
    data = _distribution_zip({"apache-maven-3.9.16/../../escaped": "x"})
    files["/apache-maven-3.9.16-bin.zip"] = data
    project = _project(tmp_path, base + "/apache-maven-3.9.16-bin.zip", hashlib.sha256(data).hexdigest())
    dist = wrapper.distribution(project, {})
    assert dist is not None
    with pytest.raises(PackItError, match="unsafe entry"):
        wrapper.install(_ctx(tmp_path), dist, tmp_path / "mu")  # type: ignore[arg-type]
    assert not (tmp_path / "escaped").exists() and not (tmp_path / "work/escaped").exists()
    assert not (tmp_path / "mu").exists()


def test_only_the_script_wrapper_is_provisioned(tmp_path):
    project = _project(tmp_path, "https://h/org/apache/maven/apache-maven/3.9.16/apache-maven-3.9.16-bin.zip", None)
    props = project / wrapper.PROPERTIES
    props.write_text(props.read_text().replace("only-script", "bin"))
    assert wrapper.distribution(project, {}) is None  # the jar-based wrapper downloads in Java itself
    # A CRLF file, a stray tab: the script trims every whitespace character (MWRAPPER-139), so do we.
    props.write_bytes(b"distributionType=only-script\r\ndistributionUrl=https://h/a/apache-maven-3.9.6-bin.zip \t\r\n")
    dist = wrapper.distribution(project, {})
    assert dist is not None and dist.url == "https://h/a/apache-maven-3.9.6-bin.zip" and dist.sha256 is None
