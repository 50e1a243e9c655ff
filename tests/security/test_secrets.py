"""Secrets never reach an image, a plan or the output (issue 14, Deliver 5).

- A value given with --env is for the build's tools only: it is in no blob of the output
  (config, labels, layers), no file of the cache (the plan in plans/, layer records), and no
  line pack-it prints, a failing tool's output quoted in an error included. A value given
  with --env-launch goes into the image config's Env, and only there.
- Secret-looking files (.env, private keys, credential files) are left out of every layer with
  a warning naming each, unless a `!` exception in .dockerignore or .pack-itignore keeps them.

These build offline: a Go app and a bare Python app on the generated `base` run image need
no registry."""

from __future__ import annotations

import gzip
import json
import os
import secrets
import subprocess
import sys
import tarfile
from pathlib import Path
from types import SimpleNamespace

import pytest

from pack_it.errors import BUILD_FAILED, USAGE, PackItError
from pack_it.lifecycle import secrets as lifecycle_secrets
from pack_it.lifecycle.context import BuildContext
from pack_it.lifecycle.sandbox import Sandbox
from pack_it.lifecycle.reporter import Reporter
from pack_it.lifecycle.pipeline import BuildOptions, build
from pack_it.packs import REGISTRY
from pack_it.packs import go as go_pack

SAMPLE_APPS = Path(__file__).resolve().parents[2] / "sample_apps"


def pack_it(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "pack_it", *map(str, args)], capture_output=True, text=True,
                          cwd=cwd, env=os.environ.copy())


def a_secret() -> str:
    return f"s3cr3t-{secrets.token_hex(8)}"


def blobs(tarball: Path) -> dict[str, bytes]:
    """Every member of the output tarball, gzip layers inflated."""
    out = {}
    with tarfile.open(tarball) as tar:
        for member in tar:
            if member.isfile():
                data = tar.extractfile(member).read()
                out[member.name] = gzip.decompress(data) if data[:2] == b"\x1f\x8b" else data
    return out


def files_holding(root: Path, value: str) -> list[str]:
    """Every file under `root` whose bytes hold `value`."""
    return [str(p.relative_to(root)) for p in root.rglob("*")
            if p.is_file() and not p.is_symlink() and value.encode() in p.read_bytes()]


def image_config(tarball: Path) -> dict:
    members = blobs(tarball)
    manifest = json.loads(members["manifest.json"])[0]
    return json.loads(members[manifest["Config"]])


@pytest.mark.network  # the build sandbox's root comes from the Debian archive
def test_an_env_value_is_in_no_blob_cache_file_or_output_and_a_launch_value_only_in_env(tmp_path, go_tool):
    token, launch = a_secret(), a_secret()
    cache, out = tmp_path / "cache", tmp_path / "out.tar"
    args = ["build", "-v", SAMPLE_APPS / "go-hello", "--run-image", "base", "--output", f"tar:{out}",
            "--cache-dir", cache, "--env", f"SECRET_TOKEN={token}", "--env-launch", f"GREETING={launch}"]
    proc = pack_it(*args)
    assert proc.returncode == 0, proc.stderr
    assert "go build" in proc.stderr  # -v: the tool's command and output were shown, and masked
    again = pack_it(*args)  # a no-op rebuild: the cached plan and layer records are read back
    assert again.returncode == 0, again.stderr

    members = blobs(out)
    assert [name for name, data in members.items() if token.encode() in data] == []
    assert files_holding(cache, token) == []
    assert list((cache / "plans").glob("*.json")), "the plan cache was written"
    assert token not in proc.stdout + proc.stderr + again.stdout + again.stderr
    detect = pack_it("detect", "--json", SAMPLE_APPS / "go-hello", "--env", f"SECRET_TOKEN={token}")
    assert detect.returncode == 0 and token not in detect.stdout + detect.stderr

    # The launch value: in the config's Env, nowhere else (not a label, not a layer).
    config = image_config(out)
    assert f"GREETING={launch}" in config["config"]["Env"]
    assert launch not in json.dumps({k: v for k, v in config["config"].items() if k != "Env"})
    holding = {name for name, data in members.items() if launch.encode() in data}
    configs = {name for name, data in members.items() if data.startswith(b"{") and b'"rootfs"' in data}
    assert holding and holding <= configs


@pytest.mark.network  # the build sandbox's root comes from the Debian archive
def test_a_failing_tool_quoting_an_env_value_has_it_masked(tmp_path, go_tool):
    # go rejects a flag it does not know and quotes it: the error shows the tool's output.
    token = a_secret()
    proc = pack_it("build", "-v", SAMPLE_APPS / "go-hello", "--run-image", "base", "--output",
                   f"tar:{tmp_path / 'o.tar'}", "--cache-dir", tmp_path / "cache", "--env", f"GOFLAGS=-{token}")
    assert proc.returncode == BUILD_FAILED, proc.stderr
    assert "go build" in proc.stderr and "***" in proc.stderr
    assert token not in proc.stdout + proc.stderr
    assert files_holding(tmp_path / "cache", token) == []


class Recorder(Reporter):
    def __init__(self) -> None:
        self.lines: list[str] = []

    def step(self, message: str) -> None:
        self.lines.append(message)

    detail = warn = step


def test_the_build_tools_receive_env_values_and_what_they_print_is_masked(tmp_path):
    # The point of a build-time secret: the tools see it (a private registry's token). What a
    # tool prints, shown with -v or quoted by a failure, goes through the pipeline's masking.
    token = a_secret()
    recorder = Recorder()
    ctx = SimpleNamespace(env={"SECRET_TOKEN": token, "PACK_IT_GO_MAIN": "./cmd/tool"}, build_env={},
                          reporter=lifecycle_secrets.MaskingReporter(recorder, lifecycle_secrets.secret_values(
                              {"SECRET_TOKEN": token, "PACK_IT_GO_MAIN": "./cmd/tool"})),
                          sandbox=Sandbox(), tools=[], work=tmp_path, cache=SimpleNamespace(root=tmp_path), pack="probe")
    probe = ["sh", "-c", 'echo "token=$SECRET_TOKEN main=$PACK_IT_GO_MAIN"; exit 3']
    with pytest.raises(PackItError) as err, lifecycle_secrets.masked_errors((token,)):
        BuildContext.run(ctx, probe, {}, tmp_path, "the probe")  # type: ignore[arg-type]
    assert err.value.exit_code == BUILD_FAILED
    assert "token=*** main=./cmd/tool" in err.value.message and token not in err.value.message
    assert "  token=*** main=./cmd/tool" in recorder.lines and token not in "".join(recorder.lines)


SECRET_FILES = {
    ".env": "TOKEN={s}\n",
    ".env.production": "TOKEN={s}\n",
    "id_rsa": "-----BEGIN OPENSSH PRIVATE KEY-----\n{s}\n",
    "keys/id_ed25519": "-----BEGIN OPENSSH PRIVATE KEY-----\n{s}\n",
    "tls/server.pem": "-----BEGIN PRIVATE KEY-----\n{s}\n-----END PRIVATE KEY-----\n",
    "tls/server.key": "{s}\n",
    ".npmrc": "//registry.npmjs.org/:_authToken={s}\n",
    ".pypirc": "[pypi]\nusername = __token__\npassword = {s}\n",
    ".aws/credentials": "[default]\naws_secret_access_key = {s}\n",
    ".docker/config.json": '{{"auths": {{"ghcr.io": {{"auth": "{s}"}}}}}}\n',
    ".netrc": "machine example.com login me password {s}\n",
}


def python_app(tmp_path: Path, token: str) -> Path:
    app = tmp_path / "app"
    app.mkdir()
    (app / "main.py").write_text('print("hello")\n')
    (app / ".python-version").write_text("3.11\n")
    for rel, text in SECRET_FILES.items():
        (app / rel).parent.mkdir(parents=True, exist_ok=True)
        (app / rel).write_text(text.format(s=token))
    # Not secrets: a certificate, a public key, an .npmrc naming a registry and a token variable.
    (app / "tls" / "ca.pem").write_text("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n")
    (app / "id_rsa.pub").write_text("ssh-ed25519 AAAA me@host\n")
    (app / "web").mkdir()
    (app / "web" / ".npmrc").write_text("registry=https://npm.example.com/\n//npm.example.com/:_authToken=${NPM_TOKEN}\n")
    return app


def layer_names(tarball: Path) -> set[str]:
    names = set()
    for name, data in blobs(tarball).items():
        if name.startswith("blobs/sha256/") and data[257:262] == b"ustar":
            with tarfile.open(fileobj=__import__("io").BytesIO(data)) as layer:
                names |= {m.name for m in layer}
    return names


@pytest.mark.network  # the build sandbox's root comes from the Debian archive
def test_secret_files_are_left_out_of_every_layer_with_a_warning_naming_each(tmp_path):
    token = a_secret()
    app = python_app(tmp_path, token)
    out = tmp_path / "o.tar"
    proc = pack_it("build", app, "--run-image", "base", "--output", f"tar:{out}", "--cache-dir", tmp_path / "cache")
    assert proc.returncode == 0, proc.stderr
    assert [name for name, data in blobs(out).items() if token.encode() in data] == []
    for rel in SECRET_FILES:
        assert f"warning: {rel} looks like " in proc.stderr, rel
    assert "(the install step still reads it)" in proc.stderr  # the .npmrc with a token
    names = layer_names(out)
    assert {"workspace/main.py", "workspace/tls/ca.pem", "workspace/id_rsa.pub", "workspace/web/.npmrc"} <= names
    assert not {f"workspace/{rel}" for rel in SECRET_FILES} & names
    assert "ca.pem" not in proc.stderr and "web/.npmrc" not in proc.stderr


@pytest.mark.network  # the build sandbox's root comes from the Debian archive
@pytest.mark.parametrize("ignore_file", [".dockerignore", ".pack-itignore"])
def test_a_bang_exception_in_either_ignore_file_keeps_a_secret_file(tmp_path, ignore_file):
    token = a_secret()
    app = python_app(tmp_path, token)
    (app / ignore_file).write_text("!.env\n!tls/server.key\n")
    out = tmp_path / "o.tar"
    proc = pack_it("build", app, "--run-image", "base", "--output", f"tar:{out}", "--cache-dir", tmp_path / "cache")
    assert proc.returncode == 0, proc.stderr
    names = layer_names(out)
    assert {"workspace/.env", "workspace/tls/server.key"} <= names
    assert "workspace/.env.production" not in names and "workspace/id_rsa" not in names
    assert "warning: .env looks" not in proc.stderr and "warning: .env.production looks" in proc.stderr


@pytest.mark.network  # the build sandbox's root comes from the Debian archive
def test_the_pack_it_ignore_file_leaves_files_out_as_dockerignore_does(tmp_path):
    app = tmp_path / "app"
    app.mkdir()
    (app / "main.py").write_text('print("hello")\n')
    (app / ".python-version").write_text("3.11\n")  # the host's Python: nothing to download
    (app / "notes.txt").write_text("private\n")
    (app / "docs").mkdir()
    (app / "docs" / "a.md").write_text("doc\n")
    (app / ".dockerignore").write_text("docs\n")
    (app / ".pack-itignore").write_text("notes.txt\n")
    out = tmp_path / "o.tar"
    proc = pack_it("build", app, "--run-image", "base", "--output", f"tar:{out}", "--cache-dir", tmp_path / "cache")
    assert proc.returncode == 0, proc.stderr
    names = layer_names(out)
    assert "workspace/main.py" in names
    assert not {"workspace/notes.txt", "workspace/docs/a.md"} & names


# Usage errors before any build work (issue 14, Deliver 2) -------------------------------

@pytest.mark.parametrize("option, value", [("run_image", "no-such-stack"), ("run_image", "oci:"),
                                           ("tag", "Bad Name!"), ("output", "ftp:x"),
                                           ("env", {"1BAD": "x"}), ("launch_env", {"A B": "x"})])
def test_a_usage_error_is_found_before_detection_and_any_build(tmp_path, monkeypatch, option, value):
    def no_build(ctx):
        raise AssertionError("the Go pack ran for a usage error")

    monkeypatch.setattr(go_pack, "build", no_build)
    monkeypatch.setattr("pack_it.lifecycle.pipeline.SourceTree", lambda *a: pytest.fail("detection started"))
    cache = tmp_path / "cache"
    options = BuildOptions(SAMPLE_APPS / "go-hello", output=f"tar:{tmp_path / 'o.tar'}", cache_dir=cache)
    with pytest.raises(PackItError) as err:
        build(BuildOptions(**{**options.__dict__, option: value}), REGISTRY)
    assert err.value.exit_code == USAGE, err.value.message
    assert not cache.exists()  # not even the cache was touched


def test_an_unknown_run_image_exits_1_without_running_go(tmp_path):
    cache = tmp_path / "cache"
    proc = pack_it("build", SAMPLE_APPS / "go-hello", "--run-image", "no-such-image", "--cache-dir", cache,
                   "--output", f"tar:{tmp_path / 'o.tar'}")
    assert proc.returncode == USAGE, proc.stderr
    assert proc.stderr.startswith("error: 'no-such-image' is not a stack.") and "Traceback" not in proc.stderr
    assert not cache.exists() and "[build]" not in proc.stderr
