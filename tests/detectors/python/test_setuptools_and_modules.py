"""A setuptools project's console script (setup.cfg, setup.py), and `python -m package`."""

import pytest

from pack_it.detectors.python import detect
from pack_it.errors import AMBIGUOUS, PackItError
from tests.detectors.trees import write_tree

SERVER = "from http.server import HTTPServer\n\ndef main():\n    HTTPServer(('', 8080), None).serve_forever()\n"


def test_a_setup_cfg_console_script_starts_the_app(tmp_path):
    found = detect(write_tree(tmp_path, {
        "setup.cfg": "[metadata]\nname = svc\n\n[options]\npackages = find:\n\n"
                     "[options.entry_points]\nconsole_scripts =\n    svc = svc.cli:main\n",
        "svc/__init__.py": "", "svc/cli.py": SERVER}))
    assert found.processes[0].source == "setup.cfg"
    assert found.processes[0].type == "web"
    assert "from svc.cli import main" in found.processes[0].command[-1]


def test_a_setup_py_console_script_is_read_not_run(tmp_path):
    found = detect(write_tree(tmp_path, {
        "setup.py": "import sys\nfrom setuptools import setup\nsetup(name='job', entry_points={'console_scripts': "
                    "['job = job.run:main']}, install_requires=[x for x in sys.argv])\n",
        "job/__init__.py": "", "job/run.py": "def main():\n    print('working')\n"}))
    assert found.processes[0].source == "setup.py"
    assert found.processes[0].type == "worker"
    assert "from job.run import main" in found.processes[0].command[-1]


def test_several_setuptools_scripts_none_named_after_the_project_is_ambiguous(tmp_path):
    with pytest.raises(PackItError) as err:
        detect(write_tree(tmp_path, {
            "setup.cfg": "[metadata]\nname = tools\n\n[options.entry_points]\nconsole_scripts =\n"
                         "    a = t.a:main\n    b = t.b:main\n", "t/__init__.py": ""}))
    assert err.value.exit_code == AMBIGUOUS
    assert err.value.message.startswith("setup.cfg declares several scripts (a, b)")


def test_a_package_with_main_runs_as_python_dash_m(tmp_path):
    found = detect(write_tree(tmp_path, {"svc/__init__.py": "", "svc/__main__.py": "from svc.web import run\nrun()\n",
                                         "svc/web.py": SERVER.replace("def main", "def run")}))
    assert found.processes[0].command == ("python", "-m", "svc")
    assert found.processes[0].source == "svc/__main__.py"
    assert found.processes[0].type == "web"


def test_two_packages_with_main_are_not_guessed_between(tmp_path):
    from pack_it.detectors.python.scripts import package_main
    from pack_it.detectors.python.sources import Sources

    tree = write_tree(tmp_path, {"a/__main__.py": "print(1)\n", "b/__main__.py": "print(2)\n"})
    assert package_main(tree, Sources(tree)) is None
    one = write_tree(tmp_path / "one", {"a/__main__.py": "print(1)\n", "b/__init__.py": ""})
    assert package_main(one, Sources(one)).command == ("python", "-m", "a")
