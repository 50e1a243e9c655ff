"""The installer, its files and the direct dependencies: locks win over requirements, and lock
files rank uv > poetry > pdm > pipenv > pip."""

from __future__ import annotations

import pytest

from pack_it.detectors.facts import PackageManager
from pack_it.detectors.python import detect
from pack_it.errors import PackItError

from .trees import FASTAPI_APP, FLASK_APP, write_tree

PROJECT = '[project]\nname = "app"\nversion = "1.0"\ndependencies = ["flask>=3", "gunicorn"]\n'
POETRY = ('[tool.poetry]\nname = "app"\n\n[tool.poetry.dependencies]\npython = "^3.11"\nflask = "^3.0"\n'
          'gunicorn = "^22.0"\n')
PIPFILE = '[packages]\nflask = "*"\ngunicorn = "==22.0.0"\n\n[dev-packages]\npytest = "*"\n'
UV_LOCK = 'version = 1\nrequires-python = ">=3.11"\n'
POETRY_LOCK = '[metadata]\nlock-version = "2.0"\n'
PDM_LOCK = '[metadata]\nlock_version = "4.4"\n'
PIPFILE_LOCK = '{"_meta": {}, "default": {}, "develop": {}}'


def found(tmp_path, files: dict[str, str]):
    return detect(write_tree(tmp_path, {"app.py": FLASK_APP, **files}), {})


def failure(tmp_path, files: dict[str, str]) -> PackItError:
    with pytest.raises(PackItError) as err:
        found(tmp_path, files)
    return err.value


def beaten(winner: str, manager: str, loser: str, why: str) -> str:
    return (f"{winner} and {loser} both describe the dependencies: pack-it installs with {manager} from "
            f"{winner} and ignores {loser}, because {why} (order: uv > poetry > pdm > pipenv > pip).")


# --- which installer ------------------------------------------------------------------------


@pytest.mark.parametrize("files, manager, kind, install_files", [
    ({"pyproject.toml": PROJECT, "uv.lock": UV_LOCK}, "uv", "uv.lock", ["uv.lock", "pyproject.toml"]),
    ({"pyproject.toml": POETRY, "poetry.lock": POETRY_LOCK}, "poetry", "poetry.lock", ["poetry.lock", "pyproject.toml"]),
    ({"pyproject.toml": PROJECT, "pdm.lock": PDM_LOCK}, "pdm", "pdm.lock", ["pdm.lock", "pyproject.toml"]),
    ({"Pipfile": PIPFILE, "Pipfile.lock": PIPFILE_LOCK}, "pipenv", "Pipfile.lock", ["Pipfile.lock", "Pipfile"]),
    ({"Pipfile": PIPFILE}, "pipenv", "Pipfile", ["Pipfile"]),
    ({"requirements.txt": "flask\ngunicorn\n"}, "pip", "requirements", ["requirements.txt"]),
    ({"pyproject.toml": PROJECT}, "pip", "project", ["pyproject.toml"]),
    ({"pyproject.toml": POETRY}, "pip", "project", ["pyproject.toml"]),
])
def test_installer_for_each_manifest(tmp_path, files, manager, kind, install_files):
    result = found(tmp_path, files)
    source = install_files[0]
    assert result.package_manager == PackageManager(manager, source)
    assert result.facts.to_json()["install"] == {"kind": kind, "files": install_files}
    assert result.facts.to_json()["dependencies"] == ["flask", "gunicorn"]
    assert result.facts.to_json()["added"] == []


def test_pipfile_without_its_lock_warns_that_versions_are_not_pinned(tmp_path):
    result = found(tmp_path, {"Pipfile": PIPFILE})
    assert result.warnings == ("Pipfile without Pipfile.lock: versions are not pinned, so every build may "
                               "install different ones; run `pipenv lock` and commit Pipfile.lock.",)


def test_uv_lock_wins_over_requirements(tmp_path):
    result = found(tmp_path, {"pyproject.toml": PROJECT, "uv.lock": UV_LOCK, "requirements.txt": "flask\n"})
    assert result.package_manager == PackageManager("uv", "uv.lock")
    assert result.warnings == (beaten("uv.lock", "uv", "requirements.txt", "a lock file wins over requirements"),)


def test_poetry_lock_wins_over_a_pipfile(tmp_path):
    result = found(tmp_path, {"pyproject.toml": POETRY, "poetry.lock": POETRY_LOCK, "Pipfile": PIPFILE})
    assert result.package_manager == PackageManager("poetry", "poetry.lock")
    assert result.warnings == (beaten("poetry.lock", "poetry", "Pipfile", "a lock file wins over requirements"),)


def test_uv_lock_wins_over_other_locks(tmp_path):
    result = found(tmp_path, {"pyproject.toml": PROJECT + '\n[tool.poetry]\nname = "app"\n', "uv.lock": UV_LOCK,
                              "poetry.lock": POETRY_LOCK, "pdm.lock": PDM_LOCK})
    assert result.package_manager == PackageManager("uv", "uv.lock")
    why = "lock files rank uv > poetry > pdm > pipenv"
    assert result.warnings == (beaten("uv.lock", "uv", "poetry.lock", why), beaten("uv.lock", "uv", "pdm.lock", why))


def test_pipfile_lock_wins_over_requirements(tmp_path):
    result = found(tmp_path, {"Pipfile": PIPFILE, "Pipfile.lock": PIPFILE_LOCK, "requirements.txt": "flask\n"})
    assert result.package_manager == PackageManager("pipenv", "Pipfile.lock")
    assert result.warnings == (beaten("Pipfile.lock", "pipenv", "requirements.txt",
                                      "a lock file wins over requirements"),)


def test_pipfile_wins_over_requirements(tmp_path):
    result = found(tmp_path, {"Pipfile": PIPFILE, "requirements.txt": "flask\n"})
    assert result.package_manager == PackageManager("pipenv", "Pipfile")
    assert result.warnings[1] == beaten("Pipfile", "pipenv", "requirements.txt", "a Pipfile wins over requirements")


def test_requirements_win_over_the_project_dependencies(tmp_path):
    result = found(tmp_path, {"pyproject.toml": PROJECT, "requirements.txt": "flask==3.0.3\ngunicorn==22.0.0\n"})
    assert result.package_manager == PackageManager("pip", "requirements.txt")
    assert result.facts.to_json()["install"] == {"kind": "requirements", "files": ["requirements.txt"]}
    assert result.warnings == (beaten("requirements.txt", "pip", "pyproject.toml",
                                      "requirements.txt pins what to install; list `.` in it to install the "
                                      "project too"),)


def test_pyproject_with_only_tool_settings_is_no_conflict(tmp_path):
    result = found(tmp_path, {"pyproject.toml": "[tool.ruff]\nline-length = 100\n", "requirements.txt": "flask\n"})
    assert result.package_manager == PackageManager("pip", "requirements.txt")
    assert "both describe" not in " ".join(result.warnings)


def test_pyproject_with_only_tool_settings_installs_nothing(tmp_path):
    result = found(tmp_path, {"pyproject.toml": "[tool.black]\nline-length = 100\n"})
    assert result.package_manager is None
    assert result.facts.to_json()["install"] == {"kind": "none", "files": []}
    assert result.facts.to_json()["dependencies"] == []
    assert result.facts.to_json()["added"] == ["gunicorn"]
    assert result.warnings == ("Flask app without gunicorn (no dependency file): pack-it adds gunicorn to the "
                               "image (never a development server).",)


def test_setup_py_with_a_build_system_only_pyproject(tmp_path):
    result = found(tmp_path, {
        "pyproject.toml": '[build-system]\nrequires = ["setuptools"]\nbuild-backend = "setuptools.build_meta"\n',
        "setup.py": 'from setuptools import setup\n\nsetup(name="app", install_requires=["Flask>=3", "gunicorn"])\n'})
    assert result.package_manager == PackageManager("pip", "setup.py")
    assert result.facts.to_json()["install"] == {"kind": "project", "files": ["setup.py", "pyproject.toml"]}
    assert result.facts.to_json()["dependencies"] == ["flask", "gunicorn"]


def test_setup_py_with_requirements_as_one_string(tmp_path):
    result = found(tmp_path, {"setup.py": "from setuptools import setup\nsetup(install_requires='flask\\n\\ngunicorn')\n"})
    assert result.facts.to_json()["dependencies"] == ["flask", "gunicorn"]


def test_setup_py_with_computed_requirements_does_not_claim_missing_ones(tmp_path):
    result = found(tmp_path, {"setup.py": (
        "import setuptools\n\nsetuptools.setup(name='app', install_requires=open('reqs.txt').read().split())\n")})
    assert result.facts.to_json()["dependencies"] == []
    assert result.facts.to_json()["added"] == ["gunicorn"]  # not listed as far as anyone can tell before the build
    assert not any("does not list" in w for w in result.warnings)


def test_setup_py_with_a_syntax_error_is_a_warning(tmp_path):
    result = found(tmp_path, {"setup.py": "from setuptools import setup\nsetup(\n"})
    assert result.facts.to_json()["install"] == {"kind": "project", "files": ["setup.py"]}
    assert result.warnings[0].startswith("setup.py cannot be parsed (")
    assert result.warnings[0].endswith("its dependencies are not known before the build.")


def test_setup_py_and_setup_cfg_together(tmp_path):
    result = found(tmp_path, {"setup.py": "from setuptools import setup\nsetup()\n",
                              "setup.cfg": "[options]\ninstall_requires =\n    flask\n    gunicorn\n"})
    assert result.package_manager == PackageManager("pip", "setup.py")
    assert result.facts.to_json()["install"]["files"] == ["setup.py", "setup.cfg"]
    assert result.facts.to_json()["dependencies"] == ["flask", "gunicorn"]


def test_broken_setup_cfg(tmp_path):
    error = failure(tmp_path, {"setup.cfg": "[options\ninstall_requires = flask\n"})
    assert error.exit_code == 21
    assert error.message.startswith("setup.cfg cannot be parsed")


# --- locks without what they lock, broken files ---------------------------------------------


@pytest.mark.parametrize("lock, text, companion", [("uv.lock", UV_LOCK, "pyproject.toml"),
                                                   ("poetry.lock", POETRY_LOCK, "pyproject.toml"),
                                                   ("pdm.lock", PDM_LOCK, "pyproject.toml"),
                                                   ("Pipfile.lock", PIPFILE_LOCK, "Pipfile")])
def test_lock_without_the_file_it_locks(tmp_path, lock, text, companion):
    error = failure(tmp_path, {lock: text})
    assert error.exit_code == 21
    assert error.message == f"{lock} is here without the {companion} it locks."


@pytest.mark.parametrize("files, broken, syntax", [
    ({"pyproject.toml": PROJECT, "uv.lock": "version = 1\n[[package]\n"}, "uv.lock", "TOML"),
    ({"pyproject.toml": POETRY, "poetry.lock": "[[package]]\nname = \n"}, "poetry.lock", "TOML"),
    ({"pyproject.toml": PROJECT, "pdm.lock": "[metadata\n"}, "pdm.lock", "TOML"),
    ({"Pipfile": PIPFILE, "Pipfile.lock": '{"default": {'}, "Pipfile.lock", "JSON"),
    ({"Pipfile": "[packages\nflask = '*'\n"}, "Pipfile", "TOML"),
    ({"pyproject.toml": "[project\n"}, "pyproject.toml", "TOML"),
])
def test_broken_manifest_or_lock_names_the_file(tmp_path, files, broken, syntax):
    error = failure(tmp_path, files)
    assert error.exit_code == 21
    assert error.message.startswith(f"{broken} is not valid {syntax}")


def test_invalid_pep_621_dependency(tmp_path):
    error = failure(tmp_path, {"pyproject.toml": '[project]\nname = "a"\ndependencies = ["flask >= three"]\n'})
    assert error.exit_code == 21
    assert error.message.startswith("pyproject.toml [project] dependencies: 'flask >= three' is not a valid requirement")


def test_pep_621_dependencies_that_are_not_a_list(tmp_path):
    error = failure(tmp_path, {"pyproject.toml": '[project]\nname = "a"\ndependencies = "flask"\n'})
    assert error.exit_code == 21
    assert error.message == 'pyproject.toml: `project.dependencies` must be an array of strings, not a string ("flask").'


# --- dependencies ---------------------------------------------------------------------------


def test_dependencies_are_canonical_sorted_and_unique(tmp_path):
    result = found(tmp_path, {"requirements.txt": "Flask_SQLAlchemy\nflask\nFLASK[async]\nzope.interface\n"})
    assert result.facts.to_json()["dependencies"] == ["flask", "flask-sqlalchemy", "zope-interface"]


def test_poetry_main_dependencies_only(tmp_path):
    pyproject = (
        '[tool.poetry.dependencies]\npython = "^3.11"\nFlask = "^3"\n'
        'psycopg = { version = "^3", optional = true }\n'
        'tomli = { version = "^2", python = "<3.11" }\n'
        'uvloop = { version = "^0.19", markers = "sys_platform != \'win32\'" }\n'
        'pywin32 = { version = "*", platform = "win32" }\n'
        'numpy = [{ version = "^1.26", python = "<3.12" }, { version = "^2", python = ">=3.12" }]\n'
        '\n[tool.poetry.group.dev.dependencies]\npytest = "^8"\n'
        '\n[tool.poetry.dev-dependencies]\nblack = "*"\n')
    result = found(tmp_path, {"pyproject.toml": pyproject, "poetry.lock": POETRY_LOCK})
    assert result.facts.to_json()["dependencies"] == ["flask", "numpy", "uvloop"]


def test_poetry_2_project_table_with_poetry_lock(tmp_path):
    result = found(tmp_path, {"pyproject.toml": PROJECT + '\n[tool.poetry]\npackage-mode = false\n',
                              "poetry.lock": POETRY_LOCK})
    assert result.facts.to_json()["dependencies"] == ["flask", "gunicorn"]


def test_pipfile_packages_with_markers(tmp_path):
    pipfile = ('[packages]\nflask = "*"\npywin32 = { version = "*", sys_platform = "== \'win32\'" }\n'
               'uvloop = { version = "*", markers = "sys_platform == \'linux\'" }\n'
               '"Django" = { version = "~=5.0", extras = ["bcrypt"] }\n')
    result = found(tmp_path, {"Pipfile": pipfile, "Pipfile.lock": PIPFILE_LOCK})
    assert result.facts.to_json()["dependencies"] == ["django", "flask", "uvloop"]


def test_dynamic_dependencies_from_a_requirements_file(tmp_path):
    pyproject = ('[project]\nname = "a"\nversion = "1"\ndynamic = ["dependencies"]\n\n'
                 '[tool.setuptools.dynamic]\ndependencies = { file = ["requirements.in"] }\n')
    result = found(tmp_path, {"pyproject.toml": pyproject, "requirements.in": "flask\ngunicorn\n"})
    assert result.facts.to_json()["install"] == {"kind": "project", "files": ["pyproject.toml"]}
    assert result.facts.to_json()["dependencies"] == ["flask", "gunicorn"]
    assert result.facts.to_json()["added"] == []


def test_framework_missing_from_the_dependencies_is_a_warning(tmp_path):
    result = found(tmp_path, {"requirements.txt": "gunicorn\n"})
    assert result.warnings == ("app.py uses flask, which requirements.txt does not list: the app cannot import it.",)


def test_a_lookalike_does_not_count_as_the_server(tmp_path):
    result = detect(write_tree(tmp_path, {"main.py": FASTAPI_APP,
                                          "requirements.txt": "fastapi\nuvicorn-worker\nfastapi-ipware\n"}), {})
    assert result.facts.to_json()["added"] == ["uvicorn"]
    assert result.facts.to_json()["dependencies"] == ["fastapi", "fastapi-ipware", "uvicorn-worker"]


def test_a_lookalike_does_not_count_as_the_framework(tmp_path):
    result = detect(write_tree(tmp_path, {"main.py": FASTAPI_APP, "requirements.txt": "fastapi-ipware\nuvicorn\n"}), {})
    assert result.warnings == ("main.py uses fastapi, which requirements.txt does not list: the app cannot "
                               "import it.",)
