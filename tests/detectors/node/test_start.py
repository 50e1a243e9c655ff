"""The start rules in order (framework, scripts.start, main, server.js/app.js/index.js),
the framework-specific commands, and the checks on what node is asked to run."""

from __future__ import annotations

import pytest

from pack_it.detectors.facts import Framework, Process
from tests.detectors.node.helpers import SERVER, app, refused, run

NEXT = {"next": "15.0.0", "react": "19", "react-dom": "19"}


def web(found) -> Process:
    assert len(found.processes) == 1
    return found.processes[0]


# --- order of the rules -------------------------------------------------------------------


def test_start_script_beats_main_and_files(tmp_path):
    found = run(app(tmp_path, {"scripts": {"start": "node app.js"}, "main": "server.js"},
                    {"app.js": SERVER, "server.js": SERVER}))
    assert web(found) == Process("web", ("node", "app.js"), "package.json (scripts.start)", default=True)


@pytest.mark.parametrize("files, expected", [
    (["server.js", "app.js", "index.js"], "server.js"),
    (["app.js", "index.js"], "app.js"),
    (["index.js", "main.js"], "index.js"),
])
def test_fallback_files_in_order(tmp_path, files, expected):
    found = run(app(tmp_path, {"dependencies": {"express": "4"}}, {f: SERVER for f in files}))
    assert web(found) == Process("web", ("node", expected), expected, default=True)


def test_nothing_to_start(tmp_path):
    err = refused(app(tmp_path, {"name": "lib"}, {"lib.js": SERVER}))
    assert err.exit_code == 22
    assert err.message.startswith("Nothing says how to start this Node.js app")


def test_main_missing_from_the_tree_without_a_build(tmp_path):
    err = refused(app(tmp_path, {"main": "lib/index.js"}, {"index.js": SERVER}))
    assert err.exit_code == 22
    assert err.message == ("package.json (main) starts lib/index.js, which is not in the source tree, and "
                           "package.json has no build script that could make it.")


@pytest.mark.parametrize("target, present", [("dist/main", "dist/main.js"), ("lib", "lib/index.js"),
                                             ("./server.mjs", "server.mjs"), ("./lib/../app.cjs", "app.cjs"),
                                             (".", "index.js")])
def test_target_is_found_as_node_resolves_it(tmp_path, target, present):
    found = run(app(tmp_path, {"scripts": {"start": f"node {target}"}}, {present: SERVER}))
    assert web(found).command == ("node", target)


def test_node_without_a_file(tmp_path):
    err = refused(app(tmp_path, {"scripts": {"start": "node -e 'require(\"./x\")'"}}))
    assert err.exit_code == 22
    assert "names no script file" in err.message


@pytest.mark.parametrize("package, argv", [
    ("fastify-cli", "fastify start app.js"),
    ("@remix-run/serve", "remix-serve build/index.js"),
])
def test_start_from_a_dev_dependency_warns(tmp_path, package, argv):
    found = run(app(tmp_path, {"scripts": {"build": "x", "start": argv}, "devDependencies": {package: "1"}}))
    target = web(found).command[1]
    assert found.warnings == (f"package.json (scripts.start) runs {target} from {package}, which is only in "
                              "devDependencies: a production install leaves it out. Move it to dependencies.",)


def test_next_as_a_dev_dependency_warns(tmp_path):
    found = run(app(tmp_path, {"scripts": {"build": "next build"}, "devDependencies": NEXT}))
    assert web(found).command == ("node", "node_modules/next/dist/bin/next", "start")
    assert "from next, which is only in devDependencies" in found.warnings[0]


def test_prestart_is_not_run_and_says_so(tmp_path):
    found = run(app(tmp_path, {"scripts": {"prestart": "node migrate.js", "start": "node server.js"}}))
    assert found.warnings == ("scripts.prestart is not run: the container starts the command directly, without npm.",)


def test_versions_are_not_listed_when_the_start_is_refused(tmp_path):
    def must_not_be_called():
        raise AssertionError("node_versions called")

    err = refused(app(tmp_path, {"scripts": {"start": "node a.js && node b.js"}}), must_not_be_called)
    assert err.exit_code == 22


def test_details_workspaces_and_dependencies(tmp_path):
    found = run(app(tmp_path, {"workspaces": ["packages/*"], "dependencies": {"zod": "3", "express": "4"},
                               "devDependencies": {"vitest": "2"}}))
    assert found.facts.to_json()["workspaces"] is True
    assert found.facts.to_json()["dependencies"] == ["express", "zod"]


# --- TypeScript ---------------------------------------------------------------------------


def test_typescript_target_without_build_is_refused(tmp_path):
    err = refused(app(tmp_path, {"main": "src/index.ts"}, {"src/index.ts": "export {}\n"}))
    assert err.exit_code == 22
    assert err.message == ("package.json (main) starts src/index.ts, a TypeScript file, and package.json "
                           "has no build script: the run image runs JavaScript that a build compiled.")
    assert '"build": "tsc"' in err.hint


def test_typescript_target_with_build_is_flagged(tmp_path):
    found = run(app(tmp_path, {"scripts": {"build": "tsc --noEmit", "start": "node src/index.mts"}},
                    {"src/index.mts": "export {}\n"}))
    assert web(found).command == ("node", "src/index.mts")
    assert found.facts.to_json()["typescript"] is True
    assert "stripping types (Node.js 22.18 and later)" in found.warnings[0]


def test_built_javascript_without_tsconfig_is_not_typescript(tmp_path):
    found = run(app(tmp_path, {"scripts": {"build": "esbuild src/a.js --outdir=dist", "start": "node dist/a.js"}},
                    {"src/a.js": SERVER}))
    assert found.facts.to_json()["typescript"] is False


# --- frameworks ---------------------------------------------------------------------------


@pytest.mark.parametrize("deps, name, package", [
    ({**NEXT, "express": "4"}, "next", "next"),
    ({"@nestjs/core": "10", "express": "4"}, "nestjs", "@nestjs/core"),
    ({"express": "4", "fastify": "4"}, "express", "express"),
    ({"@hapi/hapi": "21"}, "hapi", "@hapi/hapi"),
])
def test_framework_precedence(tmp_path, deps, name, package):
    found = run(app(tmp_path, {"scripts": {"build": "x", "start": "node server.js"}, "dependencies": deps}))
    assert found.framework == Framework(name, f"package.json (dependencies.{package})")
    assert found.facts.to_json()["framework"] == name


@pytest.mark.parametrize("lookalike", ["express-session", "hapi", "koa-router", "next-auth", "@types/express"])
def test_lookalike_packages_are_no_framework(tmp_path, lookalike):
    found = run(app(tmp_path, {"dependencies": {lookalike: "1"}}))
    assert found.framework is None
    assert found.facts.to_json()["framework"] is None


def test_next_custom_server(tmp_path):
    found = run(app(tmp_path, {"scripts": {"build": "next build", "start": "NODE_ENV=production node server.js"},
                               "dependencies": NEXT}))
    assert web(found).command == ("node", "server.js")
    assert found.facts.to_json()["env"] == {"NODE_ENV": "production"}
    assert found.facts.to_json()["next_standalone"] is False


@pytest.mark.parametrize("config, text", [
    ("next.config.ts", "const c: NextConfig = { output: 'standalone' };\nexport default c;\n"),
    ("next.config.js", "module.exports = {\n  output:`standalone`, images: {}\n}\n"),
])
def test_next_standalone_config_forms(tmp_path, config, text):
    found = run(app(tmp_path, {"scripts": {"build": "next build"}, "dependencies": NEXT}, {config: text}))
    assert web(found).source == f"{config} (output: 'standalone')"
    assert found.facts.to_json()["next_standalone"] is True


def test_next_export_is_not_standalone(tmp_path):
    found = run(app(tmp_path, {"scripts": {"build": "next build"}, "dependencies": NEXT},
                    {"next.config.mjs": "export default { output: 'export' };\n"}))
    assert found.facts.to_json()["next_standalone"] is False


@pytest.mark.parametrize("name, deps", [
    ("next", NEXT), ("nuxt", {"nuxt": "3"}), ("nestjs", {"@nestjs/core": "10"}),
    ("remix", {"@remix-run/serve": "2"}), ("sveltekit", {"@sveltejs/kit": "2", "@sveltejs/adapter-node": "5"}),
])
def test_framework_without_build_script_is_refused(tmp_path, name, deps):
    err = refused(app(tmp_path, {"scripts": {"start": "node server.js"}, "dependencies": deps}))
    assert err.exit_code == 22
    assert err.message == (f"This {name} app has no build script in package.json, and its server exists "
                           "only after a build.")


def test_nestjs_without_a_node_start_runs_dist_main(tmp_path):
    found = run(app(tmp_path, {"scripts": {"build": "nest build", "start": "nest start"},
                               "dependencies": {"@nestjs/core": "10"}}, {"src/main.ts": "", "tsconfig.json": "{"}))
    assert web(found) == Process("web", ("node", "dist/main.js"), "package.json (dependencies.@nestjs/core)", default=True)
    assert found.facts.to_json()["typescript"] is True


def test_nestjs_start_script_with_node(tmp_path):
    found = run(app(tmp_path, {"scripts": {"build": "nest build", "start": "node dist/src/main.js"},
                               "dependencies": {"@nestjs/core": "10"}}))
    assert web(found).command == ("node", "dist/src/main.js")
    assert web(found).source == "package.json (scripts.start)"


def test_remix_serve_without_start_script(tmp_path):
    found = run(app(tmp_path, {"scripts": {"build": "remix build"}, "dependencies": {"@remix-run/serve": "2"}}))
    assert web(found) == Process("web", ("node", "node_modules/@remix-run/serve/dist/cli.js", "build/index.js"),
                                 "package.json (dependencies.@remix-run/serve)", default=True)


def test_remix_with_custom_express_server(tmp_path):
    found = run(app(tmp_path, {"scripts": {"build": "remix vite:build", "start": "node server.js"},
                               "dependencies": {"@remix-run/express": "2", "express": "4"}}))
    assert found.framework.name == "remix"
    assert web(found).command == ("node", "server.js")


def test_sveltekit_without_adapter_node(tmp_path):
    err = refused(app(tmp_path, {"scripts": {"build": "vite build"},
                                 "devDependencies": {"@sveltejs/kit": "2", "@sveltejs/adapter-auto": "3"}}))
    assert err.exit_code == 22
    assert "has no @sveltejs/adapter-node" in err.message
    assert "node build/index.js" in err.hint


def test_sveltekit_with_adapter_static(tmp_path):
    err = refused(app(tmp_path, {"scripts": {"build": "vite build"},
                                 "devDependencies": {"@sveltejs/kit": "2", "@sveltejs/adapter-static": "3"}}))
    assert err.exit_code == 22
    assert "builds a static site" in err.message


# --- static sites -------------------------------------------------------------------------


@pytest.mark.parametrize("deps, label", [
    ({"react-scripts": "5"}, "Create React App"),
    ({"@angular/core": "18"}, "Angular"),
    ({"@vue/cli-service": "5"}, "Vue CLI"),
])
def test_static_front_ends_are_refused(tmp_path, deps, label):
    err = refused(app(tmp_path, {"scripts": {"build": "x"}, "dependencies": deps}, {"src/main.js": ""}))
    assert err.exit_code == 22
    assert f"static single-page app ({label})" in err.message


def test_vite_with_a_start_script_that_runs_vite_is_static(tmp_path):
    err = refused(app(tmp_path, {"scripts": {"start": "vite preview"}, "devDependencies": {"vite": "5"}}, {}))
    assert "static single-page app (Vite)" in err.message


def test_vite_front_end_with_its_own_server_is_not_static(tmp_path):
    found = run(app(tmp_path, {"scripts": {"build": "vite build", "start": "node server.js"},
                               "devDependencies": {"vite": "5"}}))
    assert web(found).command == ("node", "server.js")


def test_vite_with_server_js_falls_back_to_it(tmp_path):
    found = run(app(tmp_path, {"devDependencies": {"vite": "5"}}))
    assert web(found) == Process("web", ("node", "server.js"), "server.js", default=True)


def test_vite_with_a_server_framework_is_not_static(tmp_path):
    found = run(app(tmp_path, {"main": "api.js", "dependencies": {"express": "4"}, "devDependencies": {"vite": "5"}},
                    {"api.js": SERVER}))
    assert web(found).command == ("node", "api.js")
