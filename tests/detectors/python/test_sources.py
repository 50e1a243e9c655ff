"""Finding the app's modules and reading them with ast."""

from __future__ import annotations

import ast

import pytest

from pack_it.detectors.python.sources import Module, Sources, import_map, module_name

from .trees import write_tree


@pytest.mark.parametrize("path, packages, expected", [
    ("main.py", set(), "main"),
    ("app/main.py", {"app"}, "app.main"),
    ("app/main.py", set(), None),  # app/ is not a package
    ("app/api/v1.py", {"app"}, None),  # app/api/ is not
    ("app/api/v1.py", {"app", "app/api"}, "app.api.v1"),
    ("app/__init__.py", {"app"}, "app"),
    ("src/pkg/app.py", {"src/pkg"}, "pkg.app"),
    ("src/pkg/__init__.py", {"src/pkg"}, "pkg"),
    ("src/app.py", set(), None),  # src/ itself is not on the path
    ("src/pkg/app.py", {"src", "src/pkg"}, "src.pkg.app"),  # a package named src
])
def test_module_name(path, packages, expected):
    assert module_name(path, packages) == expected


def test_modules_are_root_level_first_then_packages(tmp_path):
    sources = Sources(write_tree(tmp_path, {
        "zeta.py": "", "alpha/__init__.py": "", "alpha/views.py": "", "beta.py": "",
        "src/gamma/__init__.py": "", "docs/conf.py": "", "tests/__init__.py": "", "tests/test_x.py": ""}))
    assert [m.name for m in sources.modules] == ["beta", "zeta", "alpha", "alpha.views", "gamma"]
    assert sources.by_name("gamma").path == "src/gamma/__init__.py"
    assert sources.by_name("docs.conf") is None


def module(source: str) -> Module:
    tree = ast.parse(source)
    return Module("m.py", "m", tree, import_map(tree))


@pytest.mark.parametrize("source, expression, expected", [
    ("from flask import Flask", "Flask", "flask.Flask"),
    ("from flask import Flask as F", "F", "flask.Flask"),
    ("import flask", "flask.Flask", "flask.Flask"),
    ("import flask as f", "f.Flask", "flask.Flask"),
    ("import starlette.applications", "starlette.applications.Starlette", "starlette.applications.Starlette"),
    ("from . import Flask", "Flask", None),  # relative: the app's own module
    ("", "Flask", None),
    ("def f():\n    from fastapi import FastAPI", "FastAPI", "fastapi.FastAPI"),  # imports anywhere count
])
def test_resolve(source, expression, expected):
    assert module(source).resolve(ast.parse(expression, mode="eval").body) == expected


def test_imported_modules():
    found = module("import os.path\nfrom http.server import HTTPServer\nfrom . import local\nimport a as b\n")
    assert found.imported == {"os.path", "http.server", "a"}
    assert found.imports_any(("http.server",)) and found.imports_any(("os",))
    assert not found.imports_any(("http.client", "o"))


def test_a_file_is_parsed_once_and_warned_about_once(tmp_path):
    sources = Sources(write_tree(tmp_path, {"main.py": "def (\n"}))
    assert sources.parse("main.py") is None
    assert sources.parse("main.py") is None
    assert sources.module("main.py") is None
    assert sources.warnings == ["main.py has a syntax error (line 1): it is skipped when looking for the app."]


def test_ignored_files_are_not_modules(tmp_path):
    tree = write_tree(tmp_path, {".dockerignore": "legacy/\n", "legacy/__init__.py": "", "legacy/app.py": "",
                                 "app/__init__.py": ""})
    assert [m.name for m in Sources(tree).modules] == ["app"]
