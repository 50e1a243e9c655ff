"""Python manifests cannot pull host files into the image (issue 14, item 4): requirements.txt
may not install a wheel, sdist or directory outside the app, and a lock's or Pipfile's
values are parsed before they are written into the requirements file uv reads."""

from __future__ import annotations

import json
import os
from pathlib import Path
from types import SimpleNamespace

import pytest

from pack_it.detectors.python import requirements as requirements_txt
from pack_it.detectors.source import SourceTree
from pack_it.errors import INVALID_INPUT, UNSUPPORTED, PackItError
from pack_it.packs.python import dependencies

WHEEL = "pkg-1.0-py3-none-any.whl"
SECRET = "TOPSECRET-host-shadow-file"
HASH = "sha256:" + "ab" * 32


@pytest.fixture
def host(tmp_path) -> Path:
    """Outside the app: a wheel, an sdist, a package directory and a "shadow" file."""
    outside = tmp_path / "host"
    (outside / "pkgdir").mkdir(parents=True)
    (outside / WHEEL).write_text(SECRET)
    (outside / "pkg-1.0.tar.gz").write_text(SECRET)
    (outside / "pkgdir" / "setup.py").write_text(f"# {SECRET}\n")
    (outside / "shadow").write_text(SECRET + "\n")
    return outside


def app_with(tmp_path: Path, name: str, text: str) -> Path:
    app = tmp_path / "app"
    (app / "sub").mkdir(parents=True, exist_ok=True)
    (app / name).write_text(text)
    return app


def outside_targets(tmp_path: Path, host: Path) -> list[str]:
    up = os.path.relpath(host, tmp_path / "app")
    return [f"{up}/{WHEEL}", f"{host}/{WHEEL}", f"file://{host}/{WHEEL}", f"file:{up}/{WHEEL}",
            f"{up}/pkg-1.0.tar.gz", f"-e {up}/pkgdir", f"{up}/pkgdir", f"pkg @ file://{host}/{WHEEL}",
            f"-e file://{host}/pkgdir", f"--find-links {host}", f"-f {up}", f"--index-url file://{host}",
            f"file://otherhost/{WHEEL}"]


@pytest.mark.parametrize("index", range(13))
def test_a_requirement_outside_the_app_is_refused_naming_the_file_and_line(tmp_path, host, index):
    line = outside_targets(tmp_path, host)[index]
    app = app_with(tmp_path, "requirements.txt", f"flask==3.0.0\n{line}\n")
    with pytest.raises(PackItError) as err:
        requirements_txt.read(SourceTree(app))
    assert err.value.exit_code == UNSUPPORTED
    assert err.value.message.startswith("requirements.txt line 2 installs ")
    assert "outside the app" in err.value.message and err.value.hint


def test_a_relative_path_is_checked_from_the_including_file_too(tmp_path, host):
    # vendor/ from the root is the app's own; from sub/ (where uv starts) a link to the host.
    app = app_with(tmp_path, "requirements.txt", "-r sub/more.txt\n")
    (app / "vendor").mkdir()
    (app / "vendor" / WHEEL).write_text("")
    (app / "sub" / "vendor").symlink_to(host, target_is_directory=True)
    (app / "sub" / "more.txt").write_text(f"vendor/{WHEEL}\n")
    with pytest.raises(PackItError) as err:
        requirements_txt.read(SourceTree(app))
    assert err.value.exit_code == UNSUPPORTED
    assert err.value.message.startswith("sub/more.txt line 1 installs ")


def test_a_path_through_a_link_leaving_the_app_is_refused(tmp_path, host):
    app = app_with(tmp_path, "requirements.txt", f"./vendor/{WHEEL}\n")
    (app / "vendor").symlink_to(host, target_is_directory=True)
    with pytest.raises(PackItError) as err:
        requirements_txt.read(SourceTree(app))
    assert err.value.exit_code == UNSUPPORTED
    assert "requirements.txt line 1" in err.value.message


def test_wheels_and_directories_inside_the_app_are_accepted(tmp_path):
    app = app_with(tmp_path, "requirements.txt", f"./wheels/{WHEEL}\n-e ./sub\n--find-links ./wheels\n-e .\n")
    (app / "wheels").mkdir()
    (app / "wheels" / WHEEL).write_text("")
    found = requirements_txt.read(SourceTree(app))
    assert [r.source for r in found.requirements] == [f"requirements.txt line {n}" for n in (1, 2, 4)]


def generated(tmp_path: Path, app: Path, kind: str) -> str:
    """The requirements file the python pack writes for uv from `kind` (a lock or Pipfile)."""
    work = tmp_path / "work"
    work.mkdir(exist_ok=True)
    ctx = SimpleNamespace(tree=SourceTree(app), work=work)
    path, _ = dependencies.requirements(ctx, {"kind": kind, "files": [kind]}, None)
    return path.read_text()


INJECTED = "1.0\n-r /etc/shadow"


def pipfile_lock(name="flask", version="==3.0.0", markers=None, hashes=(HASH,)) -> str:
    spec = {"version": version, "hashes": list(hashes)}
    if markers is not None:
        spec["markers"] = markers
    return json.dumps({"_meta": {}, "default": {name: spec}})


def poetry_lock(name="flask", version="3.0.0", markers=None, file_hash=HASH) -> str:
    package = {"name": name, "version": version, "groups": ["main"], "files": [{"file": "x", "hash": file_hash}]}
    if markers is not None:
        package["markers"] = markers
    return json.dumps({"package": [package]})  # JSON's strings are valid TOML strings


def toml_poetry_lock(**kw) -> str:
    package = json.loads(poetry_lock(**kw))["package"][0]
    lines = ["[[package]]"] + [f"{k} = {json.dumps(v)}" for k, v in package.items() if k != "files"]
    lines.append(f"files = [{{file = \"x\", hash = {json.dumps(package['files'][0]['hash'])}}}]")
    return "\n".join(lines) + "\n"


def pipfile(name="flask", version="==3.0.0") -> str:
    return f"[packages]\n{json.dumps(name)} = {json.dumps(version)}\n"


def test_valid_locks_and_pipfiles_give_exact_lines(tmp_path):
    app = app_with(tmp_path, "Pipfile.lock", pipfile_lock(markers="python_version >= '3.8'"))
    assert generated(tmp_path, app, "Pipfile.lock") == (
        f'flask==3.0.0 ; python_version >= "3.8" \\\n    --hash={HASH}\n')
    (app / "poetry.lock").write_text(toml_poetry_lock())
    assert generated(tmp_path, app, "poetry.lock") == f"flask==3.0.0 \\\n    --hash={HASH}\n"
    (app / "Pipfile").write_text(pipfile(version=">=3.0,<4"))
    assert generated(tmp_path, app, "Pipfile") == "flask<4,>=3.0\n"


HOSTILE = [
    ("Pipfile.lock", pipfile_lock(version="==" + INJECTED), "version"),
    ("Pipfile.lock", pipfile_lock(version="==1.0 -r /etc/shadow"), "version"),
    ("Pipfile.lock", pipfile_lock(name="flask\n-r /etc/shadow"), "name"),
    ("Pipfile.lock", pipfile_lock(name="-r /etc/shadow"), "name"),
    ("Pipfile.lock", pipfile_lock(markers="python_version >= '3'\n-r /etc/shadow"), "marker"),
    ("Pipfile.lock", pipfile_lock(hashes=[HASH + "\n-r /etc/shadow"]), "hash"),
    ("Pipfile.lock", pipfile_lock(hashes=[HASH + " -r /etc/shadow"]), "hash"),
    ("poetry.lock", toml_poetry_lock(version=INJECTED), "version"),
    ("poetry.lock", toml_poetry_lock(name="flask\u0000"), "name"),
    ("poetry.lock", toml_poetry_lock(file_hash="md5:\n-r /etc/shadow"), "hash"),
    ("Pipfile", pipfile(version="==" + INJECTED), "version"),
    ("Pipfile", pipfile(version="==1.0\r"), "version"),
    ("Pipfile", pipfile(name="flask\n-r /etc/shadow"), "name"),
]


@pytest.mark.parametrize("kind, text, what", HOSTILE)
def test_a_lock_value_that_is_not_a_valid_name_version_marker_or_hash_is_refused(tmp_path, kind, text, what):
    app = app_with(tmp_path, kind, text)
    with pytest.raises(PackItError) as err:
        generated(tmp_path, app, kind)
    assert err.value.exit_code == INVALID_INPUT
    assert err.value.message.startswith(f"{kind} has an invalid {what} for package ")
    assert "\n" not in err.value.message
    assert not (tmp_path / "work" / "requirements.lock.txt").exists()


def test_a_relative_path_is_checked_from_the_app_root_too(tmp_path, host):
    # ../vendor from sub/ is the app's own; pip (which starts from the app's root) reads a host dir.
    app = app_with(tmp_path, "requirements.txt", "-r sub/more.txt\n")
    (app / "vendor").mkdir()
    (app / "vendor" / WHEEL).write_text("")
    (tmp_path / "vendor").symlink_to(host, target_is_directory=True)
    (app / "sub" / "more.txt").write_text(f"../vendor/{WHEEL}\n")
    with pytest.raises(PackItError) as err:
        requirements_txt.read(SourceTree(app))
    assert err.value.exit_code == UNSUPPORTED
    assert err.value.message.startswith("sub/more.txt line 1 installs ")
