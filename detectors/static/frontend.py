"""Front-end builds: a package.json whose build script runs a static-site tool, the folder the
tool writes (read from its own config, else its default), and the evidence that the app has no
server of its own. Any sign of a server returns None: the app stays a Node app, and its build
folder is never served as files."""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass

from pack_it.detectors.node import frameworks, scripts
from pack_it.detectors.node.package_json import PACKAGE_JSON, PackageJson
from pack_it.detectors.source import SourceTree
from pack_it.errors import UNSUPPORTED, detect_error

# The build script's command word (after npx/VAR=value) -> the tool; for CLIs with
# subcommands, the subcommand that builds. "vite" with @sveltejs/kit is SvelteKit.
TOOLS = {
    "vite": ("vite", None), "react-scripts": ("react-scripts", "build"), "ng": ("angular", "build"),
    "vue-cli-service": ("vue-cli", "build"), "astro": ("astro", "build"), "next": ("next", "build"),
    "gatsby": ("gatsby", "build"), "docusaurus": ("docusaurus", "build"), "eleventy": ("eleventy", None),
    "parcel": ("parcel", "build"), "svelte-kit": ("sveltekit", "build"),
}
# Where each tool writes by default (its documentation's).
DEFAULT_OUT = {"vite": "dist", "react-scripts": "build", "angular": "dist", "vue-cli": "dist", "astro": "dist",
               "next": "out", "gatsby": "public", "docusaurus": "build", "eleventy": "_site", "parcel": "dist",
               "sveltekit": "build"}
# Tools whose output is one HTML page per route (multi-page), not one index.html and a router.
PAGE_TOOLS = ("astro", "next", "gatsby", "docusaurus", "eleventy", "sveltekit")
# Dependencies that are servers: an app that has one is a Node app.
SERVERS = ("express", "fastify", "koa", "@hapi/hapi", "@nestjs/core", "@remix-run/serve", "@remix-run/node",
           "@remix-run/express", "nuxt", "@astrojs/node", "@sveltejs/adapter-node", "hono", "h3")
# Start-script commands that only serve files or develop (not a production server of the app).
NOT_SERVERS = set(scripts.DEV_SERVERS) | {"next", "serve", "http-server", "sirv", "docusaurus", "eleventy",
                                          "vite", "astro", "svelte-kit"}
SERVER_FILES = ("server.js", "server.mjs", "server.ts", "app.js")
WRAPPERS = ("npx", "cross-env", "pnpm", "yarn", "bunx", "exec")
CONFIGS = {
    "vite": ("vite.config.js", "vite.config.mjs", "vite.config.ts", "vite.config.mts", "vite.config.cjs"),
    "astro": ("astro.config.mjs", "astro.config.js", "astro.config.ts", "astro.config.mts"),
    "next": frameworks.NEXT_CONFIGS,
    "sveltekit": ("svelte.config.js", "svelte.config.mjs"),
}
EXPORT = re.compile(r"""\boutput\s*:\s*["'`]export["'`]""")
ASTRO_SERVER = re.compile(r"""\boutput\s*:\s*["'`](server|hybrid)["'`]""")
OUT_DIR = {"vite": re.compile(r"""\boutDir\s*:\s*["'`]([^"'`]+)["'`]"""),
           "astro": re.compile(r"""\boutDir\s*:\s*["'`]([^"'`]+)["'`]"""),
           "next": re.compile(r"""\bdistDir\s*:\s*["'`]([^"'`]+)["'`]"""),
           "sveltekit": re.compile(r"""\bpages\s*:\s*["'`]([^"'`]+)["'`]""")}


@dataclass(frozen=True)
class Build:
    tool: str
    tool_source: str
    script: str
    output: str
    output_source: str
    not_a_server: tuple[str, ...]


def _code(tree: SourceTree, rel: str) -> str:
    """A JavaScript config without its comments (a commented-out option is not set)."""
    text = tree.read_text(rel)
    return frameworks.LINE_COMMENT.sub(r"\1", frameworks.BLOCK_COMMENT.sub("", text))


def _config(tree: SourceTree, tool: str) -> str | None:
    return next((rel for rel in CONFIGS.get(tool, ()) if tree.has_file(rel)), None)


def build_tool(pkg: PackageJson) -> tuple[str, str] | None:
    """(tool, evidence) for the first command of scripts.build that runs a static-site tool."""
    script = pkg.scripts.get("build")
    if not script:
        return None
    for part in re.split(r"&&|\|\||;", script):
        words = [w for w in part.split() if not scripts.ASSIGNMENT.match(w)]
        while words and words[0] in WRAPPERS:
            words = words[1:]
        if words and words[0] == "run" and len(words) > 1:  # `pnpm run x` is another script
            words = words[1:]
        if not words:
            continue
        word = words[0].rsplit("/", 1)[-1]
        if word == "@11ty/eleventy":
            word = "eleventy"
        if word not in TOOLS:
            continue
        tool, subcommand = TOOLS[word]
        if subcommand is not None and subcommand not in words[1:]:
            continue  # `next dev`, `ng serve`: not a build
        if tool == "vite" and pkg.dependency_field("@sveltejs/kit"):
            tool = "sveltekit"
        return tool, f"{PACKAGE_JSON} (scripts.build: {script})"
    return None


def _refuse_relative(where: str, value: str) -> str:
    out = posixpath.normpath(value.removeprefix("./"))
    if value.startswith("/") or out == ".." or out.startswith("../") or out == ".":
        raise detect_error(f"{where} sets the output folder to {value!r}, which is not a folder inside the app.",
                           "Build into a folder of the app, such as dist.", exit_code=UNSUPPORTED)
    return out


def _object(value: object) -> dict:
    """A JSON object, or an empty one for any other value (angular.json's optional parts)."""
    return value if isinstance(value, dict) else {}


def _angular_output(tree: SourceTree) -> tuple[str, str]:
    """angular.json's outputPath of the first project's build (string, or {base, browser} since
    Angular 17); the application builder writes the site into <outputPath>/browser."""
    data = _object(tree.read_json("angular.json")) if tree.has_file("angular.json") else {}
    projects = _object(data.get("projects"))
    if not projects:
        return "dist", "default (angular)"
    default = data.get("defaultProject")
    name = default if isinstance(default, str) and default in projects else next(iter(projects))
    project = _object(projects[name])
    build = _object(_object(project.get("architect") or project.get("targets")).get("build"))
    options = _object(build.get("options"))
    builder = str(build.get("builder", ""))
    path = options.get("outputPath", f"dist/{name}")
    browser = builder.endswith((":application", ":browser-esbuild")) and builder.startswith("@angular")
    if isinstance(path, dict):
        base, sub = path.get("base", f"dist/{name}"), path.get("browser", "browser")
        return _refuse_relative("angular.json", posixpath.join(base, sub) if sub else base), \
            f"angular.json (projects.{name}...outputPath)"
    if not isinstance(path, str):
        raise detect_error("angular.json: outputPath must be a string or an object.", "Fix angular.json.")
    out = _refuse_relative("angular.json", path)
    return (posixpath.join(out, "browser") if builder.endswith(":application") else out), \
        f"angular.json (projects.{name}...outputPath)" + (", application builder: browser/" if browser else "")


def output_dir(tree: SourceTree, tool: str) -> tuple[str, str]:
    """The folder the build writes, and the file (or default) that says so."""
    if tool == "angular":
        return _angular_output(tree)
    config = _config(tree, tool)
    if config and tool in OUT_DIR:
        found = OUT_DIR[tool].search(_code(tree, config))
        if found:
            return _refuse_relative(config, found.group(1)), f"{config} ({found.group(0).split(':')[0].strip()})"
    return DEFAULT_OUT[tool], f"default ({tool})"


def server_evidence(tree: SourceTree, pkg: PackageJson, tool: str) -> str | None:
    """What makes the app a server app, or None."""
    for dep in SERVERS:
        if pkg.dependency_field(dep):
            return pkg.where(dep)
    config = _config(tree, tool)
    if tool == "next" and (config is None or not EXPORT.search(_code(tree, config))):
        return f"{config or 'next.config.js'} (no output: 'export': `next build` makes a server)"
    if tool == "astro" and config and ASTRO_SERVER.search(_code(tree, config)):
        return f"{config} (server output)"
    if tool == "sveltekit" and not pkg.dependency_field("@sveltejs/adapter-static"):
        return f"{PACKAGE_JSON} (no @sveltejs/adapter-static: the adapter builds a server)"
    start = pkg.scripts.get("start", "")
    words = [w for w in start.split() if not scripts.ASSIGNMENT.match(w) and w not in WRAPPERS]
    if words and words[0].rsplit("/", 1)[-1] not in NOT_SERVERS:
        return f"{PACKAGE_JSON} (scripts.start: {start})"
    if pkg.main and tree.has_file(posixpath.normpath(pkg.main)):
        return f"{PACKAGE_JSON} (main: {pkg.main})"
    if tree.has_file("Procfile"):
        return "Procfile (a process of its own)"
    return next((rel for rel in SERVER_FILES if tree.has_file(rel)), None)


def _not_a_server(tree: SourceTree, pkg: PackageJson, tool: str) -> tuple[str, ...]:
    """The evidence that this build is only files, for the plan."""
    said = [f"no server dependency in {PACKAGE_JSON} ({', '.join(SERVERS[:3])}, ...)"]
    config = _config(tree, tool)
    if tool == "next":
        said.append(f"{config} (output: 'export')")
    if tool == "sveltekit":
        said.append(pkg.where("@sveltejs/adapter-static"))
    start = pkg.scripts.get("start")
    said.append(f"{PACKAGE_JSON} (scripts.start: {start}: a development or file server)" if start
                else f"no scripts.start in {PACKAGE_JSON}")
    return tuple(said)


def find(tree: SourceTree, pkg: PackageJson) -> Build | None:
    """The static build of a package.json app, or None (no static tool, or a server app)."""
    found = build_tool(pkg)
    if found is None:
        return None
    tool, source = found
    if server_evidence(tree, pkg, tool) is not None:
        return None
    out, out_source = output_dir(tree, tool)
    return Build(tool, source, pkg.scripts["build"], out, out_source, _not_a_server(tree, pkg, tool))

