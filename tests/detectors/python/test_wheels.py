"""With no version file, the newest Python for which every locked pin has a wheel (from the wheel
file names the lock records), said in the plan; a version file still decides."""

from __future__ import annotations

import pytest

from pack_it.detectors.python import detect
from pack_it.detectors.python.wheels import _wheel_minors

from .trees import FLASK_APP, write_tree

PYPROJECT = '[project]\nname = "x"\nversion = "1"\ndependencies = ["flask", "markupsafe"]\n'
MANYLINUX = "manylinux_2_17_x86_64.manylinux2014_x86_64"


def uv_lock(*packages: tuple[str, str, list[str]]) -> str:
    text = "version = 1\n"
    for name, version, wheels in packages:
        text += f'\n[[package]]\nname = "{name}"\nversion = "{version}"\nsource = {{ registry = "https://pypi.org/simple" }}\n'
        text += f'sdist = {{ url = "https://files.example/{name}-{version}.tar.gz", hash = "sha256:{"0" * 64}" }}\n'
        text += "wheels = [\n" + "".join(f'    {{ url = "https://files.example/{w}", hash = "sha256:{"1" * 64}" }},\n'
                                          for w in wheels) + "]\n"
    return text


def markupsafe(*minors: int) -> tuple[str, str, list[str]]:
    return ("markupsafe", "2.1.2", [f"MarkupSafe-2.1.2-cp3{m}-cp3{m}-{MANYLINUX}.whl" for m in minors]
            + [f"MarkupSafe-2.1.2-cp3{m}-cp3{m}-win_amd64.whl" for m in (12, 13)])


FLASK = ("flask", "3.1.0", ["flask-3.1.0-py3-none-any.whl"])


def found(tmp_path, files):
    return detect(write_tree(tmp_path, {"main.py": FLASK_APP, "pyproject.toml": PYPROJECT, **files}), {})


def test_the_newest_python_with_wheels_for_every_pin(tmp_path):
    plan = found(tmp_path, {"uv.lock": uv_lock(FLASK, markupsafe(9, 10, 11))})
    assert (plan.runtime.version, plan.runtime.source) == ("3.11.2", "uv.lock (wheels)")  # Debian's 3.11
    assert ("Python 3.11, not 3.13: the newest Python for which every pin in uv.lock has a wheel (markupsafe 2.1.2 "
            "has none for 3.13); write a version in .python-version to choose another.") in plan.warnings


def test_a_newer_minor_than_debians_is_the_standalone_one(tmp_path):
    plan = found(tmp_path, {"uv.lock": uv_lock(FLASK, markupsafe(11, 12))})
    assert plan.runtime.version.startswith("3.12.") and plan.facts.python_source == "standalone"


def test_pins_with_wheels_for_the_default_change_nothing(tmp_path):
    plan = found(tmp_path, {"uv.lock": uv_lock(FLASK, markupsafe(11, 12, 13))})
    assert (plan.runtime.version, plan.runtime.source) == ("3.13.5", "default")
    assert not any("wheel" in w for w in plan.warnings)


def test_an_sdist_only_pin_limits_nothing(tmp_path):
    plan = found(tmp_path, {"uv.lock": uv_lock(FLASK, ("psycopg2", "2.9.10", []))})
    assert plan.runtime.source == "default"


def test_a_version_file_still_decides(tmp_path):
    plan = found(tmp_path, {".python-version": "3.13\n", "uv.lock": uv_lock(FLASK, markupsafe(11))})
    assert (plan.runtime.version, plan.runtime.source) == ("3.13.5", ".python-version")
    assert any("No Python the requests allow has a wheel for every pin in uv.lock (markupsafe 2.1.2 for 3.13)" in w
               for w in plan.warnings)


def test_requires_python_bounds_the_choice(tmp_path):
    pyproject = PYPROJECT + 'requires-python = ">=3.10"\n'
    plan = found(tmp_path, {"pyproject.toml": pyproject, "uv.lock": uv_lock(FLASK, markupsafe(9, 10, 11))})
    assert (plan.runtime.version, plan.runtime.source) == ("3.11.2", "uv.lock (wheels)")
    assert any(w.startswith("Python 3.11, not 3.13: the newest Python the requests allow for which") for w in plan.warnings)


def test_one_of_several_locked_versions_of_a_name_is_enough(tmp_path):
    old = ("numpy", "1.24.4", [f"numpy-1.24.4-cp311-cp311-{MANYLINUX}.whl"])
    new = ("numpy", "2.2.0", [f"numpy-2.2.0-cp313-cp313-{MANYLINUX}.whl"])
    assert found(tmp_path, {"uv.lock": uv_lock(FLASK, old, new)}).runtime.version == "3.13.5"


def test_poetry_lock_files_and_its_1_1_metadata_table(tmp_path):
    wheel = f"MarkupSafe-2.1.2-cp311-cp311-{MANYLINUX}.whl"
    modern = (f'[[package]]\nname = "markupsafe"\nversion = "2.1.2"\nfiles = [\n'
              f'    {{file = "{wheel}", hash = "sha256:{"1" * 64}"}},\n]\n')
    assert found(tmp_path / "a", {"poetry.lock": modern}).runtime.version == "3.11.2"
    legacy = (f'[[package]]\nname = "markupsafe"\nversion = "2.1.2"\n\n[metadata]\nlock-version = "1.1"\n\n'
              f'[metadata.files]\nmarkupsafe = [\n    {{file = "{wheel}", hash = "sha256:{"1" * 64}"}},\n]\n')
    assert found(tmp_path / "b", {"poetry.lock": legacy}).runtime.version == "3.11.2"


def test_pdm_lock_files(tmp_path):
    lock = (f'[[package]]\nname = "markupsafe"\nversion = "2.1.2"\nfiles = [\n'
            f'    {{file = "MarkupSafe-2.1.2-cp310-cp310-{MANYLINUX}.whl", hash = "sha256:{"1" * 64}"}},\n]\n')
    assert found(tmp_path, {"pdm.lock": lock}).runtime.version.startswith("3.10.")


@pytest.mark.parametrize("name, minors", [
    (f"x-1-cp38-cp38-{MANYLINUX}.whl", {8}),
    ("x-1-py3-none-any.whl", None),
    ("six-1.16.0-py2.py3-none-any.whl", None),
    (f"x-1-cp310-abi3-{MANYLINUX}.whl", set(range(10, 40))),
    ("x-1-cp313-cp313t-manylinux_2_17_x86_64.whl", set()),  # free-threaded
    ("x-1-cp312-cp312-win_amd64.whl", set()),
    ("x-1-cp312-cp312-musllinux_1_1_x86_64.whl", set()),
    ("x-1-cp312-cp312-manylinux_2_39_x86_64.whl", set()),  # newer glibc than Debian 12's
    ("x-1-cp312-cp312-manylinux_2_17_aarch64.whl", set()),
    ("not a wheel.whl", set()),
])
def test_which_minors_a_wheel_installs_on(name, minors):
    got = _wheel_minors(name)
    assert (None if got is None else set(got)) == minors
