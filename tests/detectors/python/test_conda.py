"""A conda environment.yml: its pip: section and the PyPI namesakes of its conda packages are
installed from PyPI, its python=3.x chooses the Python; what PyPI cannot give is refused,
naming the line."""

from __future__ import annotations

import pytest

from pack_it.detectors.python import conda, detect
from pack_it.detectors.source import SourceTree
from pack_it.errors import PackItError

from .trees import FLASK_APP, write_tree

ENV = """name: shop
channels:
  - conda-forge
dependencies:
  - python=3.12
  - flask=3.1
  - conda-forge::numpy >=1.26,<3
  - pytorch==2.5.1=py312_0
  - openssl
  - pip
  - pip:
    - gunicorn==23.0.0
    - "requests[socks]>=2.32 ; python_version >= '3.9'"
"""


def tree(tmp_path, text=ENV, name="environment.yml", **files):
    return write_tree(tmp_path, {name: text, "app.py": FLASK_APP, **files})


def test_pip_and_conda_packages_become_pypi_requirements(tmp_path):
    env = conda.environment(tree(tmp_path), "environment.yml")
    assert env.python == conda.Entry("==3.12.*", 5)
    assert env.requirements == ("flask==3.1.*", "numpy<3,>=1.26", "torch==2.5.1", "gunicorn==23.0.0",
                                'requests[socks]>=2.32; python_version >= "3.9"')
    assert env.notes == ("environment.yml:8: conda's pytorch is torch on PyPI, and installed as that",)


def test_the_plan_installs_them_with_the_python_it_asks_for(tmp_path):
    found = detect(tree(tmp_path), {})
    assert (found.runtime.version.startswith("3.12."), found.runtime.source) == (True, "environment.yml")
    assert found.package_manager.name == "pip" and found.package_manager.source == "environment.yml"
    assert found.facts.install.kind == "conda" and found.facts.install.files == ("environment.yml",)
    assert found.facts.dependencies == ("flask", "gunicorn", "numpy", "requests", "torch")
    assert found.facts.added == ()  # gunicorn is in its pip: section
    assert any("conda's channels are not reachable" in w for w in found.warnings)


def test_list_items_at_the_margin(tmp_path):
    text = "name: x\ndependencies:\n- python=3.11\n- flask\n- pip:\n  - gunicorn\nprefix: /opt/conda\n"
    env = conda.environment(tree(tmp_path, text), "environment.yml")
    assert (env.python, env.requirements) == (conda.Entry("==3.11.*", 3), ("flask", "gunicorn"))


def test_an_exported_environments_native_libraries_are_left_to_the_wheels(tmp_path):
    text = ("name: x\nchannels:\n  - conda-forge\ndependencies:\n  - _libgcc_mutex=0.1=conda_forge\n"
            "  - libblas=3.9.0=20_linux64_openblas\n  - libgfortran5=13.2.0=ha4646dd_2\n  - openssl=3.2.0=hd590300_1\n"
            "  - numpy=1.26.2=py311h64a7726_0\n  - libcst=1.1.0\n  - python=3.11.7=hab00c5b_0_cpython\n")
    env = conda.environment(tree(tmp_path, text), "environment.yml")
    assert env.requirements == ("numpy==1.26.2.*", "libcst==1.1.0.*")
    assert env.python == conda.Entry("==3.11.7.*", 11)
    assert env.notes == ("environment.yml: libblas, libgfortran5 are native libraries conda builds "
                         "against; PyPI's wheels carry their own, so they are not installed",)


def test_environment_yaml_is_read_too(tmp_path):
    assert detect(tree(tmp_path, name="environment.yaml"), {}).facts.install.kind == "conda"


def test_a_conda_only_package_is_refused_naming_its_line(tmp_path):
    with pytest.raises(PackItError) as err:
        detect(tree(tmp_path, ENV.replace("  - openssl\n", "  - nodejs=20\n")), {})
    assert err.value.exit_code == 22
    assert err.value.message.startswith("environment.yml:9: asks for the conda package nodejs, which is not a "
                                        "Python library")


@pytest.mark.parametrize("text, line, what", [
    ("dependencies:\n  - flask\n  - pip:\n    - -r requirements.txt\n", 4, "is not a package requirement"),
    ("dependencies:\n\t- flask\n", 2, "tab"),
    ("dependencies:\n  - {flask: 1}\n", 2, "is not a conda package or a `pip:` section"),
    ("dependencies: flask\n", 1, "must be a list"),
    ("dependencies:\n  - flask=>>1\n", 2, "cannot be read as a version range"),
    ("dependencies:\n  flask\n", 2, "is not a `- package` list item"),
])
def test_what_it_cannot_read_is_one_sentence_naming_the_line(tmp_path, text, line, what):
    with pytest.raises(PackItError) as err:
        detect(tree(tmp_path, text), {})
    assert err.value.exit_code == 21
    assert err.value.message.startswith(f"environment.yml:{line}: ") and what in err.value.message


def test_requirements_txt_wins_over_it(tmp_path):
    found = detect(tree(tmp_path, **{"requirements.txt": "flask\n"}), {})
    assert found.facts.install.kind == "requirements"
    assert any("ignores environment.yml" in w for w in found.warnings)


def test_only_an_environment_file_is_a_python_signal(tmp_path):
    write_tree(tmp_path, {"environment.yml": ENV, "serve.py": FLASK_APP})
    assert detect(SourceTree(tmp_path), {}) is not None
