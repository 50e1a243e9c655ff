"""Every manifest pack-it parses, broken every way a hostile or careless author can (issue 14,
deliver 3): empty, binary, invalid UTF-8, invalid syntax, wrong types, 10 MB, nesting deeper
than any parser's stack, numbers over Python's 4300-digit limit, injected newlines. Each goes
through `pack-it detect` in this process (and, for the locks and the Pipfile the Python pack
turns into a requirements file at build time, through that conversion too) and must give the
exit code written here: 0 where the input is legal, else one sentence naming the file.

One parametrised test, so the count of hostile inputs is the count of its cases."""

from __future__ import annotations

from pathlib import Path

import pytest

from pack_it.detectors.source import SourceTree
from pack_it.errors import PackItError
from pack_it.lifecycle.detect import detect
from pack_it.packs import REGISTRY
from pack_it.packs.python import dependencies
from tests.security.hostile import assert_one_sentence, run_cli

MB10 = 10 << 20
DEEP = 100_000  # far past json's, tomli's and CPython's recursion limits
BINARY = b"\x7fELF\x02\x01\x01\x00" + bytes(range(1, 9)) * 8 + b"\x00" * 32  # valid UTF-8, not text
BAD_UTF8 = b"\xff\xfe\xfa not UTF-8 \xc3\x28\n"
BIG = b"9" * 5000  # over int()'s 4300-digit limit

PY = {"main.py": b"print(1)\n"}
NODE = {"package.json": b'{"name": "a", "scripts": {"start": "node server.js"}}', "server.js": b"1\n"}
GO = {"go.mod": b"module x\n\ngo 1.22\n", "main.go": b"package main\n\nfunc main() {}\n"}
POETRY = {"pyproject.toml": b'[tool.poetry]\nname = "a"\n[tool.poetry.dependencies]\npython = "^3.11"\n', **PY}
PROJECT = {"pyproject.toml": b'[project]\nname = "a"\nversion = "1"\n', **PY}

# file -> (its format, the files beside it that make a pack read it)
MANIFESTS: dict[str, tuple[str, dict[str, bytes]]] = {
    "go.mod": ("text", {"main.go": GO["main.go"]}),
    "go.work": ("text", GO),
    "package.json": ("json", {"server.js": b"1\n"}),
    "Pipfile.lock": ("json", {"Pipfile": b'[packages]\nflask = "*"\n', **PY}),
    "pyproject.toml": ("toml", PY),
    "Pipfile": ("toml", PY),
    "poetry.lock": ("toml", {k: v for k, v in POETRY.items()}),
    "pdm.lock": ("toml", PROJECT),
    "uv.lock": ("toml", PROJECT),
    "mise.toml": ("toml", PY),
    ".mise.toml": ("toml", NODE),
    "requirements.txt": ("text", PY),
    "runtime.txt": ("text", PY),
    ".python-version": ("text", PY),
    ".tool-versions": ("text", PY),
    "setup.cfg": ("text", PY),
    "setup.py": ("python", PY),
    "main.py": ("python", {"requirements.txt": b"flask==3.0.0\n"}),
    ".nvmrc": ("text", NODE),
    ".node-version": ("text", NODE),
    "yarn.lock": ("text", NODE),
    "Procfile": ("text", PY),
    ".dockerignore": ("text", PY),
    ".pack-itignore": ("text", PY),
    ".npmrc": ("text", NODE),
}


def corruptions(fmt: str) -> dict[str, bytes]:
    """label -> content (built when asked: the 10 MB ones are not kept for the whole session)."""
    common = {"empty": b"", "binary": BINARY, "bad-utf8": BAD_UTF8, "nul": b"\x00" * 64}
    if fmt == "json":
        return {**common, "invalid": b"{not json", "deep-array": b"[" * DEEP + b"]" * DEEP,
                "deep-object": b'{"a":' * DEEP + b"1" + b"}" * DEEP, "array": b"[]", "string": b'"x"',
                "null": b"null", "10MB": b'{"name": "' + b"a" * MB10 + b'"}', "bigint": b'{"a": ' + BIG + b"}"}
    if fmt == "toml":
        return {**common, "invalid": b"[[[ = =", "deep-array": b"a = " + b"[" * DEEP + b"]" * DEEP + b"\n",
                "deep-table": b"a = " + b"{b=" * DEEP + b"1" + b"}" * DEEP + b"\n",
                "10MB": b'x = "' + b"a" * MB10 + b'"\n', "bigint": b"a = " + BIG + b"\n"}
    if fmt == "python":
        return {**common, "10MB": b'x = "' + b"a" * MB10 + b'"\n', "deep-unary": b"x = " + b"-" * DEEP + b"1\n",
                "deep-binop": b"x = " + b"1+" * DEEP + b"1\n", "deep-calls": b"f" + b"(1)" * DEEP + b"\n"}
    return {**common, "10MB": (b"a" * 99 + b"\n") * (MB10 // 100), "10MB-line": b"x" * MB10}


# file -> [(label, content)]: wrong types and values where the format itself is fine.
WRONG: dict[str, list[tuple[str, bytes]]] = {
    "package.json": [
        ("name-number", b'{"name": 5}'), ("scripts-string", b'{"scripts": "x"}'),
        ("start-number", b'{"scripts": {"start": 5}}'), ("dependencies-array", b'{"dependencies": []}'),
        ("engines-string", b'{"engines": "x"}'), ("engines-node-number", b'{"engines": {"node": 22}}'),
        ("packageManager-v", b'{"packageManager": "yarn@v4.0.0"}'), ("packageManager-number", b'{"packageManager": 5}'),
        ("packageManager-bigint", b'{"packageManager": "pnpm@' + BIG + b'"}'), ("main-array", b'{"main": ["x"]}'),
        ("workspaces-number", b'{"workspaces": 5}'), ("engines-bun-array", b'{"engines": {"bun": [1]}}'),
        ("engines-node-bigint", b'{"engines": {"node": "' + BIG + b'"}}'),
        ("start-newline", b'{"scripts": {"start": "node server.js\\n-r /etc/shadow"}}'),
    ],
    "pyproject.toml": [
        ("project-string", b'project = "x"'), ("requires-python-float", b"[project]\nrequires-python = 3.11"),
        ("tool-number", b"tool = 5"), ("poetry-number", b"[tool]\npoetry = 5"),
        ("dependencies-string", b'[project]\ndependencies = "x"'), ("dependencies-numbers", b"[project]\ndependencies = [5]"),
        ("scripts-number", b"[project]\nscripts = 5"), ("script-number", b"[project.scripts]\na = 5"),
        ("poetry-dependencies-number", b"[tool.poetry]\ndependencies = 5"),
        ("poetry-python-number", b"[tool.poetry.dependencies]\npython = 5"),
        ("requires-python-bigint", b'[project]\nrequires-python = ">=' + BIG + b'"'),
        ("requires-python-newline", b'[project]\nrequires-python = "==3.11\\n-r /etc/shadow"'),
        ("poetry-python-bigint", b'[tool.poetry.dependencies]\npython = "^3.' + BIG + b'"'),
    ],
    "Pipfile": [
        ("packages-string", b'packages = "x"'), ("package-number", b"[packages]\nflask = 5"),
        ("package-version-number", b"[packages]\nflask = {version = 5}"),
        ("python-version-float", b"[requires]\npython_version = 3.11"), ("requires-number", b"requires = 5"),
        ("name-newline", b'[packages]\n"fla\\nsk" = "*"'), ("version-newline", b'[packages]\nflask = "==1\\n-r /etc/shadow"'),
        ("python-bigint", b'[requires]\npython_version = "3.' + BIG + b'"'),
    ],
    "Pipfile.lock": [
        ("default-number", b'{"default": 5}'), ("package-number", b'{"default": {"flask": 5}}'),
        ("version-number", b'{"default": {"flask": {"version": 5}}}'),
        ("hashes-number", b'{"default": {"flask": {"version": "==1", "hashes": 5}}}'),
        ("version-newline", b'{"default": {"flask": {"version": "==1\\n-r /etc/shadow"}}}'),
        ("package-string", b'{"default": {"flask": "==1"}}'),
    ],
    "poetry.lock": [
        ("package-string", b'package = "x"'), ("package-numbers", b"package = [5]"),
        ("files-number", b'[[package]]\nname = "a"\nversion = "1"\nfiles = 5'),
        ("groups-number", b'[[package]]\nname = "a"\nversion = "1"\ngroups = 5'),
        ("source-number", b'[[package]]\nname = "a"\nversion = "1"\nsource = 5'),
        ("version-newline", b'[[package]]\nname = "a"\nversion = "1\\n-r /etc/shadow"'),
        ("version-bigint", b'[[package]]\nname = "a"\nversion = "1.' + BIG + b'"'),
    ],
    "pdm.lock": [
        ("package-string", b'package = "x"'), ("groups-number", b'[[package]]\nname = "a"\nversion = "1"\ngroups = 5'),
        ("files-numbers", b'[[package]]\nname = "a"\nversion = "1"\nfiles = [5]'),
    ],
    "mise.toml": [("tools-number", b"tools = 5"), ("python-float", b"[tools]\npython = 3.10"),
                  ("python-bigint", b'[tools]\npython = "3.' + BIG + b'"')],
    ".mise.toml": [("node-array-of-arrays", b"[tools]\nnode = [[1]]"), ("node-bigint", b'[tools]\nnode = "' + BIG + b'"')],
    ".python-version": [("bigint", b"3." + BIG), ("newline-injection", b"3.11\n-r /etc/shadow")],
    "runtime.txt": [("bigint", b"python-3." + BIG), ("two-lines", b"python-3.11\nx")],
    ".tool-versions": [("bigint", b"python 3." + BIG)],
    ".nvmrc": [("bigint", b"v" + BIG), ("lts-unknown", b"lts/" + b"x" * 300)],
    "go.mod": [("go-bigint", b"module x\ngo 1." + BIG), ("open-block", b"module x\ngo 1.22\nrequire (\n")],
    "go.work": [("use-outside", b"go 1.22\nuse ../../etc"), ("use-absolute", b"go 1.22\nuse /etc")],
    "Procfile": [("no-command", b"web:"), ("twice", b"web: a\nweb: b"), ("shell", b"web: sh -c 'x; y'")],
    "requirements.txt": [("include-host", b"-r /etc/passwd"), ("include-self", b"-r requirements.txt"),
                         ("version-bigint", b"flask==1." + BIG), ("index-file", b"--index-url file:///etc")],
    "setup.py": [("install-requires-number", b"from setuptools import setup\nsetup(install_requires=5)"),
                 ("install-requires-deep", b"setup(install_requires=[" + b'"a"+' * 5000 + b'"a"])')],
    "setup.cfg": [("unclosed-section", b"[options\n")],
}

LABELS_PYTHON = ("empty", "binary", "bad-utf8", "nul", "10MB", "deep-unary", "deep-binop", "deep-calls")
LABELS_TEXT = ("empty", "binary", "bad-utf8", "nul", "10MB", "10MB-line")
# The exit code each case gives when it is not the default (21 for a corruption of a file
# pack-it parses). 0: the input is legal (an empty requirements.txt), or the file is one
# pack-it does not parse (an ignore file's odd patterns, a Python module skipped with a warning).
OK = 0
EXPECTED: dict[tuple[str, str], int] = {
    **{(f, k): OK for f in ("pyproject.toml", "Pipfile", "poetry.lock", "pdm.lock", "uv.lock", "mise.toml",
                            ".mise.toml") for k in ("empty", "10MB")},
    **{(f, k): OK for f in ("requirements.txt", ".python-version", ".tool-versions", "setup.cfg", "Procfile")
       for k in ("empty",)},
    **{(f, k): OK for f in ("setup.py", "main.py") for k in LABELS_PYTHON},
    **{(f, k): OK for f in (".dockerignore", ".pack-itignore", ".npmrc") for k in LABELS_TEXT},
    **{(f, k): OK for f in (".tool-versions", "yarn.lock") for k in ("10MB", "10MB-line")},
    ("yarn.lock", "empty"): OK, ("yarn.lock", "binary"): OK, ("yarn.lock", "nul"): OK,
    (".tool-versions", "binary"): OK, (".tool-versions", "nul"): OK,
    ("setup.cfg", "10MB"): 21, ("setup.cfg", "10MB-line"): 21,  # no section header
    ("package.json", "10MB"): OK, ("Pipfile.lock", "10MB"): OK,  # large, but a valid document
    ("go.mod", "empty"): 21, ("go.work", "empty"): 21,
    ("requirements.txt", "include-self"): OK, ("requirements.txt", "include-host"): 21,
    ("requirements.txt", "version-bigint"): OK,  # uv's to refuse; nothing is converted to a number
    ("package.json", "packageManager-v"): OK,  # Corepack's "v4.0.0" is yarn 4
    (".python-version", "newline-injection"): OK,  # the first line is the version; nothing else is read
    ("setup.py", "install-requires-deep"): OK,  # too deep to evaluate: computed, pip will know at build time
    ("requirements.txt", "index-file"): 22,
    ("Procfile", "shell"): OK,  # runs in the container with dash added (lifecycle/launch)
    ("go.work", "use-outside"): 22, ("go.work", "use-absolute"): 22,
    (".nvmrc", "bigint"): 21, (".nvmrc", "lts-unknown"): 22,
    ("pdm.lock", "10MB"): OK, ("package.json", "start-newline"): OK,  # a two-line script: the image gets a shell, the host nothing
}
# Files whose failure may name another file it concerns instead (no `package main` in the
# tree: the error names go.mod, which asked for one).
ALSO_NAMED = {"main.go": ("go.mod",), "go.work": ("go.mod",)}


LABELS = {fmt: tuple(corruptions(fmt)) for fmt in ("json", "toml", "python", "text")}


def cases() -> list[tuple[str, str]]:
    found = []
    for rel, (fmt, _) in MANIFESTS.items():
        found += [(rel, label) for label in LABELS[fmt]]
        found += [(rel, label) for label, _ in WRONG.get(rel, [])]
    return found


def content(rel: str, label: str) -> bytes:
    wrong = dict(WRONG.get(rel, []))
    return wrong[label] if label in wrong else corruptions(MANIFESTS[rel][0])[label]


CASES = cases()


def _write_app(root: Path, rel: str, data: bytes) -> Path:
    app = root / "app"
    app.mkdir()
    for name, content in MANIFESTS[rel][1].items():
        (app / name).write_bytes(content)
    (app / rel).write_bytes(data)
    return app


def _build_time_conversion(app: Path) -> None:
    """What the Python pack does with a lock or Pipfile before uv runs: the requirements lines."""
    tree = SourceTree(app)
    python = detect(tree, REGISTRY).details.get("python")
    kind = getattr(getattr(python, "install", None), "kind", None)
    convert = {"poetry.lock": dependencies._poetry, "pdm.lock": dependencies._pdm,
               "Pipfile.lock": dependencies._pipfile_lock, "Pipfile": dependencies._pipfile}.get(str(kind))
    if convert is not None:
        convert(tree)


@pytest.mark.parametrize("rel,label", CASES, ids=[f"{rel}:{label}" for rel, label in CASES])
def test_a_hostile_manifest_is_one_sentence_naming_it(tmp_path, monkeypatch, capsys, rel, label):
    app = _write_app(tmp_path, rel, content(rel, label))
    monkeypatch.chdir(tmp_path)
    answer = run_cli(monkeypatch, capsys, ["detect", str(app)], watch=(tmp_path,))
    if answer.code == 0:  # the Python pack reads locks again when it builds: that must hold too
        try:
            _build_time_conversion(app)
        except PackItError as e:
            answer = type(answer)(e.exit_code, "", f"error: {e.message}\nhint: {e.hint}\n")
    expected = EXPECTED.get((rel, label), 21)
    assert_one_sentence(answer, (rel, *ALSO_NAMED.get(rel, ())), expected)


def test_there_are_at_least_80_hostile_manifests():
    assert len(CASES) >= 80 and len(MANIFESTS) >= 25


def test_the_labels_are_the_corruptions():
    assert LABELS["python"] == LABELS_PYTHON and LABELS["text"] == LABELS_TEXT
