"""Python functions framework: main.py's decorated function, served by `functions-framework --target`."""

import pytest

from pack_it.detectors.python import detect
from pack_it.errors import AMBIGUOUS, PackItError
from tests.detectors.trees import write_tree

REQS = {"requirements.txt": "functions-framework==3.8.2\n"}


@pytest.mark.parametrize("code, target", [
    ("import functions_framework\n\n@functions_framework.http\ndef hello(request):\n    return 'hi'\n", "hello"),
    ("from functions_framework import cloud_event\n\ndef helper():\n    pass\n\n@cloud_event\ndef on_event(e):\n    pass\n",
     "on_event"),
])
def test_the_decorated_function_is_the_target(tmp_path, code, target):
    found = detect(write_tree(tmp_path, {**REQS, "main.py": code}))
    assert found.processes[0].command == ("functions-framework", f"--target={target}")
    assert found.processes[0].type == "web"
    assert found.framework.name == "functions-framework"


def test_several_functions_are_ambiguous(tmp_path):
    code = ("import functions_framework\n\n@functions_framework.http\ndef a(r):\n    pass\n\n"
            "@functions_framework.http\ndef b(r):\n    pass\n")
    with pytest.raises(PackItError) as err:
        detect(write_tree(tmp_path, {**REQS, "main.py": code}))
    assert err.value.exit_code == AMBIGUOUS
    assert err.value.message.startswith("main.py declares several functions (a, b)")


def test_an_undecorated_main_is_not_a_function(tmp_path):
    found = detect(write_tree(tmp_path, {**REQS, "main.py": "import functions_framework\nprint('x')\n"}))
    assert found.processes[0].command == ("python", "main.py")
