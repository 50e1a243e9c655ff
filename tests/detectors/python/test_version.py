"""The Python version: every request is a constraint; the newest available minor that satisfies
them all wins, and the highest-priority file that asked is the evidence."""

from __future__ import annotations

import pytest
from packaging.specifiers import SpecifierSet

from pack_it.detectors.facts import RunImageChoice, Runtime
from pack_it.detectors.python import detect
from pack_it.detectors.python.version import STANDALONE_ENV, choose, parse_request, poetry_constraint
from pack_it.errors import PackItError

from .trees import write_tree

STANDALONE = {STANDALONE_ENV: "https://example.com/python-build-standalone"}
NOT_AVAILABLE = ("pack-it provides Python 3.11 and 3.13 (3.10, 3.12 and 3.14 only when "
                 "PACK_IT_PYTHON_STANDALONE_URL is set)")


def pyproject(requires: str) -> str:
    return f'[project]\nname = "x"\nrequires-python = "{requires}"\n'


def choice(tmp_path, files: dict[str, str], env: dict[str, str] | None = None):
    tree = write_tree(tmp_path, {"main.py": "print('hi')\n", **files})
    pyproject = tree.read_toml("pyproject.toml") if "pyproject.toml" in files else None
    pipfile = tree.read_toml("Pipfile") if "Pipfile" in files else None
    return choose(tree, pyproject, pipfile, env or {})


def failure(tmp_path, files: dict[str, str], env: dict[str, str] | None = None) -> PackItError:
    with pytest.raises(PackItError) as err:
        choice(tmp_path, files, env)
    return err.value


# --- choosing -------------------------------------------------------------------------------


def test_no_constraint_is_the_newest_debian_python(tmp_path):
    found = detect(write_tree(tmp_path, {"main.py": "print('hi')\n"}), {})
    assert found.runtime == Runtime("python", "3.13", "default")
    assert found.run_image == RunImageChoice("python-debian13", "default")
    assert (found.facts.to_json()["python"], found.facts.to_json()["python_source"]) == ("3.13", "debian")


def test_requires_python_below_3_12_is_3_11(tmp_path):
    found = detect(write_tree(tmp_path, {"pyproject.toml": pyproject("<3.12")}), {})
    assert found.runtime == Runtime("python", "3.11", "pyproject.toml")
    assert found.run_image == RunImageChoice("python-debian12", "pyproject.toml")


def test_python_version_3_12_without_standalone_is_unsupported(tmp_path):
    error = failure(tmp_path, {".python-version": "3.12\n"})
    assert error.exit_code == 22
    assert error.message == f".python-version asks for Python 3.12, but {NOT_AVAILABLE}."
    assert error.hint == "Ask for one of those in .python-version, or set PACK_IT_PYTHON_STANDALONE_URL."


def test_python_version_3_12_with_standalone_in_env(tmp_path):
    found = detect(write_tree(tmp_path, {".python-version": "3.12\n", "main.py": ""}), STANDALONE)
    assert found.runtime == Runtime("python", "3.12", ".python-version")
    assert found.run_image == RunImageChoice("cc", ".python-version")
    assert (found.facts.to_json()["python"], found.facts.to_json()["python_source"]) == ("3.12", "standalone")


def test_python_version_3_12_with_standalone_in_the_process_environment(tmp_path, monkeypatch):
    monkeypatch.setenv(STANDALONE_ENV, "https://example.com/pbs")
    found = detect(write_tree(tmp_path, {".python-version": "3.12.4\n", "main.py": ""}), {})
    assert found.runtime == Runtime("python", "3.12", ".python-version")
    assert found.run_image.name == "cc"


def test_empty_standalone_variable_is_not_set(tmp_path):
    assert failure(tmp_path, {".python-version": "3.12\n"}, {STANDALONE_ENV: ""}).exit_code == 22


def test_standalone_makes_3_14_the_newest(tmp_path):
    found = choice(tmp_path, {}, STANDALONE)
    assert (found.minor, found.run_image, found.standalone) == ("3.14", "cc", True)


def test_standalone_still_runs_debian_versions_on_their_stack(tmp_path):
    found = choice(tmp_path, {".python-version": "3.13"}, STANDALONE)
    assert (found.minor, found.run_image, found.standalone) == ("3.13", "python-debian13", False)


@pytest.mark.parametrize("requires, expected", [
    (">=3.10,<3.13", "3.11"),
    (">=3.11", "3.13"),
    ("~=3.11", "3.13"),
    ("==3.11.*", "3.11"),
    (">=3.12.1", "3.13"),
    ("<3.14,!=3.13.*", "3.11"),
    ("", "3.13"),
])
def test_newest_available_that_satisfies_requires_python(tmp_path, requires, expected):
    assert choice(tmp_path, {"pyproject.toml": pyproject(requires)}).minor == expected


@pytest.mark.parametrize("requires, expected", [(">=3.10,<3.13", "3.12"), (">=3.9,<3.11", "3.10"), ("", "3.14")])
def test_newest_with_standalone(tmp_path, requires, expected):
    assert choice(tmp_path, {"pyproject.toml": pyproject(requires)}, STANDALONE).minor == expected


@pytest.mark.parametrize("asked", ["2.7", "2", "3.8", "3.6.15"])
def test_end_of_life_version(tmp_path, asked):
    error = failure(tmp_path, {".python-version": asked + "\n"}, STANDALONE)
    assert error.exit_code == 22
    assert error.message == f".python-version asks for Python {asked}, which is end-of-life and not supported."


def test_end_of_life_range_in_pyproject(tmp_path):
    error = failure(tmp_path, {"pyproject.toml": pyproject("<3.8")})
    assert error.exit_code == 22
    assert error.message == "pyproject.toml asks for Python <3.8, which is end-of-life and not supported."


def test_3_9_is_not_end_of_life_but_not_available(tmp_path):
    error = failure(tmp_path, {".python-version": "3.9"}, STANDALONE)
    assert error.exit_code == 22
    assert error.message == (".python-version asks for Python 3.9, but pack-it provides Python "
                             "3.10, 3.11, 3.12, 3.13 and 3.14.")
    assert error.hint == "Ask for one of those in .python-version."


def test_future_version_is_not_available(tmp_path):
    error = failure(tmp_path, {"pyproject.toml": pyproject(">=3.15")})
    assert error.message == f"pyproject.toml asks for Python >=3.15, but {NOT_AVAILABLE}."


def test_conflicting_files_are_both_named(tmp_path):
    error = failure(tmp_path, {".python-version": "3.13\n", "pyproject.toml": pyproject("<3.12")})
    assert error.exit_code == 22
    assert error.message == (".python-version asks for Python 3.13 and pyproject.toml asks for Python <3.12: "
                             f"no version satisfies both, and {NOT_AVAILABLE}.")


def test_conflict_between_two_lower_priority_files_names_those(tmp_path):
    error = failure(tmp_path, {".tool-versions": "python 3.13.0\n", "Pipfile": '[requires]\npython_version = "3.11"\n',
                               "pyproject.toml": pyproject(">=3.11")})
    assert error.message.startswith(".tool-versions asks for Python 3.13.0 and Pipfile asks for Python 3.11: ")


def test_every_constraint_must_hold_and_the_highest_priority_file_decides(tmp_path):
    found = choice(tmp_path, {".python-version": ">=3.10", "pyproject.toml": pyproject("<3.13")}, STANDALONE)
    assert (found.minor, found.source) == ("3.12", ".python-version")


# --- the files that ask ---------------------------------------------------------------------


@pytest.mark.parametrize("text, expected", [
    ("3.11\n", "3.11"),
    ("3.11.9\n", "3.11"),
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
    found = choice(tmp_path, {"runtime.txt": "python-3.11.4\n"})
    assert (found.minor, found.source) == ("3.11", "runtime.txt")
    assert found.warnings == ("runtime.txt is deprecated: write the version in .python-version (e.g. 3.11) "
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
    found = choice(tmp_path, {".tool-versions": "nodejs 20.11.0 # the frontend\npython 3.11.4 3.10.13\n"})
    assert (found.minor, found.source) == ("3.11", ".tool-versions")


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
    ('python_full_version = "3.11.9"', ("3.11", "Pipfile")),
    ('python_version = "3.13"\npython_full_version = "3.11.9"', ("3.11", "Pipfile")),
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


@pytest.mark.parametrize("text, expected", [("3.12", "==3.12.*"), ("3.12.1", "==3.12.*"), ("3", "==3.*"),
                                            (">=3.10,<3.13", ">=3.10,<3.13")])
def test_parse_request(text, expected):
    assert parse_request(text, ".python-version").alternatives == (SpecifierSet(expected),)
