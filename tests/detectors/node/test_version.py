"""The Node version: version files before engines.node, npm range syntax, nvm aliases,
both constraints at once, and the newest available release that fits."""

from __future__ import annotations

import pytest

from pack_it.detectors.facts import Runtime
from pack_it.detectors.node import version
from pack_it.detectors.node.package_json import PackageJson
from pack_it.errors import PackItError
from tests.detectors.node.helpers import versions, write_tree


def resolve(tmp_path, files: dict[str, str] | None = None, engines: str | None = None, available=versions):
    tree = write_tree(tmp_path, {"package.json": "{}", **(files or {})})
    return version.resolve(tree, PackageJson(engines_node=engines), available)


def failure(tmp_path, files=None, engines=None, available=versions) -> PackItError:
    with pytest.raises(PackItError) as err:
        resolve(tmp_path, files, engines, available)
    return err.value


def test_no_constraint_is_the_newest_lts(tmp_path):
    assert resolve(tmp_path) == (Runtime("node", "22.12.0", "default"), None)


@pytest.mark.parametrize("engines, expected", [
    ("^20", "20.18.1"),
    ("~20.11", "20.11.0"),
    ("~20.11.0", "20.11.0"),
    (">=18 <21", "20.18.1"),
    ("20.x", "20.18.1"),
    ("20", "20.18.1"),
    ("18.20.4", "18.20.4"),
    ("v18.20.4", "18.20.4"),
    ("18.0.0 - 20.12.0", "20.11.0"),
    ("^18 || ^20", "20.18.1"),
    (">=16", "23.5.0"),
    ("*", "23.5.0"),
    ("", "23.5.0"),
    ("<18", "16.20.2"),
])
def test_engines_ranges(tmp_path, engines, expected):
    assert resolve(tmp_path, engines=engines) == (Runtime("node", expected, "package.json (engines.node)"), engines)


def test_prereleases_and_junk_in_the_list_are_never_chosen(tmp_path):
    err = failure(tmp_path, engines=">=24.0.0-0")  # the list's only 24 is 24.0.0-rc.1
    assert err.exit_code == 22


@pytest.mark.parametrize("nvmrc, text, expected", [
    ("20.11.0\n", "20.11.0", "20.11.0"),
    ("v20.11.0\n", "v20.11.0", "20.11.0"),
    ("20\n", "20", "20.18.1"),
    ("lts/*\n", "lts/*", "22.12.0"),
    ("lts/-1\n", "lts/-1", "20.18.1"),
    ("lts/-2\n", "lts/-2", "18.20.5"),
    ("lts/iron\n", "lts/iron", "20.18.1"),
    ("lts/Hydrogen\n", "lts/Hydrogen", "18.20.5"),
    ("lts/gallium\n", "lts/gallium", "16.20.2"),
    ("node\n", "node", "23.5.0"),
    ("# comment\n\n  22  # trailing\n", "22", "22.12.0"),
])
def test_nvmrc(tmp_path, nvmrc, text, expected):
    assert resolve(tmp_path, {".nvmrc": nvmrc}) == (Runtime("node", expected, ".nvmrc"), text)


def test_node_version_file(tmp_path):
    assert resolve(tmp_path, {".node-version": "18\n"}) == (Runtime("node", "18.20.5", ".node-version"), "18")


@pytest.mark.parametrize("line", ["nodejs 20.11.0", "node 20.11.0", "nodejs 20.11.0 18.20.5  # fallback"])
def test_tool_versions(tmp_path, line):
    text = f"python 3.12.1\n{line}\n"
    assert resolve(tmp_path, {".tool-versions": text}) == (Runtime("node", "20.11.0", ".tool-versions"), "20.11.0")


def test_tool_versions_without_node_is_skipped(tmp_path):
    files = {".tool-versions": "python 3.12.1\n", "mise.toml": '[tools]\nnode = "18"\n'}
    assert resolve(tmp_path, files) == (Runtime("node", "18.20.5", "mise.toml"), "18")


@pytest.mark.parametrize("toml, expected", [
    ('[tools]\nnode = "20"\n', "20"),
    ("[tools]\nnode = 20\n", "20"),
    ('[tools]\nnode = ["18", "20"]\n', "18"),
    ('[tools]\nnode = { version = "22" }\n', "22"),
])
def test_mise_toml(tmp_path, toml, expected):
    runtime, text = resolve(tmp_path, {"mise.toml": toml})
    assert (runtime.source, text) == ("mise.toml", expected)
    assert runtime.version.split(".")[0] == expected


def test_mise_toml_without_node_falls_to_engines(tmp_path):
    files = {"mise.toml": '[tools]\npython = "3.12"\n'}
    assert resolve(tmp_path, files, engines="^18") == (Runtime("node", "18.20.5", "package.json (engines.node)"), "^18")


def test_priority_nvmrc_first(tmp_path):
    files = {".nvmrc": "18\n", ".node-version": "20\n", ".tool-versions": "nodejs 22.11.0\n", "mise.toml": '[tools]\nnode="16"\n'}
    assert resolve(tmp_path, files)[0] == Runtime("node", "18.20.5", ".nvmrc")
    del files[".nvmrc"]
    (tmp_path / ".nvmrc").unlink()
    assert resolve(tmp_path, files)[0] == Runtime("node", "20.18.1", ".node-version")


def test_version_file_and_engines_are_both_satisfied(tmp_path):
    # .nvmrc alone would pick 20.18.1; engines caps it
    assert resolve(tmp_path, {".nvmrc": "20\n"}, engines=">=18 <20.12") == (Runtime("node", "20.11.0", ".nvmrc"), "20")


def test_version_file_and_engines_that_cannot_agree(tmp_path):
    err = failure(tmp_path, {".nvmrc": "lts/iron\n"}, engines="^22")
    assert err.exit_code == 22
    assert err.message == (".nvmrc asks for Node.js 'lts/iron' and package.json (engines.node) for '^22'; "
                           "no available release satisfies both.")
    assert "23.5.0, 22.12.0, 21.7.3, 20.18.1, 18.20.5" in err.hint


def test_nothing_matches_names_range_file_and_newest(tmp_path):
    err = failure(tmp_path, engines="^25")
    assert err.exit_code == 22
    assert err.message == "No available Node.js release satisfies '^25' from package.json (engines.node)."
    assert err.hint == "Newest available: 23.5.0, 22.12.0, 21.7.3, 20.18.1, 18.20.5. Ask for one of those."


def test_nothing_matches_in_version_file(tmp_path):
    err = failure(tmp_path, {".node-version": "19.1.0"})
    assert err.exit_code == 22
    assert "'19.1.0' from .node-version" in err.message


def test_lts_back_beyond_the_list(tmp_path):
    err = failure(tmp_path, {".nvmrc": "lts/-9"})
    assert err.exit_code == 22
    assert "'lts/-9' from .nvmrc" in err.message


@pytest.mark.parametrize("text", ["twenty", ">=18 <<20", "^20.x.y", "node 20", "20 ||| 22"])
def test_invalid_range_is_invalid_input(tmp_path, text):
    err = failure(tmp_path, engines=text)
    assert err.exit_code == 21
    assert err.message == f"package.json (engines.node) asks for Node.js {text!r}, which is not a version range."


def test_unknown_lts_codename(tmp_path):
    err = failure(tmp_path, {".nvmrc": "lts/unicorn"})
    assert err.exit_code == 22
    assert "lts/iron (20)" in err.hint


@pytest.mark.parametrize("text", ["system", "iojs", "iojs-v3"])
def test_aliases_pack_it_cannot_provide(tmp_path, text):
    err = failure(tmp_path, {".nvmrc": text})
    assert err.exit_code == 22


def test_empty_nvmrc(tmp_path):
    err = failure(tmp_path, {".nvmrc": "\n# only a comment\n"})
    assert err.exit_code == 21
    assert err.message == ".nvmrc is empty."


def test_broken_mise_toml_names_the_file(tmp_path):
    err = failure(tmp_path, {"mise.toml": "[tools\nnode = 20\n"})
    assert err.exit_code == 21
    assert err.message.startswith("mise.toml is not valid TOML")


def test_no_lts_in_the_list(tmp_path):
    err = failure(tmp_path, available=lambda: ["21.7.3", "23.5.0"])
    assert err.exit_code == 22
    assert err.hint == "Newest available: 23.5.0, 21.7.3."


def test_versions_are_listed_once(tmp_path):
    calls = []
    resolve(tmp_path, {".nvmrc": "lts/-1"}, engines=">=18", available=lambda: calls.append(1) or versions())
    assert calls == [1]
