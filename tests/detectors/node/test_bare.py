"""A server.js (app.js, index.js) with no package.json: Node's built-in modules only."""

import pytest

from pack_it.detectors.node import bare, detect
from pack_it.errors import UNSUPPORTED, PackItError
from pack_it.lifecycle.detect import detect as detect_app
from pack_it.packs import REGISTRY
from tests.detectors.node.helpers import SERVER, versions, write_tree


def test_a_lone_server_js_runs_with_node_and_installs_nothing(tmp_path):
    found = detect(write_tree(tmp_path, {"server.js": SERVER, "README.md": "hi"}), None, versions)
    assert found.processes[0].command == ("node", "server.js")
    assert found.processes[0].source == "server.js (no package.json)"
    assert found.package_manager is None
    assert found.facts.package_json is False
    assert found.runtime.version == "22.12.0"  # the newest LTS, as for any app that asks for none
    assert "nothing is installed" in found.warnings[0]


def test_the_lifecycle_picks_the_node_pack_for_it(tmp_path):
    tree = write_tree(tmp_path, {"app.js": 'import http from "node:http";\nhttp.createServer().listen(8080);\n'})
    plan = detect_app(tree, REGISTRY)
    assert plan.language == "node" and plan.processes[0].command == ("node", "app.js")


@pytest.mark.parametrize("files", [
    {"README.md": "no code"},
    {"server.js": SERVER, "package.json": "{}"},  # an ordinary Node app: not this rule's
    {"index.js": "document.title = 'x';", "index.html": "<html></html>"},  # a static page's script
])
def test_not_a_bare_server(tmp_path, files):
    assert bare.entry(write_tree(tmp_path, files)) is None


def test_a_server_requiring_a_package_is_refused_naming_file_and_line(tmp_path):
    tree = write_tree(tmp_path, {"server.js": "// require('left-pad') in a comment is fine\n"
                                              "const fs = require('fs');\nconst express = require('express');\n"})
    with pytest.raises(PackItError) as err:
        detect(tree, None, versions)
    assert err.value.exit_code == UNSUPPORTED
    assert err.value.message == "server.js line 3 requires express, and there is no package.json to install it from."


@pytest.mark.parametrize("text, packages", [
    ('const x = require("node:crypto"); import y from "fs/promises"; import("./local.js")', []),
    ('import chalk from "chalk";\nimport { a } from "@scope/pkg/sub";\nrequire("lodash/fp")', ["chalk", "@scope/pkg", "lodash"]),
    ('/* require("inside-a-comment") */ const u = "http://example.com"; // require("x")', []),
])
def test_packages_required(text, packages):
    assert bare.packages_required(text) == packages
