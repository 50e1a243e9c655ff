"""package.json loading: None without one, exit 21 naming the file or the field otherwise."""

from __future__ import annotations

import pytest

from pack_it.detectors.node import package_json
from pack_it.detectors.node.package_json import PackageJson
from pack_it.errors import PackItError
from tests.detectors.node.helpers import refused, run, write_tree


def test_no_package_json_is_not_node_and_asks_for_no_versions(tmp_path):
    def must_not_be_called():
        raise AssertionError("node_versions called")

    # (a server.js, app.js or index.js alone is a Node app: test_bare.py)
    tree = write_tree(tmp_path, {"util.js": "", "yarn.lock": "", ".nvmrc": "20\n"})
    assert run(tree, must_not_be_called) is None


def test_nested_package_json_alone_is_not_a_node_app(tmp_path):
    assert run(write_tree(tmp_path, {"web/package.json": {"name": "w"}})) is None


def test_fields_read(tmp_path):
    tree = write_tree(tmp_path, {"package.json": {
        "name": "demo", "main": "lib/index.js", "engines": {"node": ">=20", "npm": ">=10"},
        "packageManager": "npm@10.8.0", "workspaces": ["packages/*"],
        "scripts": {"start": "node ."}, "dependencies": {"a": "1"}, "devDependencies": {"b": "2"},
        "unrelated": [1, 2, 3],
    }})
    assert package_json.load(tree) == PackageJson(
        name="demo", scripts={"start": "node ."}, main="lib/index.js", engines_node=">=20",
        package_manager="npm@10.8.0", workspaces=True, dependencies={"a": "1"}, dev_dependencies={"b": "2"},
    )


def test_empty_object_has_defaults(tmp_path):
    assert package_json.load(write_tree(tmp_path, {"package.json": "{}"})) == PackageJson()


@pytest.mark.parametrize("workspaces, expected", [
    (["packages/*"], True),
    ({"packages": ["apps/*"], "nohoist": []}, True),
    ([], False),
    ({"nohoist": ["x"]}, False),
])
def test_workspaces_forms(tmp_path, workspaces, expected):
    tree = write_tree(tmp_path, {"package.json": {"workspaces": workspaces}})
    assert package_json.load(tree).workspaces is expected


def test_dependency_evidence():
    pkg = PackageJson(dependencies={"express": "4"}, dev_dependencies={"vite": "5", "express": "4"})
    assert pkg.where("express") == "package.json (dependencies.express)"
    assert pkg.where("vite") == "package.json (devDependencies.vite)"
    assert pkg.dependency_field("koa") is None


@pytest.mark.parametrize("text, kind", [("[]", "an array"), ('"app"', "a string"), ("42", "a number"),
                                        ("null", "null"), ("true", "a boolean")])
def test_package_json_that_is_not_an_object(tmp_path, text, kind):
    err = refused(write_tree(tmp_path, {"package.json": text}))
    assert err.exit_code == 21
    assert err.message == f"package.json must hold a JSON object, not {kind}."


@pytest.mark.parametrize("package, field", [
    ({"scripts": ["node server.js"]}, "`scripts`"),
    ({"scripts": {"start": ["node", "x.js"]}}, "`scripts.start`"),
    ({"main": 1}, "`main`"),
    ({"engines": "node 20"}, "`engines`"),
    ({"engines": {"node": 20}}, "`engines.node`"),
    ({"dependencies": ["express"]}, "`dependencies`"),
    ({"devDependencies": {"vite": {"version": "5"}}}, "`devDependencies.vite`"),
    ({"workspaces": "packages/*"}, "`workspaces`"),
    ({"packageManager": ["pnpm"]}, "`packageManager`"),
])
def test_field_of_the_wrong_type_names_it(tmp_path, package, field):
    with pytest.raises(PackItError) as err:
        package_json.load(write_tree(tmp_path, {"package.json": package}))
    assert err.value.exit_code == 21
    assert err.value.message.startswith(f"package.json: {field} must be")


def test_wrong_type_message_shows_the_value_as_json(tmp_path):
    with pytest.raises(PackItError) as err:
        package_json.load(write_tree(tmp_path, {"package.json": {"scripts": {"start": None}}}))
    assert err.value.message == "package.json: `scripts.start` must be a string, not null (null)."
    assert err.value.hint == "Fix `scripts.start` in package.json."
