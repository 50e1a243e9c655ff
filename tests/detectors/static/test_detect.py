"""The static detector: which trees are static sites, where their files are, SPA or multi-page,
and the server apps it must leave to the Node pack."""

from __future__ import annotations

from pathlib import Path

import pytest

from pack_it.detectors.source import SourceTree
from pack_it.detectors.static import detect
from pack_it.detectors.static.facts import StaticFacts
from pack_it.errors import PackItError
from pack_it.lifecycle.detect import detect as detect_plan
from pack_it.packs import REGISTRY
from tests.detectors.trees import write_tree

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "static"
NODE = ["20.18.1", "22.12.0", "23.5.0"]
PAGE = "<!doctype html><h1>hi</h1>\n"


def facts(tree: SourceTree, env: dict[str, str] | None = None) -> StaticFacts:
    found = detect(tree, env, lambda: list(NODE))
    assert found is not None, "not detected as a static site"
    assert isinstance(found.facts, StaticFacts)
    return found.facts


def pkg(scripts: dict, deps: dict | None = None, dev: dict | None = None, **extra) -> dict:
    return {"name": "app", "scripts": scripts, "dependencies": deps or {}, "devDependencies": dev or {}, **extra}


# Plain sites -------------------------------------------------------------------------------

@pytest.mark.parametrize("root", [".", "public", "site", "www", "dist", "_site"])
def test_an_index_html_in_the_usual_folders(tmp_path, root):
    rel = "index.html" if root == "." else f"{root}/index.html"
    found = facts(write_tree(tmp_path, {rel: PAGE, "README.md": "x"}))
    assert (found.root, found.root_source) == (root, rel)
    assert found.spa and "only page" in found.spa_source
    assert found.front_end is None


def test_the_root_index_wins_over_public(tmp_path):
    assert facts(write_tree(tmp_path, {"index.html": PAGE, "public/index.html": PAGE})).root == "."


def test_several_pages_make_a_multi_page_site_with_its_404_page(tmp_path):
    found = facts(write_tree(tmp_path, {"index.html": PAGE, "about.html": PAGE, "404.html": PAGE}))
    assert not found.spa and found.spa_source == "the tree (3 pages)"
    assert found.not_found == "404.html"
    assert facts(write_tree(tmp_path / "b", {"index.html": PAGE, "about.html": PAGE})).not_found is None


def test_a_tree_of_web_files_only_with_no_index(tmp_path):
    found = facts(write_tree(tmp_path, {"docs.html": PAGE, "style.css": "a{}", "logo.svg": "<svg/>"}))
    assert (found.root, found.root_source, found.spa) == (".", "only web files", False)


def test_web_files_beside_other_files_are_not_a_site(tmp_path):
    assert detect(write_tree(tmp_path, {"docs.html": PAGE, "tool.rb": "puts 1"}), {}, list) is None


@pytest.mark.parametrize("manifest", ["go.mod", "requirements.txt", "pyproject.toml", "Cargo.toml", "Gemfile",
                                      "Procfile", "main.py"])
def test_another_languages_manifest_is_never_a_plain_site(tmp_path, manifest):
    assert detect(write_tree(tmp_path, {"public/index.html": PAGE, manifest: "x\n"}), {}, list) is None


def test_staticfile_root_and_pushstate(tmp_path):
    found = facts(SourceTree(FIXTURES / "staticfile-root"))
    assert (found.root, found.root_source) == ("public", "Staticfile, line 1 (root)")
    assert (found.spa, found.spa_source) == (True, "Staticfile, line 2 (pushstate)")


def test_staticfile_unknown_keys_warn_and_bad_lines_fail_naming_the_line(tmp_path):
    tree = write_tree(tmp_path, {"Staticfile": "root: web\ndirectory: visible\n", "web/index.html": PAGE})
    found = detect(tree, {}, list)
    assert found is not None
    assert found.warnings == ("Staticfile, line 2: `directory` is not supported by pack-it and is ignored.",)
    bad = write_tree(tmp_path / "bad", {"Staticfile": "root: web\nnonsense here\n", "web/index.html": PAGE})
    with pytest.raises(PackItError, match=r"Staticfile, line 2: 'nonsense here'") as e:
        detect(bad, {}, list)
    assert e.value.exit_code == 21


@pytest.mark.parametrize("value", ["/etc", "../outside", ".."])
def test_a_root_outside_the_app_is_refused(tmp_path, value):
    tree = write_tree(tmp_path, {"Staticfile": f"root: {value}\n", "index.html": PAGE})
    with pytest.raises(PackItError, match="not a folder inside the app"):
        detect(tree, {}, list)
    with pytest.raises(PackItError, match="not a folder inside the app"):
        detect(write_tree(tmp_path / "b", {"index.html": PAGE}), {"PACK_IT_STATIC_ROOT": value}, list)


def test_an_empty_root_is_an_error_naming_its_source(tmp_path):
    tree = write_tree(tmp_path, {"Staticfile": "root: web\n", "index.html": PAGE})
    with pytest.raises(PackItError, match=r"Staticfile, line 1 \(root\) names web/ as the site, and it holds no files"):
        detect(tree, {}, list)


def test_env_settings_win(tmp_path):
    tree = write_tree(tmp_path, {"index.html": PAGE, "docs/index.html": PAGE, "docs/a.html": PAGE})
    found = facts(tree, {"PACK_IT_STATIC_ROOT": "docs", "PACK_IT_STATIC_SPA": "true"})
    assert (found.root, found.spa, found.spa_source) == ("docs", True, "--env PACK_IT_STATIC_SPA")
    assert facts(tree, {"PACK_IT_STATIC_SPA": "off"}).spa is False
    with pytest.raises(PackItError, match="PACK_IT_STATIC_SPA is 'maybe'"):
        facts(tree, {"PACK_IT_STATIC_SPA": "maybe"})


def test_extra_headers_are_checked(tmp_path):
    tree = write_tree(tmp_path, {"index.html": PAGE})
    found = facts(tree, {"PACK_IT_STATIC_HEADERS": "X-Frame-Options: DENY|Content-Security-Policy: default-src 'self'"})
    assert found.headers == {"X-Frame-Options": "DENY", "Content-Security-Policy": "default-src 'self'"}
    for bad, says in (("X-A", "not a `Name: value`"), ("Cache-Control: no-store", "sets Cache-Control"),
                      ('X-A: a"; add_header X-B "b', "quote"), ("X-A: $host", "quote"), ("X A: b", "not a")):
        with pytest.raises(PackItError, match=says) as e:
            facts(tree, {"PACK_IT_STATIC_HEADERS": bad})
        assert e.value.exit_code == 1


# Front-end builds ---------------------------------------------------------------------------

LOCK = {"package-lock.json": {"lockfileVersion": 3}}


@pytest.mark.parametrize("script,deps,tool,out", [
    ("vite build", {"vite": "5.4.11"}, "vite", "dist"),
    ("tsc && vite build", {"vite": "5.4.11"}, "vite", "dist"),
    ("react-scripts build", {"react-scripts": "5.0.1"}, "react-scripts", "build"),
    ("ng build", {"@angular/core": "19.0.0"}, "angular", "dist"),
    ("vue-cli-service build", {"@vue/cli-service": "5.0.8"}, "vue-cli", "dist"),
    ("astro build", {"astro": "5.1.0"}, "astro", "dist"),
    ("gatsby build", {"gatsby": "5.14.0"}, "gatsby", "public"),
    ("docusaurus build", {"@docusaurus/core": "3.6.3"}, "docusaurus", "build"),
    ("npx @11ty/eleventy", {"@11ty/eleventy": "3.0.0"}, "eleventy", "_site"),
    ("parcel build index.html", {"parcel": "2.13.0"}, "parcel", "dist"),
])
def test_front_end_tools_and_their_default_output(tmp_path, script, deps, tool, out):
    found = facts(write_tree(tmp_path, {"package.json": pkg({"build": script}, dev=deps), **LOCK}))
    assert found.front_end is not None
    assert (found.front_end.tool, found.root, found.root_source) == (tool, out, f"default ({tool})")
    assert found.front_end.package_manager.name == "npm"


def test_output_folders_from_the_tools_config(tmp_path):
    cases = {
        "vite": ({"vite.config.ts": "export default { build: { outDir: 'www-out' } }"}, "www-out", "vite.config.ts (outDir)"),
        "astro": ({"astro.config.mjs": "export default { outDir: './site-out' }"}, "site-out", "astro.config.mjs (outDir)"),
        "next": ({"next.config.mjs": "export default { output: 'export', distDir: 'exported' }"}, "exported",
                 "next.config.mjs (distDir)"),
    }
    for tool, (files, out, source) in cases.items():
        tree = write_tree(tmp_path / tool, {"package.json": pkg({"build": f"{tool} build"}, {tool: "1.0.0"}),
                                            **LOCK, **files})
        assert (facts(tree).root, facts(tree).root_source) == (out, source), tool


def test_a_commented_out_option_is_not_set(tmp_path):
    tree = write_tree(tmp_path, {"package.json": pkg({"build": "vite build"}, {"vite": "5"}), **LOCK,
                                 "vite.config.js": "export default { build: { // outDir: 'x'\n } }"})
    assert facts(tree).root == "dist"


@pytest.mark.parametrize("angular,out", [
    ({"projects": {"shop": {"architect": {"build": {"builder": "@angular-devkit/build-angular:browser",
                                                    "options": {"outputPath": "dist/shop"}}}}}}, "dist/shop"),
    ({"projects": {"shop": {"architect": {"build": {"builder": "@angular-devkit/build-angular:application",
                                                    "options": {"outputPath": "dist/shop"}}}}}}, "dist/shop/browser"),
    ({"projects": {"shop": {"architect": {"build": {"builder": "@angular/build:application",
                                                    "options": {"outputPath": {"base": "out", "browser": ""}}}}}}},
     "out"),
])
def test_angular_output_path(tmp_path, angular, out):
    tree = write_tree(tmp_path, {"package.json": pkg({"build": "ng build"}, {"@angular/core": "19"}), **LOCK,
                                 "angular.json": angular})
    assert facts(tree).root == out


def test_next_export_and_sveltekit_static(tmp_path):
    tree = write_tree(tmp_path, {"package.json": pkg({"build": "next build", "start": "next start"},
                                                     {"next": "15", "react": "19"}), **LOCK,
                                 "next.config.js": "module.exports = { output: 'export' }"})
    found = facts(tree)
    assert (found.front_end.tool, found.root, found.spa) == ("next", "out", False)
    assert "next.config.js (output: 'export')" in found.front_end.not_a_server
    svelte = facts(SourceTree(FIXTURES / "sveltekit-static"))
    assert (svelte.front_end.tool, svelte.root, svelte.root_source) == ("sveltekit", "public-out",
                                                                        "svelte.config.js (pages)")


@pytest.mark.parametrize("name,package,files", [
    ("next without export", pkg({"build": "next build", "start": "next start"}, {"next": "15"}),
     {"next.config.js": "module.exports = { /* output: 'export' */ }"}),
    ("next with no config", pkg({"build": "next build"}, {"next": "15"}), {}),
    ("astro with @astrojs/node", pkg({"build": "astro build"}, {"astro": "5", "@astrojs/node": "9"}), {}),
    ("astro server output", pkg({"build": "astro build"}, {"astro": "5"}),
     {"astro.config.mjs": "export default { output: 'server' }"}),
    ("sveltekit adapter-node", pkg({"build": "vite build"}, dev={"@sveltejs/kit": "2", "@sveltejs/adapter-node": "5",
                                                                 "vite": "6"}), {}),
    ("sveltekit with no static adapter", pkg({"build": "vite build"}, dev={"@sveltejs/kit": "2", "vite": "6"}), {}),
    ("an express server", pkg({"build": "vite build", "start": "node server.js"}, {"express": "4", "vite": "5"}),
     {"server.js": "x"}),
    ("a start script running a server", pkg({"build": "vite build", "start": "node api/index.js"}, {"vite": "5"}), {}),
    ("a server.js", pkg({"build": "vite build"}, {"vite": "5"}), {"server.js": "x"}),
    ("main naming a file", pkg({"build": "vite build"}, {"vite": "5"}, main="api.js"), {"api.js": "x"}),
    ("a Procfile", pkg({"build": "vite build"}, {"vite": "5"}), {"Procfile": "web: node api.js\n"}),
    ("no build script", pkg({"start": "node index.js"}, {}), {"index.html": PAGE}),
    ("a build that is not a static tool", pkg({"build": "tsc"}, {"typescript": "5"}), {}),
    ("next dev is not a build", pkg({"build": "next dev"}, {"next": "15"}),
     {"next.config.js": "module.exports = { output: 'export' }"}),
])
def test_server_apps_stay_node(tmp_path, name, package, files):
    tree = write_tree(tmp_path, {"package.json": package, **LOCK, **files})
    assert detect(tree, {}, lambda: list(NODE)) is None, name


def test_server_fixtures_stay_node_in_the_registry():
    for fixture in ("next-server", "astro-node"):
        assert detect(SourceTree(FIXTURES / fixture), {}, lambda: list(NODE)) is None
    plan = detect_plan(SourceTree(FIXTURES / "next-server"), REGISTRY)
    assert plan.language == "node" and plan.packs == ("node",)


def test_dev_servers_in_start_do_not_make_a_server(tmp_path):
    tree = write_tree(tmp_path, {"package.json": pkg({"build": "react-scripts build", "start": "react-scripts start"},
                                                     {"react-scripts": "5.0.1"}), **LOCK, "public/index.html": PAGE})
    found = facts(tree)
    assert found.front_end.tool == "react-scripts" and found.spa  # a single public/index.html


@pytest.mark.parametrize("router", ["react-router-dom", "vue-router", "@angular/router", "@tanstack/react-router",
                                    "svelte-spa-router"])
def test_a_client_router_makes_an_spa(tmp_path, router):
    tree = write_tree(tmp_path, {"package.json": pkg({"build": "vite build"}, {"vite": "5", router: "1"}), **LOCK,
                                 "index.html": PAGE, "other.html": PAGE})
    found = facts(tree)
    assert found.spa and found.spa_source == f"package.json (dependencies.{router}) (a client-side router)"


def test_a_vite_app_with_several_pages_and_no_router_is_multi_page(tmp_path):
    tree = write_tree(tmp_path, {"package.json": pkg({"build": "vite build"}, {"vite": "5"}), **LOCK,
                                 "index.html": PAGE, "about.html": PAGE})
    assert facts(tree).spa is False
    single = write_tree(tmp_path / "one", {"package.json": pkg({"build": "vite build"}, {"vite": "5"}), **LOCK,
                                           "index.html": PAGE})
    assert facts(single).spa is True


def test_page_tools_are_multi_page(tmp_path):
    tree = write_tree(tmp_path, {"package.json": pkg({"build": "astro build"}, {"astro": "5"}), **LOCK})
    assert facts(tree).spa is False


def test_the_build_runs_under_the_node_the_node_pack_would_choose(tmp_path):
    tree = write_tree(tmp_path, {"package.json": pkg({"build": "vite build"}, {"vite": "5"}, engines={"node": "^20"}),
                                 **LOCK, ".nvmrc": "20\n"})
    found = detect(tree, {}, lambda: list(NODE))
    assert found is not None and found.runtime is not None
    assert (found.runtime.name, found.runtime.version, found.runtime.source) == ("node", "20.18.1", ".nvmrc")


def test_the_registry_puts_static_before_node_and_after_python(tmp_path):
    vite = write_tree(tmp_path / "vite", {"package.json": pkg({"build": "vite build"}, {"vite": "5"}), **LOCK})
    assert detect_plan(vite, REGISTRY).packs == ("static",)
    flask = write_tree(tmp_path / "flask", {"package.json": pkg({"build": "vite build"}, {"vite": "5"}), **LOCK,
                                            "requirements.txt": "flask==3.0.0\n",
                                            "app.py": "from flask import Flask\napp = Flask(__name__)\n"})
    assert detect_plan(flask, REGISTRY).language == "python"


@pytest.mark.parametrize("angular", [[], {"projects": []}, {"projects": {"shop": "x"}},
                                     {"projects": {"shop": {"architect": {"build": []}}}}])
def test_an_odd_angular_json_falls_back_to_the_default(tmp_path, angular):
    tree = write_tree(tmp_path, {"package.json": pkg({"build": "ng build"}, {"@angular/core": "19"}), **LOCK,
                                 "angular.json": angular})
    assert facts(tree).root.startswith("dist")


@pytest.mark.parametrize("manifest", ["Cargo.toml", "go.mod", "pom.xml", "Gemfile", "main.py", "Procfile"])
def test_a_front_end_build_beside_another_languages_manifest_is_not_static(tmp_path, manifest):
    tree = write_tree(tmp_path, {"package.json": pkg({"build": "vite build"}, {"vite": "5"}), **LOCK,
                                 manifest: "x\n"})
    assert detect(tree, {}, lambda: list(NODE)) is None
