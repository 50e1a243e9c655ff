"""Static sites and single-page apps: a folder of files served by nginx, or a front-end build
(Vite, Create React App, Angular, Vue CLI, Astro, SvelteKit with adapter-static, Next.js with
output: 'export', Gatsby, Docusaurus, Eleventy, Parcel) whose output is.

    plain.py     Staticfile, index.html in the usual folders, a tree of web files only
    frontend.py  the build script's tool, its output folder, and the evidence of no server
    routing.py   SPA (a client-side router, a single page) or multi-page (404.html)
    facts.py     StaticFacts: what the static pack builds from

Pure: reads the tree and the --env settings (PACK_IT_STATIC_ROOT, PACK_IT_STATIC_SPA,
PACK_IT_STATIC_HEADERS), never writes, never runs a tool. A server app (Next.js without
export, Astro with @astrojs/node, SvelteKit's adapter-node, express, a start script running a
server) is not detected here: it stays a Node app.
"""

from __future__ import annotations

import re
from typing import Callable

from pack_it.detectors.facts import Detection, Framework, RunImageChoice
from pack_it.detectors.node import package_json, package_manager, version
from pack_it.detectors.node.facts import ManagerFacts
from pack_it.detectors.source import SourceTree
from pack_it.detectors.static import frontend, plain, routing
from pack_it.detectors.static.facts import FrontEnd, StaticFacts
from pack_it.errors import USAGE, detect_error

ROOT_ENV, SPA_ENV, HEADERS_ENV = "PACK_IT_STATIC_ROOT", "PACK_IT_STATIC_SPA", "PACK_IT_STATIC_HEADERS"
STACK = "nginx"
HEADER_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9-]*")
# Set by the server for every response, or by the static pack's rules: not overridable.
RESERVED = ("content-length", "content-type", "content-encoding", "transfer-encoding", "etag", "last-modified",
            "cache-control", "vary", "connection", "date", "server", "accept-ranges", "content-range", "location")
KNOWN_STATICFILE = ("root", "pushstate")


def headers(env: dict[str, str]) -> dict[str, str]:
    """PACK_IT_STATIC_HEADERS: `Name: value` entries, one per line or separated by `|`."""
    text = env.get(HEADERS_ENV, "")
    found: dict[str, str] = {}
    for entry in re.split(r"[\n|]", text):
        if not entry.strip():
            continue
        name, colon, value = entry.partition(":")
        name, value = name.strip(), value.strip()
        where = f"--env {HEADERS_ENV} ({entry.strip()[:60]!r})"
        if not colon or not HEADER_NAME.fullmatch(name) or not value:
            raise detect_error(f"{where} is not a `Name: value` header.",
                               f'Write e.g. {HEADERS_ENV}="X-Frame-Options: DENY|Referrer-Policy: no-referrer".',
                               exit_code=USAGE)
        if name.lower() in RESERVED:
            raise detect_error(f"{where} sets {name}, which the static pack sets itself.",
                               "Leave it out: caching, types and encodings follow the files.", exit_code=USAGE)
        if any(c in value for c in '"\\$') or any(ord(c) < 32 for c in value):
            raise detect_error(f"{where} has a quote, backslash, $ or control character in its value.",
                               "Header values are written into the server's configuration as they are; "
                               "leave those characters out.", exit_code=USAGE)
        found[name] = value
    return found


def _spa_setting(env: dict[str, str], sf: dict[str, tuple[str, int]]) -> tuple[bool, str] | None:
    if env.get(SPA_ENV, "").strip():
        return plain.flag(env[SPA_ENV].strip(), f"--env {SPA_ENV}"), f"--env {SPA_ENV}"
    if "pushstate" in sf:
        value, line = sf["pushstate"]
        where = f"{plain.STATICFILE}, line {line} (pushstate)"
        return plain.flag(value, where), where
    return None


def _spa_by_pages(pages: list[str], where: str) -> tuple[bool, str]:
    if [p.rsplit("/", 1)[-1].lower() for p in pages] == ["index.html"]:
        return True, f"{where} (index.html is the only page)"
    return False, f"{where} ({len(pages)} pages)"


def _plain(tree: SourceTree, env: dict[str, str], sf: dict[str, tuple[str, int]]) -> Detection | None:
    if not sf and plain.manifest(tree):
        return None
    if env.get(ROOT_ENV, "").strip():
        root, root_source = plain.folder(tree, env[ROOT_ENV], f"--env {ROOT_ENV}"), f"--env {ROOT_ENV}"
    elif "root" in sf:
        value, line = sf["root"]
        where = f"{plain.STATICFILE}, line {line} (root)"
        root, root_source = plain.folder(tree, value, where), where
    else:
        found = plain.index_root(tree)
        if found is None and (sf or plain.only_web_files(tree)):
            found = "."
        if found is None:
            return None
        index = "index.html" if found == "." else f"{found}/index.html"
        root_source = index if tree.has_file(index) else (plain.STATICFILE if sf else "only web files")
        root = found
    files = plain.files_under(tree, root)
    if not files:
        raise detect_error(f"{root_source} names {root}/ as the site, and it holds no files.",
                           "Point it at the folder with the site's index.html.")
    spa = _spa_setting(env, sf) or _spa_by_pages(routing.pages(files), f"{root}/" if root != "." else "the tree")
    warnings = tuple(f"{plain.STATICFILE}, line {line}: `{key}` is not supported by pack-it and is ignored."
                     for key, (_, line) in sf.items() if key not in KNOWN_STATICFILE)
    facts = StaticFacts(root=root, root_source=root_source, spa=spa[0], spa_source=spa[1],
                        not_found=routing.NOT_FOUND if routing.NOT_FOUND in files else None,
                        headers=headers(env))
    return Detection(language="static", run_image=RunImageChoice(STACK, root_source), warnings=warnings, facts=facts)


def _front_end(tree: SourceTree, env: dict[str, str], pkg: package_json.PackageJson,
               node_versions: Callable[[], list[str]]) -> Detection | None:
    build = frontend.find(tree, pkg)
    if build is None:
        return None
    output, output_source = build.output, build.output_source
    if env.get(ROOT_ENV, "").strip():
        output, output_source = plain.folder(tree, env[ROOT_ENV], f"--env {ROOT_ENV}"), f"--env {ROOT_ENV}"
    spa = _spa_setting(env, {})
    if spa is None:
        found = routing.router(pkg)
        if found:
            spa = True, f"{found} (a client-side router)"
        elif build.tool in frontend.PAGE_TOOLS:
            spa = False, f"{build.tool_source} ({build.tool} writes a page per route)"
        else:
            pages = [p for p in routing.pages(list(tree.source_files())) if not p.startswith(output + "/")]
            spa = _spa_by_pages(pages, "the source")
    manager = package_manager.choose(tree, pkg)
    runtime, node_range = version.resolve(tree, pkg, node_versions)
    front = FrontEnd(tool=build.tool, tool_source=build.tool_source, build_script=build.script,
                     package_manager=ManagerFacts(manager.manager.name, manager.version, manager.lockfile),
                     node_range=node_range, not_a_server=build.not_a_server)
    facts = StaticFacts(root=output, root_source=output_source, spa=spa[0], spa_source=spa[1], not_found=None,
                        front_end=front, headers=headers(env))
    return Detection(language="static", runtime=runtime, package_manager=manager.manager,
                     framework=Framework(build.tool, build.tool_source),
                     run_image=RunImageChoice(STACK, build.tool_source), warnings=manager.warnings, facts=facts)


def detect(tree: SourceTree, env: dict[str, str] | None, node_versions: Callable[[], list[str]]) -> Detection | None:
    """The site's facts, or None when the app is not a static site (or is a server app).
    `node_versions` lists the Node.js releases a front-end build can run under."""
    env = env or {}
    sf = plain.staticfile(tree)
    if tree.has_file(package_json.PACKAGE_JSON) and not sf:
        if plain.manifest(tree, but=(package_json.PACKAGE_JSON,)):
            return None  # another language's app with a front end: it serves its build itself
        pkg = package_json.load(tree)
        assert pkg is not None
        return _front_end(tree, env, pkg, node_versions)
    return _plain(tree, env, sf)
