"""The package manager: packageManager (Corepack) first, then lockfiles in a fixed order,
then npm; each disagreement a warning naming the winner."""

from __future__ import annotations

import pytest

from pack_it.detectors.facts import PackageManager
from pack_it.detectors.node import package_manager
from pack_it.detectors.node.package_json import PackageJson
from pack_it.errors import PackItError
from tests.detectors.node.helpers import write_tree

CLASSIC = "# yarn lockfile v1\n\n\nexpress@^4:\n  version \"4.19.2\"\n"
BERRY = "__metadata:\n  version: 8\n  cacheKey: 10c0\n"


def choose(tmp_path, files: dict[str, str], field: str | None = None):
    tree = write_tree(tmp_path, {"package.json": "{}", **files})
    return package_manager.choose(tree, PackageJson(package_manager=field))


@pytest.mark.parametrize("files, name, source, lockfile", [
    ({"package-lock.json": "{}"}, "npm", "package-lock.json", "package-lock.json"),
    ({"npm-shrinkwrap.json": "{}"}, "npm", "npm-shrinkwrap.json", "npm-shrinkwrap.json"),
    ({"yarn.lock": CLASSIC}, "yarn", "yarn.lock", "yarn.lock"),
    ({"yarn.lock": BERRY}, "yarn-berry", "yarn.lock (__metadata)", "yarn.lock"),
    ({"yarn.lock": CLASSIC, ".yarnrc.yml": "nodeLinker: node-modules\n"}, "yarn-berry", "yarn.lock + .yarnrc.yml", "yarn.lock"),
    ({"pnpm-lock.yaml": "lockfileVersion: '9.0'\n"}, "pnpm", "pnpm-lock.yaml (lockfileVersion 9.0)", "pnpm-lock.yaml"),
    ({"bun.lock": "{}"}, "bun", "bun.lock", "bun.lock"),
    ({"bun.lockb": "\x00binary"}, "bun", "bun.lockb", "bun.lockb"),
])
def test_single_lockfile(tmp_path, files, name, source, lockfile):
    choice = choose(tmp_path, files)
    assert choice.manager == PackageManager(name, source)
    # pnpm's version is the one that writes the lockfile's lockfileVersion (9.0: pnpm 9)
    assert choice.details == {"name": name, "version": "9.15.9" if name == "pnpm" else None, "lockfile": lockfile}
    assert choice.warnings == ()


def test_metadata_must_start_a_line_to_mean_berry(tmp_path):
    choice = choose(tmp_path, {"yarn.lock": CLASSIC + '"pkg@npm:1":\n  x: "__metadata:"\n'})
    assert choice.manager.name == "yarn"


def test_no_lockfile_is_npm_with_a_warning(tmp_path):
    choice = choose(tmp_path, {})
    assert choice.manager == PackageManager("npm", "default")
    assert choice.details == {"name": "npm", "version": None, "lockfile": None}
    assert len(choice.warnings) == 1 and "not reproducible" in choice.warnings[0]


@pytest.mark.parametrize("files, winner", [
    ({"package-lock.json": "{}", "pnpm-lock.yaml": ""}, "pnpm-lock.yaml"),
    ({"package-lock.json": "{}", "yarn.lock": CLASSIC, "pnpm-lock.yaml": ""}, "pnpm-lock.yaml"),
    ({"yarn.lock": CLASSIC, "bun.lockb": "x"}, "bun.lockb"),
])
def test_several_lockfiles_warn_naming_the_winner(tmp_path, files, winner):
    choice = choose(tmp_path, files)
    assert choice.details["lockfile"] == winner
    assert len(choice.warnings) == 1
    assert choice.warnings[0].startswith("Several lockfiles: ")
    assert f"({winner}), the first in pack-it's order bun, pnpm, yarn, npm" in choice.warnings[0]


def test_two_lockfiles_of_one_manager_are_no_conflict(tmp_path):
    choice = choose(tmp_path, {"npm-shrinkwrap.json": "{}", "package-lock.json": "{}"})
    assert choice.details["lockfile"] == "npm-shrinkwrap.json"
    assert choice.warnings == ()


@pytest.mark.parametrize("field, name, version", [
    ("pnpm@9.1.0", "pnpm", "9.1.0"),
    ("yarn@4.1.0+sha512.5b7bc055cad63273dda27df1570a5d2eb4a9f03b35b394d3d55393c2a5560a17f5cef30944b11d6a48bcbcfc1c3a26d618aae77044774c529ba36cb771ad5b0f", "yarn-berry", "4.1.0"),
    ("yarn@1.22.22", "yarn", "1.22.22"),
    ("npm@10.8.2", "npm", "10.8.2"),
    ("bun@1.1.30", "bun", "1.1.30"),
    ("pnpm@10.0.0-rc.1", "pnpm", "10.0.0-rc.1"),
])
def test_package_manager_field(tmp_path, field, name, version):
    lockfile = {"pnpm": "pnpm-lock.yaml", "yarn": "yarn.lock", "yarn-berry": "yarn.lock",
                "npm": "package-lock.json", "bun": "bun.lock"}[name]
    choice = choose(tmp_path, {lockfile: BERRY if name == "yarn-berry" else "{}"}, field)
    assert choice.manager == PackageManager(name, "package.json (packageManager)")
    assert choice.details == {"name": name, "version": version, "lockfile": lockfile}
    assert choice.warnings == ()


def test_package_manager_field_beats_a_classic_yarn_lock_for_yarn_4(tmp_path):
    choice = choose(tmp_path, {"yarn.lock": CLASSIC}, "yarn@4.5.0")
    assert choice.details == {"name": "yarn-berry", "version": "4.5.0", "lockfile": "yarn.lock"}
    assert choice.warnings == ()


def test_package_manager_field_with_other_lockfiles_warns(tmp_path):
    choice = choose(tmp_path, {"pnpm-lock.yaml": "", "package-lock.json": "{}"}, "pnpm@9.1.0")
    assert choice.details["lockfile"] == "pnpm-lock.yaml"
    assert choice.warnings == (
        "packageManager says pnpm@9.1.0 but the tree also has package-lock.json (npm); using pnpm, "
        "as Corepack would. Delete the other lockfiles.",
    )


def test_package_manager_field_without_its_lockfile_warns_twice(tmp_path):
    choice = choose(tmp_path, {"yarn.lock": CLASSIC}, "pnpm@9.1.0+sha256.abc")
    assert choice.details == {"name": "pnpm", "version": "9.1.0", "lockfile": None}
    assert choice.warnings[0].startswith("packageManager says pnpm@9.1.0 but the tree also has yarn.lock (yarn)")
    assert choice.warnings[1].startswith("No lockfile for pnpm: installs are not reproducible")


@pytest.mark.parametrize("field", ["pnpm", "pnpm@9", "pnpm@latest", "@9.1.0", "pnpm 9.1.0", "PNPM@9.1.0"])
def test_malformed_package_manager_field(tmp_path, field):
    with pytest.raises(PackItError) as err:
        choose(tmp_path, {}, field)
    assert err.value.exit_code == 21
    assert err.value.message == f"package.json: packageManager {field!r} is not of the form name@version."


def test_unknown_package_manager(tmp_path):
    with pytest.raises(PackItError) as err:
        choose(tmp_path, {}, "deno@2.0.0")
    assert err.value.exit_code == 22
    assert "'deno'" in err.value.message


import pytest as _pytest  # noqa: E402

from pack_it.detectors.node.package_manager import pnpm_for_lockfile  # noqa: E402


@_pytest.mark.parametrize("head, version, source", [
    ("lockfileVersion: 5.3\n", "6.35.1", "pnpm-lock.yaml (lockfileVersion 5.3)"),
    ("lockfileVersion: 5.4\n", "7.33.7", "pnpm-lock.yaml (lockfileVersion 5.4)"),
    ("lockfileVersion: '6.0'\n", "8.15.9", "pnpm-lock.yaml (lockfileVersion 6.0)"),
    ("lockfileVersion: '9.0'\n\nsettings:\n", "9.15.9", "pnpm-lock.yaml (lockfileVersion 9.0)"),
    ("lockfileVersion: '42.0'\n", None, "pnpm-lock.yaml (lockfileVersion 42.0)"),
    ("nothing: here\n", None, "pnpm-lock.yaml"),
])
def test_pnpm_version_from_the_lockfile_version(tmp_path, head, version, source):
    from tests.detectors.trees import write_tree

    tree = write_tree(tmp_path, {"pnpm-lock.yaml": head})
    assert pnpm_for_lockfile(tree, "pnpm-lock.yaml") == (version, source)


@pytest.mark.parametrize("yarnrc, said", [
    (None, "no .yarnrc.yml sets nodeLinker, so Yarn would use Plug'n'Play"),
    ("nodeLinker: pnp\n", ".yarnrc.yml sets another nodeLinker"),
    ("enableTelemetry: false\nnodeLinker: \"node-modules\"  # no PnP\n", None),
])
def test_yarn_berry_installs_node_modules_and_says_so(tmp_path, yarnrc, said):
    from pack_it.detectors.node.package_manager import berry_linker_warning
    from pack_it.detectors.source import SourceTree

    (tmp_path / "yarn.lock").write_text(BERRY)
    if yarnrc is not None:
        (tmp_path / ".yarnrc.yml").write_text(yarnrc)
    warning = berry_linker_warning(SourceTree(tmp_path))
    assert (warning is None) if said is None else warning.startswith(
        f"Yarn berry installs node_modules (nodeLinker: node-modules): {said}, and the image runs node")
