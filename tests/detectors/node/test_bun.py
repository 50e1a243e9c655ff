"""Bun apps: each signal that makes an app run on Bun (bun.lock, bun.lockb, packageManager,
engines.bun, a bun start script) with the plan's evidence, a pinned Node.js that keeps a
bun-installed app on Node, Bun's version from the index, and the refusals."""

from __future__ import annotations

import pytest

from pack_it.detectors.facts import PackageManager, Process, RunImageChoice, Runtime
from tests.detectors.node.helpers import fixture, refused, run, write_tree

NO_LOCKFILE = ("No lockfile for bun: installs are not reproducible (each build may get newer "
               "dependencies). Commit the lockfile that `bun install` writes.")
TS_SERVER = 'Bun.serve({ port: Number(process.env.PORT) || 3000, fetch: () => new Response("ok") });\n'


# One fixture per signal: runtime (with the file that decided), package manager, process, warnings.
@pytest.mark.parametrize("name, runtime, manager, process, warnings", [
    ("bun-app",  # bun.lock, and a start script written for node
     Runtime("bun", "1.2.19", "bun.lock"), PackageManager("bun", "bun.lock"),
     Process("web", ("bun", "server.js"), "package.json (scripts.start)", default=True),
     ("package.json (scripts.start) runs node, but bun.lock makes this a Bun app and its image has no "
      "Node.js: it runs `bun server.js`.",)),
    ("bun-lockb",  # bun.lockb and `bun init`'s "module": "index.ts"
     Runtime("bun", "1.2.19", "bun.lockb"), PackageManager("bun", "bun.lockb"),
     Process("web", ("bun", "index.ts"), "package.json (module)", default=True), ()),
    ("bun-package-manager",  # packageManager bun@1.1.30 pins the version; `bun run src/server.ts`
     Runtime("bun", "1.1.30", "package.json (packageManager)"), PackageManager("bun", "package.json (packageManager)"),
     Process("web", ("bun", "src/server.ts"), "package.json (scripts.start)", default=True), ()),
    ("bun-engines",  # engines.bun, no lockfile; main is a .ts file and there is no build script
     Runtime("bun", "1.1.30", "package.json (engines.bun)"), PackageManager("bun", "package.json (engines.bun)"),
     Process("web", ("bun", "server.ts"), "package.json (main)", default=True), (NO_LOCKFILE,)),
    ("bun-start-script",  # no lockfile, no engines: `bun run serve` -> `bun --watch server.ts`
     Runtime("bun", "1.2.19", "package.json (scripts.serve via scripts.start)"),
     PackageManager("bun", "package.json (scripts.serve via scripts.start)"),
     Process("web", ("bun", "server.ts"), "package.json (scripts.serve via scripts.start)", default=True),
     (NO_LOCKFILE, "scripts.serve runs bun --watch, which restarts on file changes while developing; the "
                   "container runs `bun server.ts` instead.")),
])
def test_each_bun_signal(name, runtime, manager, process, warnings):
    found = run(fixture(name))
    assert found.runtime == runtime
    assert found.package_manager == manager
    assert found.processes == (process,)
    assert found.warnings == warnings
    assert found.run_image == RunImageChoice("node", runtime.source)
    assert found.facts.node_range is None


def test_facts_of_a_bun_app():
    facts = run(fixture("bun-package-manager")).facts
    assert facts.bun_range == "1.1.30"
    assert facts.package_manager.to_json() == {"name": "bun", "version": "1.1.30", "lockfile": "bun.lock"}
    assert facts.typescript is True  # bun runs it as it is
    assert run(fixture("bun-engines")).facts.bun_range == ">=1.1 <1.2"
    assert run(fixture("bun-app")).facts.bun_range is None


def test_a_pinned_node_keeps_a_bun_installed_app_on_node():
    found = run(fixture("bun-node-pinned"))
    assert found.runtime == Runtime("node", "22.12.0", ".nvmrc")
    assert found.package_manager == PackageManager("bun", "bun.lock")
    assert found.processes[0].command == ("node", "server.js")
    assert found.warnings == (
        "bun.lock says bun installs the dependencies and .nvmrc pins Node.js: the app runs on Node.js, "
        "installed with bun. Delete the Node.js pin (or set engines.bun) to run it on Bun.",)


def test_engines_bun_beats_a_pinned_node(tmp_path):
    tree = write_tree(tmp_path, {"package.json": {"engines": {"node": "22", "bun": "1.2"}, "main": "server.ts"},
                                 "bun.lock": "{}", "server.ts": TS_SERVER})
    found = run(tree)
    assert found.runtime == Runtime("bun", "1.2.19", "package.json (engines.bun)")
    assert found.warnings == ("package.json (engines.node) asks for Node.js, which is not used: package.json "
                              "(engines.bun) makes this a Bun app.",)


def test_a_bun_start_script_beats_a_pinned_node(tmp_path):
    tree = write_tree(tmp_path, {"package.json": {"scripts": {"start": "bun server.ts"}},
                                 ".node-version": "20\n", "bun.lock": "{}", "server.ts": TS_SERVER})
    found = run(tree)
    assert found.runtime == Runtime("bun", "1.2.19", "package.json (scripts.start)")
    assert found.processes[0].command == ("bun", "server.ts")


@pytest.mark.parametrize("start, argv, source", [
    ("bun server.ts", ("bun", "server.ts"), "scripts.start"),
    ("bun run server.ts", ("bun", "server.ts"), "scripts.start"),
    ("bun --bun run server.ts", ("bun", "server.ts"), "scripts.start"),
    ("bun run serve", ("bun", "server.ts"), "scripts.serve via scripts.start"),  # a script of that name
    ("bun serve", ("bun", "server.ts"), "scripts.serve via scripts.start"),
    ("bun --smol server.ts --verbose", ("bun", "--smol", "server.ts", "--verbose"), "scripts.start"),
    ("bun --preload ./setup.ts server.ts", ("bun", "--preload", "./setup.ts", "server.ts"), "scripts.start"),
    ("PORT=8080 bun server.ts", ("bun", "server.ts"), "scripts.start"),
])
def test_bun_start_commands(tmp_path, start, argv, source):
    tree = write_tree(tmp_path, {"package.json": {"scripts": {"start": start, "serve": "bun server.ts"}},
                                 "bun.lock": "{}", "server.ts": TS_SERVER, "setup.ts": ""})
    found = run(tree)
    assert found.processes[0].command == argv
    assert found.processes[0].source == f"package.json ({source})"


def test_bun_run_start_follows_the_script_and_runs_it_on_bun(tmp_path):
    """`bun run start` says Bun even when the script itself is written for node."""
    tree = write_tree(tmp_path, {"package.json": {"scripts": {"dev": "bun run start", "start": "node server.js"}},
                                 "server.js": ""})
    pkg = {"scripts": {"start": "bun run web", "web": "node server.js"}}
    found = run(write_tree(tmp_path / "b", {"package.json": pkg, "server.js": ""}))
    assert found.runtime.name == "bun" and found.runtime.source == "package.json (scripts.web via scripts.start)"
    assert found.processes[0].command == ("bun", "server.js")
    assert run(tree).runtime.name == "node"  # scripts.dev is not the start command


@pytest.mark.parametrize("versions, message", [
    ({"packageManager": "bun@1.2.99"}, "package.json (packageManager) asks for Bun '1.2.99', and no Bun release"),
    ({"engines": {"bun": ">=2"}}, "package.json (engines.bun) asks for Bun '>=2', and no Bun release"),
    ({"packageManager": "bun@1.1.30", "engines": {"bun": "^1.2"}},
     "package.json (packageManager) asks for Bun '1.1.30' and package.json (engines.bun) for '^1.2'"),
])
def test_a_bun_version_the_index_lacks_is_refused(tmp_path, versions, message):
    err = refused(write_tree(tmp_path, {"package.json": {**versions, "main": "server.ts"}, "server.ts": TS_SERVER}))
    assert err.exit_code == 22
    assert message in err.message
    assert "1.2.19, 1.2.2, 1.1.30, 1.0.0, 0.8.1" in err.hint


def test_engines_bun_that_is_no_range_is_refused(tmp_path):
    err = refused(write_tree(tmp_path, {"package.json": {"engines": {"bun": "newest please"}, "main": "a.ts"},
                                        "a.ts": ""}))
    assert err.exit_code == 21
    assert err.message == "package.json (engines.bun) asks for Bun 'newest please', which is not a version range."
    assert err.hint


def test_no_bun_in_the_index_is_refused(tmp_path):
    err = refused(fixture("bun-app"), bun_versions=lambda: [])
    assert err.exit_code == 22 and "lists no Bun release" in err.message
    assert "pack-it versions update" in err.hint


@pytest.mark.parametrize("lockfile, manager", [("package-lock.json", "npm"), ("pnpm-lock.yaml", "pnpm")])
def test_a_bun_app_with_another_managers_lockfile_is_refused(tmp_path, lockfile, manager):
    err = refused(write_tree(tmp_path, {"package.json": {"scripts": {"start": "bun server.ts"}},
                                        lockfile: "{}", "server.ts": TS_SERVER}))
    assert err.exit_code == 22
    assert err.message == (f"package.json (scripts.start) runs the app on Bun, but {lockfile} says {manager} "
                           "installs it; pack-it installs a Bun app with bun, which would not follow that lockfile.")
    assert "bun install" in err.hint


def test_bun_with_nothing_to_run_is_refused(tmp_path):
    err = refused(write_tree(tmp_path, {"package.json": {"scripts": {"start": "bun run"}}, "bun.lock": "{}"}))
    assert err.exit_code == 22 and "runs bun without a file to run" in err.message


def test_a_bun_app_without_a_start_falls_back_to_typescript_files(tmp_path):
    found = run(write_tree(tmp_path, {"package.json": {}, "bun.lock": "{}", "index.ts": TS_SERVER}))
    assert found.processes[0] == Process("web", ("bun", "index.ts"), "index.ts", default=True)
    err = refused(write_tree(tmp_path / "b", {"package.json": {}, "bun.lock": "{}"}))
    assert "Nothing says how to start this Bun app" in err.message and "index.ts" in err.message


def test_a_bun_target_missing_from_the_tree_is_refused(tmp_path):
    err = refused(write_tree(tmp_path, {"package.json": {"scripts": {"start": "bun src/main.ts"}}, "bun.lock": "{}"}))
    assert err.exit_code == 22 and "starts src/main.ts, which is not in the source tree" in err.message


def test_bun_finds_typescript_targets_as_bun_resolves_them(tmp_path):
    found = run(write_tree(tmp_path, {"package.json": {"scripts": {"start": "bun src/main"}}, "bun.lock": "{}",
                                      "src/main.ts": TS_SERVER}))
    assert found.processes[0].command == ("bun", "src/main")
