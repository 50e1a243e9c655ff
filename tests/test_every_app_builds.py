"""What detection accepts must build, with nothing silently left out (issue 8 item 7): every
fixture and sample app that `detect` accepts is built, and its image holds what the plan
promised: each process's program, every Python dependency the plan names (a dist-info in
site-packages), every dependency of package.json (node_modules/<name>).

A tree detection refuses is skipped here (its refusal is tested beside its detector); a tree
whose inputs cannot be reached from this network is listed in UNREACHABLE with the reason.
Hours of cold builds in all: `pytest -m slow tests/test_every_app_builds.py`."""

from __future__ import annotations

import gzip
import json
import re
import shutil
import tarfile
from pathlib import Path, PurePosixPath

import pytest

from pack_it.errors import PackItError
from pack_it.lifecycle.pipeline import BuildOptions, build
from pack_it.packs import REGISTRY
from tests.conftest import REPO, SAMPLE_APPS

pytestmark = [pytest.mark.network, pytest.mark.slow]

FIXTURES = REPO / "tests" / "fixtures"
TREES = sorted(p for p in FIXTURES.glob("*/*") if p.is_dir()) + sorted(p for p in SAMPLE_APPS.iterdir() if p.is_dir())
# Trees whose build needs what this network does not serve.
STANDALONE = ("asks for CPython 3.11.9, a patch Debian does not ship: it comes from python-build-standalone's "
              "release downloads, which this network does not reach (tests/packs/python use a local mirror)")
UNREACHABLE: dict[str, str] = {
    "java/gradle-kotlin": "its ./gradlew downloads a Gradle distribution, which this network does not serve "
                          "(the fixture also has no gradle/wrapper/gradle-wrapper.jar)",
    "python/runtime-txt": STANDALONE,
    "python/python-version-comment": STANDALONE,
    "python/requirements-includes": "names a git repository (-e git+https://...) and a wheel URL on hosts this "
                                    "network does not reach, both made up for its detection test (and uv refuses "
                                    "the editable git requirement pip accepts: `Git sources cannot be editable`)",
}
ENV_WORD = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=")
LAUNCHER_BUILTINS = ("cd", "echo")


def _image_files(layout: Path) -> tuple[set[str], list[str]]:
    """Every path in the image's layers (without a leading /), and its PATH."""
    blobs = layout / "blobs" / "sha256"
    index = json.loads((layout / "index.json").read_text())
    manifest = json.loads((blobs / index["manifests"][0]["digest"].removeprefix("sha256:")).read_text())
    config = json.loads((blobs / manifest["config"]["digest"].removeprefix("sha256:")).read_text())
    files: set[str] = set()
    for layer in manifest["layers"]:
        with tarfile.open(fileobj=gzip.open(blobs / layer["digest"].removeprefix("sha256:"))) as tar:
            for member in tar:
                files.add(member.name.lstrip("./").rstrip("/"))
    env = dict(e.split("=", 1) for e in config["config"].get("Env", []))
    return files, env.get("PATH", "").split(":")


def _programs(process: dict) -> list[str]:
    """The programs a process starts, as the image must hold them: each `&&` step's first word
    for the launcher (lifecycle/launch/launcher/main.go runs `cd` and `echo` itself), after a
    `cd` as a path under it; none when only the shell or an expansion can say (`$CMD`)."""
    if process["runs"] == "direct":
        return [process["command"][0]]
    if process["runs"] == "shell":
        return []
    programs, cwd = [], PurePosixPath(".")
    for step in process["written"].split("&&"):
        words = step.split()
        while words and (ENV_WORD.match(words[0]) or words[0] == "exec"):
            words = words[1:]
        if not words or "$" in words[0] or words[0] in ("sh", "bash") or words[0] in LAUNCHER_BUILTINS:
            if words[:1] == ["cd"]:
                cwd = cwd / words[1] if len(words) > 1 else cwd
            continue
        relative = "/" in words[0] and not words[0].startswith("/") and cwd != PurePosixPath(".")
        programs.append(f"{cwd}/{words[0]}" if relative else words[0])
    return programs


def _found(program: str, files: set[str], path: list[str]) -> bool:
    if program.startswith("/"):
        return program.lstrip("/") in files or _via_link(program, files)
    if program.startswith("./") or "/" in program:
        return str(PurePosixPath("workspace") / program) in files
    return any(str(PurePosixPath(d.lstrip("/")) / program) in files or _via_link(f"{d}/{program}", files) for d in path)


def _via_link(path: str, files: set[str]) -> bool:
    # merged /usr: /bin/x is usr/bin/x in the layers (bin is a symlink entry)
    parts = PurePosixPath(path).parts
    return len(parts) > 2 and parts[1] in ("bin", "sbin", "lib") and str(PurePosixPath("usr", *parts[1:])) in files


def _normalized(name: str) -> str:
    return re.sub(r"[-_.]+", "_", name).lower()


@pytest.mark.parametrize("tree", TREES, ids=[f"{p.parent.name}/{p.name}" for p in TREES])
def test_an_accepted_tree_builds_with_nothing_left_out(tree, tmp_path, shared_cache):
    rel = f"{tree.parent.name}/{tree.name}"
    if rel in UNREACHABLE:
        pytest.skip(UNREACHABLE[rel])
    app = tmp_path / tree.name
    shutil.copytree(tree, app, symlinks=True)
    layout = tmp_path / "layout"
    try:
        result = build(BuildOptions(app, output=f"oci:{layout}", cache_dir=shared_cache), REGISTRY)
    except PackItError as e:
        if e.phase in ("detect", "usage"):
            pytest.skip(f"detection refuses it (tested beside its detector): {e.message}")
        raise
    plan = result.plan.to_json()
    files, path = _image_files(layout)
    for process in plan["processes"]:
        for program in _programs(process):
            assert _found(program, files, path), f"{process['type']}: {program} is not in the image"
    python = plan["details"].get("python")
    if python:
        installed = {_normalized(f.split("/")[-1].split("-")[0]) for f in files if f.endswith(".dist-info")}
        wanted = {_normalized(d) for d in (*python["dependencies"], *python["added"])}
        assert wanted <= installed, f"not installed: {sorted(wanted - installed)}"
    manifest = app / "package.json"
    if "node" in plan["packs"] and manifest.is_file():
        dependencies = json.loads(manifest.read_text()).get("dependencies", {})
        missing = [d for d in dependencies if not any(f.endswith(f"node_modules/{d}/package.json") for f in files)]
        assert not missing, f"dependencies of package.json not in the image: {missing}"
