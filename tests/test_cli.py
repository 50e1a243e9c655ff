"""The CLI as a user runs it: a subprocess, its stdout, stderr and exit code."""

import hashlib
import io
import json
import os
import shutil
import subprocess
import sys
import tarfile

import pytest

from pack_it.errors import EXPORT_FAILED, INVALID_IMAGE, INVALID_INPUT, NOTHING_DETECTED, USAGE
from tests.conftest import SAMPLE_APPS


def pack_it(*args, cwd=None, env=None):
    return subprocess.run([sys.executable, "-m", "pack_it", *map(str, args)], capture_output=True,
                          text=True, cwd=cwd, env={**os.environ, **(env or {})})


def test_detect_json_is_one_object_with_the_documented_keys():
    proc = pack_it("detect", "--json", SAMPLE_APPS / "go-cmd")
    assert proc.returncode == 0, proc.stderr
    plan = json.loads(proc.stdout)
    assert plan["language"] == "go"
    assert plan["runtime"] == {"name": "go", "version": "1.22", "source": "go.mod"}
    assert plan["package_manager"] == {"name": "go modules", "source": "go.mod"}
    assert plan["framework"] is None
    assert plan["processes"] == [{"type": "web", "command": ["/layers/go/app/bin/server"],
                                  "default": True, "source": "cmd/server/main.go",
                                  "written": "/layers/go/app/bin/server", "runs": "direct", "shell": None}]
    assert plan["packs"] == ["go"] and plan["warnings"] == []


def test_detect_readable_output_says_which_file_decided():
    proc = pack_it("detect", SAMPLE_APPS / "go-hello")
    assert proc.returncode == 0
    assert "go 1.22 (from go.mod)" in proc.stdout
    assert "/layers/go/app/bin/go-hello" in proc.stdout


def test_empty_directory_exits_20_with_one_sentence(tmp_path):
    proc = pack_it("detect", tmp_path)
    assert proc.returncode == NOTHING_DETECTED
    assert proc.stdout == ""
    assert proc.stderr.startswith("error: No pack detected an app") and "go.mod" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_broken_go_mod_names_the_file_without_a_traceback(tmp_path):
    (tmp_path / "go.mod").write_text("module x\ngo banana\n")
    proc = pack_it("detect", "--json", tmp_path)
    assert proc.returncode == INVALID_INPUT
    assert "go.mod" in proc.stderr and "Traceback" not in proc.stderr
    assert proc.stdout == ""


@pytest.mark.parametrize("args", [["build"], ["detect", "--nope", "."], ["frobnicate"],
                                  ["build", ".", "--env", "NOEQUALS"]])
def test_usage_errors_exit_1(args):
    proc = pack_it(*args)
    assert proc.returncode == USAGE, proc.stderr
    assert "Traceback" not in proc.stderr


def test_unknown_output_kind_is_a_usage_error():
    proc = pack_it("build", SAMPLE_APPS / "go-hello", "--output", "ftp:somewhere")
    assert proc.returncode == USAGE
    assert "oci:DIR" in proc.stderr


def test_version_and_help():
    assert pack_it("--version").stdout.startswith("pack-it ")
    help_text = pack_it("--help").stdout
    assert "detect" in help_text and "build" in help_text and "inspect" in help_text


def test_inspect_of_garbage_exits_62(tmp_path):
    (tmp_path / "junk.tar").write_bytes(b"this is not a tar archive" * 40)
    proc = pack_it("inspect", f"tar:{tmp_path / 'junk.tar'}")
    assert proc.returncode == INVALID_IMAGE
    assert "junk.tar" in proc.stderr and "Traceback" not in proc.stderr


@pytest.mark.network
def test_build_then_inspect(tmp_path, shared_cache, go_tool, app_copy):
    app = app_copy("go-hello", tmp_path / "My_App")
    proc = pack_it("build", app, "--cache-dir", shared_cache, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "my_app.tar").is_file()  # default name: the directory's, made valid
    assert "digest: sha256:" in proc.stdout and "podman run" in proc.stdout
    assert "[build]" in proc.stderr and "[export]" in proc.stderr
    info = json.loads(pack_it("inspect", "--json", f"tar:{tmp_path / 'my_app.tar'}").stdout)
    assert info["user"] == "65532:65532"
    assert info["entrypoint"] == ["/layers/go/app/bin/go-hello"]
    assert info["ports"] == ["8080/tcp"]
    assert [l["made_by"] for l in info["layers"]] == ["run image static-debian12", "go/app"]
    assert info["layers"][1]["uncompressed_size"] > info["layers"][1]["size"] > 1_000_000
    text = pack_it("inspect", f"tar:{tmp_path / 'my_app.tar'}").stdout
    assert "go/app" in text and "65532:65532" in text


@pytest.mark.network  # the build sandbox's root comes from the Debian archive
def test_unwritable_output_exits_61_and_leaves_nothing(tmp_path, shared_cache, go_tool):
    target = tmp_path / "no-such-dir" / "out.tar"
    proc = pack_it("build", SAMPLE_APPS / "go-hello", "--output", f"tar:{target}", "--cache-dir", shared_cache)
    # The parent is created if missing; make it impossible with a file in the way instead.
    (tmp_path / "blocker").write_text("")
    proc = pack_it("build", SAMPLE_APPS / "go-hello", "--output", f"tar:{tmp_path / 'blocker' / 'out.tar'}",
                   "--cache-dir", shared_cache)
    assert proc.returncode == EXPORT_FAILED, proc.stderr
    assert "Traceback" not in proc.stderr
    assert list((shared_cache / "tmp").iterdir()) == []


def _foreign_cache(shared_cache, path):
    """A cache that has Go's build cache (fast builds) and none of the shared cache's blobs, so
    a run image is imported from its file, each blob checked, not found already there."""
    shutil.copytree(shared_cache / "packs", path / "packs", symlinks=True)
    return path


@pytest.mark.network
def test_run_image_from_a_tarball(tmp_path, shared_cache, go_tool):
    first = tmp_path / "first.tar"
    assert pack_it("build", SAMPLE_APPS / "go-hello", "-o", f"tar:{first}", "--cache-dir", shared_cache).returncode == 0
    with tarfile.open(first) as tar:
        run_layers = json.load(tar.extractfile("manifest.json"))[0]["Layers"]
    cache = _foreign_cache(shared_cache, tmp_path / "cache")
    proc = pack_it("build", SAMPLE_APPS / "go-cmd", "-o", f"oci:{tmp_path / 'layout'}",
                   "--run-image", f"tar:{first}", "--cache-dir", cache)
    assert proc.returncode == 0, proc.stderr
    info = json.loads(pack_it("inspect", "--json", f"oci:{tmp_path / 'layout'}").stdout)
    assert info["run_image"]["reference"] == f"tar:{first}"
    assert len(info["layers"]) == 3  # base + go-hello's binary + go-cmd's binary
    assert ["blobs/sha256/" + l["digest"].removeprefix("sha256:") for l in info["layers"][:2]] == run_layers
    for name in run_layers:  # imported into the new cache, each one intact
        blob = cache / name
        assert "sha256:" + hashlib.sha256(blob.read_bytes()).hexdigest() == "sha256:" + blob.name


@pytest.mark.network  # the build sandbox's root comes from the Debian archive
@pytest.mark.parametrize("form", ["tar", "docker"])
def test_a_run_image_whose_blob_does_not_match_its_digest_is_refused(tmp_path, shared_cache, go_tool, form):
    first = tmp_path / "first.tar"
    assert pack_it("build", SAMPLE_APPS / "go-hello", "-o", f"tar:{first}", "--cache-dir", shared_cache).returncode == 0
    with tarfile.open(first) as tar:
        members = {m.name: tar.extractfile(m).read() for m in tar.getmembers() if m.isfile()}
    manifest = json.loads(members["manifest.json"])
    top = manifest[0]["Layers"][-1]
    members[top] = members[top][:-100] + bytes(100)  # same size, other bytes
    if form == "docker":  # a plain docker-save archive: no index.json to go by
        del members["index.json"]
    bad = tmp_path / "bad.tar"
    with tarfile.open(bad, "w") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    cache = _foreign_cache(shared_cache, tmp_path / "cache")
    out = tmp_path / "out.tar"
    proc = pack_it("build", SAMPLE_APPS / "go-cmd", "-o", f"tar:{out}", "--run-image", f"tar:{bad}", "--cache-dir", cache)
    assert proc.returncode == INVALID_IMAGE, proc.stderr
    assert "bad.tar" in proc.stderr and "Traceback" not in proc.stderr
    assert not out.exists() and not (cache / top).exists()
    proc = pack_it("inspect", f"tar:{bad}")
    assert proc.returncode == INVALID_IMAGE and "does not match" in proc.stderr and "Traceback" not in proc.stderr


@pytest.mark.network  # the build sandbox's root comes from the Debian archive
def test_generated_base_run_image(tmp_path, shared_cache, go_tool):
    proc = pack_it("build", SAMPLE_APPS / "go-hello", "-o", f"oci:{tmp_path / 'l'}", "--run-image", "base",
                   "--cache-dir", shared_cache)
    assert proc.returncode == 0, proc.stderr
    info = json.loads(pack_it("inspect", "--json", f"oci:{tmp_path / 'l'}").stdout)
    assert info["run_image"]["reference"] == "base"
    assert info["layers"][0]["uncompressed_size"] < 20_000


def test_unknown_stack_is_a_usage_error(tmp_path):
    proc = pack_it("build", SAMPLE_APPS / "go-hello", "--run-image", "alpine", "--cache-dir", tmp_path)
    assert proc.returncode == USAGE
    assert "not a stack" in proc.stderr and "Traceback" not in proc.stderr
