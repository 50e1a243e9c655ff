"""The Python version: every request is a constraint; Debian's CPython wins when it satisfies
them all, else the newest release of the versions index's python section that does (an exact
patch pin gets that patch), and the highest-priority file that asked is the evidence."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from packaging.specifiers import SpecifierSet

from pack_it.detectors.facts import RunImageChoice, Runtime
from pack_it.detectors.python import detect
from pack_it.detectors.python.version import DEBIAN, choose, parse_request, poetry_constraint
from pack_it.errors import PackItError
from pack_it.lifecycle import versions

from .trees import write_tree

SHIPPED = versions.shipped().releases("python")
RELEASE = {"tag": "20260101", "asset": "x", "sha256": "0" * 64}
SMALL = {v: RELEASE for v in ("3.9.25", "3.10.19", "3.11.7", "3.11.14", "3.12.3", "3.12.12", "3.13.9",
                              "3.14.0", "3.14.2")}
OFFER = "pack-it's versions index has Python 3.9.25, 3.10.19, 3.11.14, 3.12.12, 3.13.9, 3.14.2"
UPDATE = "`pack-it versions update` refreshes the index when a newer release is out"


def pyproject(requires: str) -> str:
    return f'[project]\nname = "x"\nrequires-python = "{requires}"\n'


def choice(tmp_path, files: dict[str, str], releases=None):
    tree = write_tree(tmp_path, {"main.py": "print('hi')\n", **files})
    pyproject = tree.read_toml("pyproject.toml") if "pyproject.toml" in files else None
    pipfile = tree.read_toml("Pipfile") if "Pipfile" in files else None
    return choose(tree, pyproject, pipfile, {}, SMALL if releases is None else releases)


def failure(tmp_path, files: dict[str, str], releases=None) -> PackItError:
    with pytest.raises(PackItError) as err:
        choice(tmp_path, files, releases)
    return err.value


# --- choosing -------------------------------------------------------------------------------


def test_no_constraint_is_the_newest_debian_python(tmp_path):
    found = detect(write_tree(tmp_path, {"main.py": "print('hi')\n"}), {})
    assert found.runtime == Runtime("python", "3.13.5", "default")
    assert found.run_image == RunImageChoice("python-debian13", "default")
    facts = found.facts.to_json()
    assert (facts["python"], facts["version"], facts["python_source"]) == ("3.13", "3.13.5", "debian")


def test_requires_python_below_3_12_is_debian_3_11(tmp_path):
    found = detect(write_tree(tmp_path, {"pyproject.toml": pyproject("<3.12")}), {})
    assert found.runtime == Runtime("python", "3.11.2", "pyproject.toml")
    assert found.run_image == RunImageChoice("python-debian12", "pyproject.toml")


@pytest.mark.parametrize("files, expected", [
    ({".python-version": "3.12\n"}, "3.12.16"),  # a minor: the newest patch in the shipped index
    ({".python-version": "3.10\n"}, "3.10.22"),
    ({".python-version": "3.14\n"}, "3.14.10"),
    ({".python-version": "3.9\n"}, "3.9.25"),
    ({".tool-versions": "python 3.12.3\n"}, "3.12.3"),  # an exact patch: that patch
    ({"runtime.txt": "python-3.11.9\n"}, "3.11.9"),  # not Debian's 3.11.2
    ({"mise.toml": '[tools]\npython = "3.10.14"\n'}, "3.10.14"),
    ({"pyproject.toml": pyproject(">=3.14")}, "3.15.2"),  # a range: the newest release it admits
    ({"pyproject.toml": pyproject(">=3.11.3,<3.12")}, "3.11.18"),  # Debian's 3.11.2 is too old
    ({"Pipfile": '[requires]\npython_full_version = "3.13.1"\n'}, "3.13.1"),
])
def test_python_build_standalone_from_the_shipped_index(tmp_path, files, expected):
    found = detect(write_tree(tmp_path, {"main.py": "print('hi')\n", **files}), {})
    assert found.runtime.version == expected
    assert found.run_image.name == "cc"
    assert found.facts.to_json()["python_source"] == "standalone"
    assert expected in SHIPPED  # the build downloads exactly that release, with its sha256


@pytest.mark.parametrize("files", [{".python-version": "3.11\n"}, {".python-version": "3.11.2\n"},
                                   {".tool-versions": "python 3.13\n"}, {"pyproject.toml": pyproject(">=3.10")}])
def test_debian_python_when_it_satisfies_the_request(tmp_path, files):
    found = choice(tmp_path, files)
    assert (found.standalone, found.run_image) == (False, DEBIAN[found.version])


def test_detection_reads_the_index_it_is_given_not_a_mirror(tmp_path, monkeypatch):
    monkeypatch.setenv("PACK_IT_PYTHON_STANDALONE_URL", "http://127.0.0.1:9/unreachable")
    found = detect(write_tree(tmp_path, {".python-version": "3.12\n", "main.py": ""}), {}, SMALL)
    assert found.runtime == Runtime("python", "3.12.12", ".python-version")


def test_debian_versions_are_those_of_the_shipped_stack_locks():
    locks = Path(versions.__file__).parent / "stacks" / "locks"
    for version, stack in DEBIAN.items():
        packages = json.loads((locks / f"{stack}-amd64.json").read_text())["packages"]
        minor = ".".join(version.split(".")[:2])
        assert {p["version"].split("-")[0] for p in packages if p["name"] == f"python{minor}-minimal"} == {version}


def test_a_patch_the_index_lacks_is_unsupported(tmp_path):
    error = failure(tmp_path, {".python-version": "3.12.99\n"})
    assert error.exit_code == 22
    assert error.message == ".python-version:1 asks for Python 3.12.99, but pack-it's versions index has Python 3.12 up to 3.12.12."
    assert error.hint == f"Ask for one of those in .python-version ({UPDATE})."


@pytest.mark.parametrize("requires, expected", [
    (">=3.10,<3.13", "3.11.2"),
    (">=3.11", "3.13.5"),
    ("~=3.11", "3.13.5"),
    ("==3.11.*", "3.11.2"),
    (">=3.12.1", "3.13.5"),
    ("<3.14,!=3.13.*", "3.11.2"),
    ("", "3.13.5"),
    (">=3.9,<3.11", "3.10.19"),
    ("<3.14,!=3.13.*,!=3.11.*", "3.12.12"),
])
def test_requires_python(tmp_path, requires, expected):
    assert choice(tmp_path, {"pyproject.toml": pyproject(requires)}).version == expected


@pytest.mark.parametrize("asked", ["2.7", "2", "3.8", "3.6.15"])
def test_end_of_life_version(tmp_path, asked):
    error = failure(tmp_path, {".python-version": "# pinned\n" + asked + "\n"})
    assert error.exit_code == 22
    assert error.message == f".python-version:2 asks for Python {asked}, which is end-of-life and not supported."


@pytest.mark.parametrize("files, where", [
    ({"runtime.txt": "python-2.7.18\n"}, "runtime.txt:1"),
    ({".tool-versions": "nodejs 20\npython 3.8.18\n"}, ".tool-versions:2"),
    ({"mise.toml": '[env]\nA = "1"\n\n[tools]\nnode = "20"\npython = "3.7"\n'}, "mise.toml:6"),
    ({"Pipfile": '[packages]\nflask = "*"\n\n[requires]\npython_version = "2.7"\n'}, "Pipfile:5"),
    ({"pyproject.toml": '[tool.poetry]\nname = "x"\n\n[tool.poetry.dependencies]\npython = "~3.8"\n'}, "pyproject.toml:5"),
])
def test_end_of_life_names_the_file_and_line(tmp_path, files, where):
    error = failure(tmp_path, files)
    assert error.exit_code == 22
    assert error.message.startswith(f"{where} asks for Python ")
    assert error.message.endswith(", which is end-of-life and not supported.")


def test_end_of_life_range_in_pyproject(tmp_path):
    error = failure(tmp_path, {"pyproject.toml": pyproject("<3.8")})
    assert error.exit_code == 22
    assert error.message == "pyproject.toml:3 asks for Python <3.8, which is end-of-life and not supported."


def test_future_version_is_not_available(tmp_path):
    error = failure(tmp_path, {"pyproject.toml": pyproject(">=3.15")})
    assert error.message == f"pyproject.toml:3 asks for Python >=3.15, but {OFFER}."


def test_conflicting_files_are_both_named(tmp_path):
    error = failure(tmp_path, {".python-version": "3.13\n", "pyproject.toml": pyproject("<3.12")})
    assert error.exit_code == 22
    assert error.message == (".python-version:1 asks for Python 3.13 and pyproject.toml:3 asks for Python <3.12: "
                             "no version satisfies both.")


def test_conflict_between_two_lower_priority_files_names_those(tmp_path):
    error = failure(tmp_path, {".tool-versions": "python 3.13.9\n", "Pipfile": '[requires]\npython_version = "3.11"\n',
                               "pyproject.toml": pyproject(">=3.11")})
    assert error.message.startswith(".tool-versions:1 asks for Python 3.13.9 and Pipfile:2 asks for Python 3.11: ")


def test_every_constraint_must_hold_and_the_highest_priority_file_decides(tmp_path):
    found = choice(tmp_path, {".python-version": ">=3.12", "pyproject.toml": pyproject("<3.13")})
    assert (found.version, found.source) == ("3.12.12", ".python-version")


# --- the files that ask ---------------------------------------------------------------------


@pytest.mark.parametrize("text, expected", [
    ("3.11\n", "3.11"),
    ("3.11.7\n", "3.11"),
    ("  3.13  \n", "3.13"),
    ("# chosen for production\n3.11\n", "3.11"),
    ("\n# one comment\n\n# two comments\n3.11\n3.13\n", "3.11"),  # pyenv: the first version is the one
    (">=3.10,<3.13\n", "3.11"),
    ("3\n", "3.13"),
])
def test_python_version_file(tmp_path, text, expected):
    found = choice(tmp_path, {".python-version": text})
    assert (found.minor, found.source) == (expected, ".python-version")


def test_python_version_file_with_only_comments_asks_nothing(tmp_path):
    assert choice(tmp_path, {".python-version": "# nothing yet\n\n"}).source == "default"


@pytest.mark.parametrize("text", ["pypy3.10", "system", "3.x"])
def test_python_version_file_that_is_not_a_version(tmp_path, text):
    error = failure(tmp_path, {".python-version": text})
    assert error.exit_code == 21
    assert error.message.startswith(f".python-version asks for {text!r}, which is not a Python version")


def test_runtime_txt(tmp_path):
    found = choice(tmp_path, {"runtime.txt": "python-3.11.7\n"})
    assert (found.version, found.source, found.run_image) == ("3.11.7", "runtime.txt", "cc")
    assert found.warnings == ("runtime.txt is deprecated: write the version in .python-version (e.g. 3.11.7) "
                              "and delete runtime.txt.",)


def test_runtime_txt_in_another_form(tmp_path):
    error = failure(tmp_path, {"runtime.txt": "3.11\n"})
    assert error.exit_code == 21
    assert error.message == "runtime.txt reads '3.11', not a version such as python-3.13.1."


def test_python_version_outranks_runtime_txt(tmp_path):
    found = choice(tmp_path, {".python-version": "3.11", "runtime.txt": "python-3.11.2"})
    assert found.source == ".python-version"
    assert len(found.warnings) == 1  # runtime.txt is still deprecated


def test_tool_versions(tmp_path):
    found = choice(tmp_path, {".tool-versions": "nodejs 20.11.0 # the frontend\npython 3.11.7 3.10.13\n"})
    assert (found.version, found.source) == ("3.11.7", ".tool-versions")


def test_tool_versions_without_python_asks_nothing(tmp_path):
    assert choice(tmp_path, {".tool-versions": "nodejs 20.11.0\n"}).source == "default"


@pytest.mark.parametrize("text, expected", [
    ('[tools]\npython = "3.11"\n', ("3.11", "mise.toml")),
    ('[tools]\npython = ["3.11", "3.13"]\n', ("3.11", "mise.toml")),
    ('[tools]\npython = { version = "3.11" }\n', ("3.11", "mise.toml")),
    ('[tools]\npython = "latest"\n', ("3.13", "default")),
    ('[tools]\nnode = "20"\n', ("3.13", "default")),
])
def test_mise_toml(tmp_path, text, expected):
    found = choice(tmp_path, {"mise.toml": text})
    assert (found.minor, found.source) == expected


@pytest.mark.parametrize("requires, expected", [
    ('python_version = "3.11"', ("3.11", "Pipfile")),
    ('python_full_version = "3.11.7"', ("3.11", "Pipfile")),
    ('python_version = "3.13"\npython_full_version = "3.11.7"', ("3.11", "Pipfile")),
    ('python_version = "*"', ("3.13", "default")),
])
def test_pipfile_requires(tmp_path, requires, expected):
    found = choice(tmp_path, {"Pipfile": f"[requires]\n{requires}\n"})
    assert (found.minor, found.source) == expected


@pytest.mark.parametrize("python, expected", [
    ("^3.11", "3.13"),
    ("~3.11", "3.11"),
    ("~3.11.4", "3.11"),
    ("3.11", "3.11"),
    ("3.11.*", "3.11"),
    (">=3.10 <3.13", "3.11"),
    (">= 3.10, < 3.12", "3.11"),
    (">=3.7,<3.8 || >=3.11,<3.12", "3.11"),
    ("*", "3.13"),
])
def test_poetry_python_dependency(tmp_path, python, expected):
    text = f'[tool.poetry]\nname = "x"\n\n[tool.poetry.dependencies]\npython = "{python}"\n'
    found = choice(tmp_path, {"pyproject.toml": text})
    assert (found.minor, found.source) == (expected, "pyproject.toml")


def test_invalid_requires_python(tmp_path):
    error = failure(tmp_path, {"pyproject.toml": pyproject("3.11+")})
    assert error.exit_code == 21
    assert error.message == "pyproject.toml: requires-python = '3.11+' is not a version range."


def test_invalid_poetry_python(tmp_path):
    error = failure(tmp_path, {"pyproject.toml": '[tool.poetry.dependencies]\npython = "^three"\n'})
    assert error.exit_code == 21
    assert "python = '^three'" in error.message


@pytest.mark.parametrize("text, expected", [
    ("^3.10", [">=3.10,<4"]),
    ("^0.2.3", [">=0.2.3,<0.3"]),
    ("~3.10", [">=3.10,<3.11"]),
    ("~3", [">=3,<4"]),
    ("3.10", ["==3.10.*"]),
    ("3.10.*", ["==3.10.*"]),
    (">=3.8 || ^2.7", [">=3.8", ">=2.7,<3"]),
])
def test_poetry_translation(text, expected):
    assert poetry_constraint(text, "pyproject.toml").alternatives == tuple(SpecifierSet(s) for s in expected)


@pytest.mark.parametrize("text, expected", [("3.12", "==3.12.*"), ("3.12.1", "==3.12.1"), ("3", "==3.*"),
                                            (">=3.10,<3.13", ">=3.10,<3.13")])
def test_parse_request(text, expected):
    assert parse_request(text, ".python-version").alternatives == (SpecifierSet(expected),)
