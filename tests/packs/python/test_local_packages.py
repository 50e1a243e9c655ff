"""The app's own packages (the project, `-e .`, uv workspace members, path dependencies) are
built to wheels from a copy of the source and installed; nothing the lock pins is dropped."""

import gzip
import io
import json
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

from pack_it.detectors.python.facts import InstallFacts
from pack_it.lifecycle.pipeline import BuildOptions, build
from pack_it.packs import REGISTRY
from pack_it.packs.python import dependencies
from tests.detectors.trees import write_tree

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "python"
SAMPLES = Path(__file__).resolve().parents[3] / "sample_apps"
SETUP = {"setup.py": "from setuptools import setup\nsetup()\n"}


def _files(result, layout: Path, name: str = "deps") -> set[str]:
    labels = json.loads(result.image.config_json["config"]["Labels"]["io.pack-it.metadata"])
    diff_id = next(l["diff_id"] for l in labels["layers"] if l["name"] == name)
    layer = result.image.layers[result.image.diff_ids.index(diff_id)]
    blob = gzip.decompress((layout / "blobs" / "sha256" / layer.digest[7:]).read_bytes())
    with tarfile.open(fileobj=io.BytesIO(blob)) as tar:
        return {m.name for m in tar.getmembers()}


def _site(files: set[str], path: str) -> bool:
    return f"layers/python/deps/site-packages/{path}" in files


@pytest.mark.parametrize("files, kind, expected", [
    ({**SETUP}, "project", (".",)),
    ({"requirements.txt": "flask==3.1.0\n-e .\n./libs/a  # ours\n--editable=libs/b\n../outside\n",
      **SETUP, "libs/a/pyproject.toml": "", "libs/b/setup.cfg": ""}, "requirements", (".", "libs/a")),
    ({"uv.lock": '[[package]]\nname = "a"\nsource = { virtual = "." }\n[[package]]\nname = "m"\n'
                 'source = { editable = "packages/m" }\n[[package]]\nname = "p"\nsource = { directory = "libs/p" }\n'
                 '[[package]]\nname = "x"\nsource = { registry = "https://pypi.org/simple" }\n',
      "packages/m/pyproject.toml": "", "libs/p/setup.py": ""}, "uv.lock", ("packages/m", "libs/p")),
    ({"poetry.lock": '[[package]]\nname = "lib"\nversion = "1"\ngroups = ["main"]\n'
                     '[package.source]\ntype = "directory"\nurl = "libs/lib"\n',
      "libs/lib/pyproject.toml": ""}, "poetry.lock", ("libs/lib",)),
    ({"uv.lock": '[[package]]\nname = "m"\nsource = { editable = "../elsewhere" }\n'}, "uv.lock", ()),
])
def test_the_trees_own_packages(tmp_path, files, kind, expected):
    tree = write_tree(tmp_path, files)
    install = InstallFacts(kind, ("requirements.txt",) if kind == "requirements" else ())
    assert dependencies.local_packages(tree, install) == expected


def test_requirements_lines_naming_the_trees_packages_are_left_to_the_wheel_build(tmp_path):
    reqs = tmp_path / "requirements.txt"
    reqs.write_text("flask==3.1.0\n-e .\n./libs/a\nrequests>=2 ; python_version > '3'\n")
    out = dependencies._for_installer(reqs)
    assert out.read_text() == "flask==3.1.0\nrequests>=2 ; python_version > '3'\n"
    assert out.parent == reqs.parent  # its -r includes resolve as before
    unchanged = tmp_path / "plain.txt"
    unchanged.write_text("flask==3.1.0\n-r base.txt\n")
    assert dependencies._for_installer(unchanged) == unchanged


@pytest.mark.parametrize("line, expected", [
    ("-e git+https://example.test/o/lib.git@v1.2#egg=lib", "lib @ git+https://example.test/o/lib.git@v1.2"),
    ("--editable=git+https://example.test/o/mono.git#egg=part&subdirectory=pkgs/part",
     "part @ git+https://example.test/o/mono.git#subdirectory=pkgs/part"),
    ("-e   hg+https://example.test/repo#egg=h", "h @ hg+https://example.test/repo"),
    ("-e git+https://example.test/o/anon.git", "git+https://example.test/o/anon.git"),
    ("git+https://example.test/o/plain.git#egg=plain", "git+https://example.test/o/plain.git#egg=plain"),
])
def test_editable_vcs_requirements_are_installed_from_the_same_commit_not_editable(tmp_path, line, expected):
    reqs = tmp_path / "requirements.txt"
    reqs.write_text(f"flask==3.1.0\n{line}\n")
    assert dependencies._for_installer(reqs).read_text() == f"flask==3.1.0\n{expected}\n"


@pytest.mark.network
def test_an_editable_git_requirement_is_installed(tmp_path, shared_cache):
    """uv refuses `-e git+…` ("Git sources cannot be editable"), which pip accepts and which
    real requirements files have: the package is installed from that commit instead. The
    repository is a local one (file://), so the build runs on the host (--sandbox none)."""
    repo = write_tree(tmp_path / "repo", {
        "pyproject.toml": '[project]\nname = "gitlib"\nversion = "0.1"\n'
                          '[build-system]\nrequires = ["setuptools>=68"]\nbuild-backend = "setuptools.build_meta"\n',
        "gitlib/__init__.py": "NAME = 'gitlib'\n"}).root
    git = ["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@example.test"]
    for argv in (["init", "-q"], ["add", "."], ["commit", "-q", "-m", "lib"]):
        subprocess.run([*git, *argv], check=True)
    app = write_tree(tmp_path / "app", {
        "requirements.txt": f"waitress==3.0.2\n-e git+file://{repo}#egg=gitlib\n",
        "main.py": "import gitlib, waitress\nprint(gitlib.NAME)\n",
        # a git requirement is always built from source: by the host's Python on the host
        ".python-version": f"{sys.version_info.major}.{sys.version_info.minor}\n"}).root
    layout = tmp_path / "layout"
    result = build(BuildOptions(app, output=f"oci:{layout}", cache_dir=shared_cache, sandbox="none"), REGISTRY)
    files = _files(result, layout)
    assert _site(files, "gitlib/__init__.py") and _site(files, "waitress/__init__.py")
    assert (app / "requirements.txt").read_text().count("-e git+") == 1  # the app is not rewritten



@pytest.mark.network
def test_uv_workspace_members_and_path_dependencies_are_built_and_installed(tmp_path, shared_cache):
    app = tmp_path / "uv-workspace"
    shutil.copytree(FIXTURES / "uv-workspace", app)
    layout = tmp_path / "layout"
    result = build(BuildOptions(app, output=f"oci:{layout}", cache_dir=shared_cache), REGISTRY)
    files = _files(result, layout)
    assert _site(files, "greetlib/__init__.py")  # the workspace member
    assert _site(files, "shout/__init__.py")  # the path dependency
    assert _site(files, "waitress/__init__.py")  # the locked registry package


@pytest.mark.network
def test_a_setup_cfg_project_and_its_install_requires_are_installed(tmp_path, shared_cache):
    app = tmp_path / "setup-cfg-only"
    shutil.copytree(FIXTURES / "setup-cfg-only", app)
    layout = tmp_path / "layout"
    result = build(BuildOptions(app, output=f"oci:{layout}", cache_dir=shared_cache), REGISTRY)
    files = _files(result, layout)
    assert _site(files, "greeter/__init__.py") and _site(files, "waitress/__init__.py")
    assert not (app / "setup.py").exists()  # the shim went into the copy only


@pytest.mark.network
def test_a_setup_py_console_script_is_installed_with_the_images_python(tmp_path, shared_cache):
    app = tmp_path / "python-setuptools-cli"
    shutil.copytree(SAMPLES / "python-setuptools-cli", app)
    layout = tmp_path / "layout"
    result = build(BuildOptions(app, output=f"oci:{layout}", cache_dir=shared_cache), REGISTRY)
    assert result.plan.processes[0].source == "setup.py"
    files = _files(result, layout)
    assert "layers/python/deps/bin/hello-site" in files and _site(files, "hello_site/cli.py")


@pytest.mark.network
def test_requirements_with_dash_e_dot_installs_the_project(tmp_path, shared_cache):
    app = write_tree(tmp_path / "app", {
        "requirements.txt": "-e .\n",
        "pyproject.toml": '[project]\nname = "tiny"\nversion = "1.0"\ndependencies = ["waitress==3.0.2"]\n'
                          '[build-system]\nrequires = ["setuptools>=68"]\nbuild-backend = "setuptools.build_meta"\n',
        "tiny/__init__.py": "", "main.py": "import tiny, waitress\nprint('ok')\n"}).root
    layout = tmp_path / "layout"
    result = build(BuildOptions(app, output=f"oci:{layout}", cache_dir=shared_cache), REGISTRY)
    files = _files(result, layout)
    assert _site(files, "tiny/__init__.py") and _site(files, "waitress/__init__.py")
