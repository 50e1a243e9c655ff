"""The build sandbox holds (issue 10, item 5): app code run at build time (an npm postinstall)
cannot read the invoking user's credentials or the host's files, cannot write outside its
directories, does not see the invoking shell's environment, and leaves no process behind.

Each test fails when bubblewrap is replaced by a plain subprocess (the mutant in the report:
Sandbox.command returning the step unchanged, with the host's environment)."""

from __future__ import annotations

import json
import os
import subprocess
import time
import uuid
from pathlib import Path

import pytest

from pack_it.lifecycle.pipeline import BuildOptions, build
from pack_it.packs import REGISTRY

pytestmark = pytest.mark.network

PROBE = r"""
const fs = require("fs"), path = require("path"), cp = require("child_process");
const out = {}, wanted = require("./package.json").probeTargets;
for (const file of wanted.read) {
  try { out[file] = fs.readFileSync(file, "utf8"); } catch (e) { out[file] = "ERR " + e.code; }
}
out.written = {};
for (const file of wanted.write) {
  try { fs.mkdirSync(path.dirname(file), {recursive: true}); fs.writeFileSync(file, "escaped"); out.written[file] = "ok"; }
  catch (e) { out.written[file] = "ERR " + e.code; }
}
out.env = process.env;
out.homedir = require("os").homedir();
// A daemon: detached, its own session, no pipe back to pack-it.
cp.spawn("sleep", [wanted.sleep], {detached: true, stdio: "ignore"}).unref();
fs.writeFileSync(wanted.report, JSON.stringify(out));
"""


@pytest.fixture
def probe_app(tmp_path, hermetic_environment, monkeypatch):
    """A Node app whose postinstall probes the sandbox; the invoking user's home holds
    credentials, and the invoking shell a variable the build was not given."""
    home = Path(hermetic_environment)
    marker = uuid.uuid4().hex
    (home / ".docker").mkdir()
    (home / ".docker" / "config.json").write_text(json.dumps({"auths": {"r.example": {"auth": marker}}}))
    (home / ".ssh").mkdir()
    (home / ".ssh" / "id_rsa").write_text(f"-----BEGIN OPENSSH PRIVATE KEY-----\n{marker}\n")
    monkeypatch.setenv("SHELL_ONLY_SECRET", marker)
    app = tmp_path / "probe-app"
    app.mkdir()
    outside = tmp_path / "outside"
    outside.mkdir()
    sleep = f"{300 + int(marker[:4], 16) % 600}.{int(marker[4:8], 16)}"  # a command line no one else runs
    targets = {
        "read": [str(home / ".docker" / "config.json"), str(home / ".ssh" / "id_rsa"), "/etc/hostname",
                 str(app / "package.json")],
        "write": [str(outside / "escaped"), str(home / ".ssh" / "authorized_keys"), str(app / "escaped"),
                  "/tmp/pack-it-escaped-" + marker],
        "sleep": sleep,
        # The postinstall runs in a scratch copy of the source that the build removes: the
        # report goes into the Node pack's cache directory, which a step may write.
        "report": str(tmp_path / "cache" / "packs" / "node" / "probe.json")}
    # The install step sees only the manifests: the probe travels inside package.json.
    (app / "package.json").write_text(json.dumps({
        "name": "probe-app", "version": "1.0.0", "probe": PROBE, "probeTargets": targets,
        "scripts": {"postinstall": "node -e \"eval(require('./package.json').probe)\"", "start": "node server.js"}}))
    (app / "package-lock.json").write_text(json.dumps({
        "name": "probe-app", "version": "1.0.0", "lockfileVersion": 3, "requires": True,
        "packages": {"": {"name": "probe-app", "version": "1.0.0"}}}))
    (app / "server.js").write_text("require('http').createServer((q, s) => s.end('ok')).listen(8080);\n")
    yield app, home, outside, marker, sleep
    subprocess.run(["pkill", "-f", f"^sleep {sleep}$"], check=False)  # only the mutant leaves one
    Path(f"/tmp/pack-it-escaped-{marker}").unlink(missing_ok=True)  # the control's (and a mutant's) write


def _build(app: Path, tmp_path: Path, **options) -> dict:
    cache = tmp_path / "cache"
    build(BuildOptions(app, output=f"oci:{tmp_path / 'out'}", cache_dir=cache, **options), REGISTRY)
    report = cache / "packs" / "node" / "probe.json"
    assert report.is_file(), "the postinstall did not run"
    return json.loads(report.read_text())


def test_a_postinstall_sees_no_host_secret_and_changes_nothing_outside(probe_app, tmp_path):
    app, home, outside, marker, _ = probe_app
    seen = _build(app, tmp_path, env={"GIVEN": "with --env"})
    # The user's credentials and the host's files: absent, or the build root's own.
    assert seen[str(home / ".docker" / "config.json")].startswith("ERR")
    assert seen[str(home / ".ssh" / "id_rsa")].startswith("ERR")
    assert seen["/etc/hostname"] != Path("/etc/hostname").read_text()
    assert seen[str(app / "package.json")].startswith("ERR")  # the app directory itself: only its copy
    assert marker not in json.dumps([seen[f] for f in seen if f.startswith("/")]) + json.dumps(seen["env"])
    # Nothing it wrote reached the host.
    assert not (outside / "escaped").exists()
    assert not (home / ".ssh" / "authorized_keys").exists()
    assert not (app / "escaped").exists()
    assert not Path(f"/tmp/pack-it-escaped-{marker}").exists()
    assert seen["homedir"] == "/tmp/home"


def test_the_invoking_shells_environment_is_invisible(probe_app, tmp_path):
    app, _, _, marker, _ = probe_app
    seen = _build(app, tmp_path, env={"GIVEN": "with --env"})
    assert "SHELL_ONLY_SECRET" not in seen["env"]
    assert seen["env"]["GIVEN"] == "with --env"  # what --env passes does arrive
    assert os.environ["SHELL_ONLY_SECRET"] == marker  # it was there to leak
    assert {"PATH", "HOME"} <= set(seen["env"])


def test_no_process_survives_the_build(probe_app, tmp_path):
    app, _, _, _, sleep = probe_app
    _build(app, tmp_path)
    time.sleep(0.5)  # a survivor would still be sleeping for minutes
    survivors = subprocess.run(["pgrep", "-f", f"^sleep {sleep}$"], capture_output=True, text=True).stdout.split()
    assert survivors == []


def test_without_the_sandbox_the_same_probe_reaches_the_host(probe_app, tmp_path):
    """The control: --sandbox none (a CI container's choice) is the host, so the tests above
    test the sandbox, not the probe."""
    app, home, outside, marker, _ = probe_app
    seen = _build(app, tmp_path, sandbox="none")
    assert marker in seen[str(home / ".docker" / "config.json")]
    assert seen["env"]["SHELL_ONLY_SECRET"] == marker
    assert (outside / "escaped").read_text() == "escaped"
