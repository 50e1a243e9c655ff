"""Property-based (hypothesis): every parser in detectors/ and the image readers in lifecycle/
(image files, OCI descriptors, registry manifests, references, challenges, credentials) raise
nothing but PackItError, whatever they are fed (issue 14, deliver 3). Any other exception is a
traceback a user would see."""

from __future__ import annotations

import io
import json
import shutil
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from pack_it.detectors import go, procfile
from pack_it.detectors.node import package_manager
from pack_it.detectors.node import version as node_version
from pack_it.detectors.python import version as python_version
from pack_it.detectors.shape import check
from pack_it.detectors.python.detection import PIPFILE, PYPROJECT
from pack_it.detectors.source import SourceTree
from pack_it.errors import PackItError
from pack_it.lifecycle.detect import detect
from pack_it.lifecycle.imagefile import ImageSource
from pack_it.lifecycle.registry import client, names
from pack_it.lifecycle.registry.auth import parse_challenge
from pack_it.lifecycle.registry.credentials import parse_creds
from pack_it.packs import REGISTRY
from pack_it.packs.python import dependencies

SETTINGS = settings(max_examples=60, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4),
    max_leaves=20)
# Keys the parsers look for, so generated documents reach deep into them.
KEYS = ["project", "tool", "poetry", "dependencies", "requires-python", "scripts", "name", "packages", "requires",
        "python_version", "python_full_version", "default", "version", "hashes", "markers", "package", "files",
        "hash", "groups", "source", "type", "tools", "python", "node", "engines", "packageManager", "main",
        "workspaces", "devDependencies", "manifests", "mediaType", "digest", "size", "config", "layers",
        "platform", "os", "architecture", "schemaVersion", "rootfs", "diff_ids", "annotations", "Config", "Layers",
        "RepoTags", "setuptools", "dynamic", "file", "module", "bun"]
shaped = st.recursive(
    st.none() | st.booleans() | st.integers(min_value=-2, max_value=2**40) | st.text(max_size=12)
    | st.sampled_from(["sha256:" + "a" * 64, "linux", "amd64", "3.11", ">=3.11", "^20", "==1.0", "*", "x@1.0.0"]),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.sampled_from(KEYS), children, max_size=5),
    max_leaves=25)
text_lines = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=200)


def only_packit_errors(call, *args) -> None:
    try:
        call(*args)
    except PackItError:
        pass


# Detectors ----------------------------------------------------------------------------------

@SETTINGS
@given(text_lines)
def test_go_mod_and_go_work(text):
    only_packit_errors(go.parse_go_mod, text)
    only_packit_errors(go.parse_go_work, text)


@SETTINGS
@given(st.text(max_size=40))
def test_version_requests(text):
    only_packit_errors(python_version.parse_request, text, ".python-version")
    only_packit_errors(python_version.poetry_constraint, text, "pyproject.toml")
    only_packit_errors(package_manager._parse_field, text)
    only_packit_errors(node_version._range, text, ".nvmrc")


@SETTINGS
@given(shaped)
def test_manifest_shapes(value):
    only_packit_errors(check, value, PYPROJECT, "pyproject.toml")
    only_packit_errors(check, value, PIPFILE, "Pipfile")
    for schema, rel in ((dependencies.POETRY_LOCK, "poetry.lock"), (dependencies.PDM_LOCK, "pdm.lock"),
                        (dependencies.PIPFILE_LOCK, "Pipfile.lock")):
        only_packit_errors(check, value, schema, rel)


def _toml_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value)  # a JSON string is a TOML basic string
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value if v is not None) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{json.dumps(k)} = {_toml_value(v)}" for k, v in value.items() if v is not None) + "}"
    raise TypeError(value)


def _toml(value: dict) -> str:
    """`value` as a TOML document (inline tables: the parsed result is the same)."""
    return "".join(f"{json.dumps(k)} = {_toml_value(v)}\n" for k, v in value.items() if v is not None)


def _tree(files: dict[str, str | bytes]) -> tuple[Path, SourceTree]:
    root = Path(tempfile.mkdtemp(prefix="pack-it-prop-"))
    for rel, content in files.items():
        (root / rel).write_bytes(content if isinstance(content, bytes) else content.encode("utf-8", "surrogatepass"))
    return root, SourceTree(root)


def _detect_and_convert(files: dict[str, str | bytes]) -> None:
    root, tree = _tree(files)
    try:
        plan = detect(tree, REGISTRY)
        python = plan.details.get("python")
        kind = getattr(getattr(python, "install", None), "kind", None)
        convert = {"poetry.lock": dependencies._poetry, "pdm.lock": dependencies._pdm,
                   "Pipfile.lock": dependencies._pipfile_lock, "Pipfile": dependencies._pipfile}.get(str(kind))
        if convert is not None:
            convert(tree)
    except PackItError:
        pass
    finally:
        shutil.rmtree(root)


@SETTINGS
@given(st.sampled_from(["package.json", "Pipfile.lock"]), shaped)
def test_json_manifests_through_detect(rel, value):
    companions = {"package.json": {"server.js": "1"}, "Pipfile.lock": {"Pipfile": '[packages]\nflask = "*"\n'}}[rel]
    _detect_and_convert({**companions, rel: json.dumps(value), "main.py": "print(1)\n"} if rel != "package.json"
                        else {**companions, rel: json.dumps(value)})


@SETTINGS
@given(st.sampled_from(["pyproject.toml", "Pipfile", "poetry.lock", "pdm.lock", "mise.toml"]),
       st.dictionaries(st.sampled_from(KEYS), shaped, max_size=4))
def test_toml_manifests_through_detect(rel, value):
    text = _toml(value)
    companions = {"main.py": "print(1)\n"}
    if rel in ("poetry.lock", "pdm.lock"):
        companions["pyproject.toml"] = '[project]\nname = "a"\n'
    _detect_and_convert({**companions, rel: text})


@SETTINGS
@given(st.sampled_from(["Procfile", "requirements.txt", ".python-version", "runtime.txt", ".tool-versions",
                        ".nvmrc", "go.mod", "setup.cfg", "setup.py", "main.py", ".dockerignore"]),
       st.binary(max_size=300) | text_lines)
def test_text_manifests_through_detect(rel, content):
    companions = {".nvmrc": {"package.json": "{}", "server.js": "1"}, "go.mod": {"main.go": "package main\n"}}
    _detect_and_convert({**companions.get(rel, {"main.py": "print(1)\n"}), rel: content})


@SETTINGS
@given(text_lines)
def test_procfile_lines(text):
    root, tree = _tree({"Procfile": text})
    try:
        only_packit_errors(procfile.detect, tree)
    finally:
        shutil.rmtree(root)


# Image readers --------------------------------------------------------------------------------

def _source(files: dict[str, bytes]) -> ImageSource:
    return ImageSource("image.tar", lambda name: io.BytesIO(files[name]) if name in files else None)


def _blob(value: object) -> tuple[str, bytes]:
    data = json.dumps(value).encode()
    import hashlib

    return "sha256:" + hashlib.sha256(data).hexdigest(), data


@SETTINGS
@given(shaped, shaped, shaped)
def test_oci_layouts(index, manifest, config):
    config_digest, config_bytes = _blob(config)
    if isinstance(manifest, dict) and isinstance(manifest.get("config"), dict):
        manifest["config"].update(digest=config_digest, size=len(config_bytes))
    manifest_digest, manifest_bytes = _blob(manifest)
    if isinstance(index, dict) and isinstance(index.get("manifests"), list) and index["manifests"]:
        if isinstance(index["manifests"][0], dict):
            index["manifests"][0].update(digest=manifest_digest, size=len(manifest_bytes))
    files = {"index.json": json.dumps(index).encode(), f"blobs/sha256/{manifest_digest[7:]}": manifest_bytes,
             f"blobs/sha256/{config_digest[7:]}": config_bytes}
    only_packit_errors(_source(files).load_oci, None)


@SETTINGS
@given(shaped, shaped)
def test_docker_archives(manifest, config):
    digest, data = _blob(config)
    files = {"manifest.json": json.dumps(manifest).encode(), f"{digest[7:]}.json": data, "config.json": data}
    only_packit_errors(_source(files).load_docker_archive)


@SETTINGS
@given(st.binary(max_size=200) | st.builds(lambda v: json.dumps(v).encode(), shaped))
@example(b'{"manifests": [5, "x", null, {"platform": "linux"}]}')
@example(b'{"config": {"digest": 5}, "layers": "x"}')
@example(b"[" * 100_000)
def test_registry_manifests(data):
    body = client.parse_json(data)
    if body is not None:
        client.select_platform(body)
        client.manifest_descriptors(body)


@SETTINGS
@given(st.text(max_size=80))
def test_references_challenges_and_credentials(text):
    only_packit_errors(names.parse, text)
    only_packit_errors(parse_challenge, text)
    only_packit_errors(parse_creds, text)
