"""Whole detections of the fixture trees under tests/fixtures/node/: one app per signal, each
checked fact by fact (the Node pack builds from exactly these)."""

from __future__ import annotations

from pack_it.detectors.node import listen
from pack_it.detectors.node.facts import NodeFacts
from pack_it.detectors.facts import Detection, Framework, PackageManager, Process, RunImageChoice, Runtime
from tests.detectors.node.helpers import fixture, refused, run

NO_LOCKFILE = ("No lockfile for npm: installs are not reproducible (each build may get newer "
               "dependencies). Commit the lockfile that `npm install` writes.")


def npm_lock() -> dict:
    return {"name": "npm", "version": None, "lockfile": "package-lock.json"}


def test_npm_express():
    assert run(fixture("npm-express")) == Detection(
        language="node",
        runtime=Runtime("node", "22.12.0", "default"),
        package_manager=PackageManager("npm", "package-lock.json"),
        framework=Framework("express", "package.json (dependencies.express)"),
        run_image=RunImageChoice("node", "default"),
        processes=(Process("web", ("node", "server.js"), "package.json (scripts.start)", default=True),),
        warnings=(),
        facts=NodeFacts.from_json({
            "name": "npm-express",
            "package_manager": npm_lock(),
            "node_range": None,
            "engines_node": None,
            "scripts": {"build": None, "start": "node server.js"},
            "workspaces": False,
            "dependencies": ["express", "morgan"],
            "framework": "express",
            "typescript": False,
            "env": {},
            "launch_env": {"HOST": "0.0.0.0"},
            "launch_env_reason": listen.launch_env("express", {})[1],
        }),
    )


def test_pnpm_fastify_from_package_manager_field():
    found = run(fixture("pnpm-fastify"))
    assert found.package_manager == PackageManager("pnpm", "package.json (packageManager)")
    assert found.facts.to_json()["package_manager"] == {"name": "pnpm", "version": "9.1.0", "lockfile": "pnpm-lock.yaml"}
    assert found.framework == Framework("fastify", "package.json (dependencies.fastify)")
    assert found.processes[0].command == ("node", "--enable-source-maps", "app.js")
    assert found.warnings == ()


def test_yarn_classic_koa_with_node_env_assignment():
    found = run(fixture("yarn-koa"))
    assert found.package_manager == PackageManager("yarn", "yarn.lock")
    assert found.facts.to_json()["package_manager"] == {"name": "yarn", "version": None, "lockfile": "yarn.lock"}
    assert found.framework.name == "koa"
    assert found.processes[0].command == ("node", "index.js")
    assert found.facts.to_json()["env"] == {"NODE_ENV": "production"}
    assert found.facts.to_json()["scripts"]["start"] == "NODE_ENV=production node index.js"


def test_yarn_berry_by_lockfile_metadata_hapi_main():
    found = run(fixture("yarn-berry"))
    assert found.package_manager == PackageManager("yarn-berry", "yarn.lock (__metadata)")
    assert found.facts.to_json()["package_manager"]["lockfile"] == "yarn.lock"
    assert found.framework == Framework("hapi", "package.json (dependencies.@hapi/hapi)")
    assert found.processes[0] == Process("web", ("node", "src/main.js"), "package.json (main)", default=True)


def test_bun_lockfile():  # the runtime: tests/detectors/node/test_bun.py
    found = run(fixture("bun-app"))
    assert found.package_manager == PackageManager("bun", "bun.lock")
    assert found.runtime == Runtime("bun", "1.2.19", "bun.lock")
    assert found.facts.to_json()["package_manager"] == {"name": "bun", "version": None, "lockfile": "bun.lock"}
    assert found.framework is None
    assert found.facts.to_json()["dependencies"] == []


def test_next_standalone():
    found = run(fixture("next-standalone"))
    assert found.framework == Framework("next", "package.json (dependencies.next)")
    assert found.processes == (
        Process("web", ("node", ".next/standalone/server.js"), "next.config.mjs (output: 'standalone')", default=True),
    )
    assert found.facts.to_json()["next_standalone"] is True
    assert found.facts.to_json()["scripts"] == {"build": "next build", "start": "next start", "steps": ["build"]}
    assert found.facts.to_json()["dependencies"] == ["next", "react", "react-dom"]


def test_next_without_standalone_ignores_commented_out_option():
    found = run(fixture("next-default"))
    assert found.processes[0].command == ("node", "node_modules/next/dist/bin/next", "start")
    assert found.processes[0].source == "package.json (dependencies.next)"
    assert found.facts.to_json()["next_standalone"] is False


def test_nuxt_with_nvmrc_major():
    found = run(fixture("nuxt-app"))
    assert found.framework == Framework("nuxt", "package.json (dependencies.nuxt)")
    assert found.processes[0].command == ("node", ".output/server/index.mjs")
    assert found.package_manager == PackageManager("pnpm", "pnpm-lock.yaml (lockfileVersion 9.0)")
    assert found.runtime == Runtime("node", "22.12.0", ".nvmrc")
    assert found.run_image == RunImageChoice("node", ".nvmrc")
    assert found.facts.to_json()["node_range"] == "22"


def test_sveltekit_adapter_node():
    found = run(fixture("sveltekit-node"))
    assert found.framework == Framework("sveltekit", "package.json (devDependencies.@sveltejs/kit)")
    assert found.processes[0] == Process(
        "web", ("node", "build/index.js"), "package.json (devDependencies.@sveltejs/adapter-node)", default=True)
    assert found.facts.to_json()["dependencies"] == []


def test_nestjs_runs_start_prod_not_nest_start():
    found = run(fixture("nestjs-app"))
    assert found.framework == Framework("nestjs", "package.json (dependencies.@nestjs/core)")
    assert found.processes[0].command == ("node", "dist/main")
    assert found.processes[0].source == "package.json (scripts.start:prod)"
    assert found.facts.to_json()["typescript"] is True  # dist/main comes from compiled TypeScript


def test_typescript_compiled_by_build_and_started_from_dist():
    found = run(fixture("typescript-dist"))
    assert found.processes[0].command == ("node", "dist/index.js")
    assert found.facts.to_json()["typescript"] is True
    assert found.facts.to_json()["scripts"] == {"build": "tsc -p .", "start": "node dist/index.js", "steps": ["build"]}
    assert found.framework.name == "express"


def test_engines_caret_20_resolves_to_newest_20():
    found = run(fixture("engines-range"))
    assert found.runtime == Runtime("node", "20.18.1", "package.json (engines.node)")
    assert found.run_image == RunImageChoice("node", "package.json (engines.node)")
    assert found.facts.to_json()["node_range"] == "^20"
    assert found.facts.to_json()["engines_node"] == "^20"


def test_nvmrc_lts_star_is_newest_even_major():
    found = run(fixture("nvmrc-lts-star"))
    assert found.runtime == Runtime("node", "22.12.0", ".nvmrc")
    assert found.facts.to_json()["node_range"] == "lts/*"


def test_nvmrc_lts_iron_with_engines_is_newest_20():
    found = run(fixture("nvmrc-lts-iron"))
    assert found.runtime == Runtime("node", "20.18.1", ".nvmrc")
    assert found.facts.to_json()["node_range"] == "lts/iron"
    assert found.facts.to_json()["engines_node"] == ">=18"
    assert found.processes[0].command == ("node", "app.js")


def test_conflicting_lockfiles_warn_and_name_the_winner():
    found = run(fixture("conflicting-lockfiles"))
    assert found.package_manager == PackageManager("yarn", "yarn.lock")
    assert found.warnings == (
        "Several lockfiles: yarn.lock (yarn), package-lock.json (npm); using yarn (yarn.lock), the first "
        "in pack-it's order bun, pnpm, yarn, npm. Delete the others, or name the manager in package.json's "
        'packageManager field (e.g. "pnpm@9.1.0").',
    )


def test_package_manager_field_disagreeing_with_lockfile_wins_with_warnings():
    found = run(fixture("package-manager-disagrees"))
    assert found.package_manager == PackageManager("yarn-berry", "package.json (packageManager)")
    assert found.facts.to_json()["package_manager"] == {"name": "yarn-berry", "version": "4.1.0", "lockfile": None}
    assert found.warnings[0] == (
        "packageManager says yarn@4.1.0 but the tree also has package-lock.json (npm); using yarn-berry, "
        "as Corepack would. Delete the other lockfiles."
    )
    assert found.warnings[1].startswith("No lockfile for yarn-berry")


def test_broken_package_json_is_invalid_input_naming_the_file():
    err = refused(fixture("broken-package-json"))
    assert err.exit_code == 21
    assert err.message.startswith("package.json is not valid JSON:")
    assert "line 4" in err.message


def test_static_vite_spa_is_refused():
    err = refused(fixture("static-vite"))
    assert err.exit_code == 22
    assert "static single-page app (Vite)" in err.message
    assert "no static-site pack" in err.message


def test_chained_start_script_builds_first_then_runs_the_server():
    found = run(fixture("chained-start"))
    assert found.processes[0].command == ("node", "dist/server.js")
    assert "the image build already ran it" in " ".join(found.warnings)


def test_main_field_wins_over_index_js():
    found = run(fixture("main-field"))
    assert found.processes[0] == Process("web", ("node", "src/server.js"), "package.json (main)", default=True)
    assert found.framework.name == "koa"


def test_index_js_fallback_without_lockfile():
    found = run(fixture("index-js"))
    assert found.processes[0] == Process("web", ("node", "index.js"), "index.js", default=True)
    assert found.package_manager == PackageManager("npm", "default")
    assert found.facts.to_json()["package_manager"] == {"name": "npm", "version": None, "lockfile": None}
    assert found.warnings == (NO_LOCKFILE,)


def test_remix_serve_start_script_becomes_its_cli():
    found = run(fixture("remix-serve"))
    assert found.framework == Framework("remix", "package.json (dependencies.@remix-run/serve)")
    assert found.processes[0].command == (
        "node", "node_modules/@remix-run/serve/dist/cli.js", "./build/server/index.js")
    # engines ">=20.0.0": the newest release, even a Current (odd) one
    assert found.runtime == Runtime("node", "23.5.0", "package.json (engines.node)")
