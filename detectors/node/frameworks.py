"""Frameworks, by exact dependency name (a package merely named like one is not one), and
the start command of those that build to a server of their own."""

from __future__ import annotations

import re

from pack_it.errors import UNSUPPORTED, detect_error
from pack_it.detectors.facts import Framework
from pack_it.detectors.node import scripts
from pack_it.detectors.node.package_json import PACKAGE_JSON, PackageJson
from pack_it.detectors.node.scripts import Command
from pack_it.detectors.source import SourceTree

# Order: the first found names the app. Meta-frameworks come before the servers they embed
# (a Next.js custom server depends on express too).
FRAMEWORKS = (
    ("next", ("next",)),
    ("nuxt", ("nuxt",)),
    ("sveltekit", ("@sveltejs/kit",)),
    ("remix", ("@remix-run/serve", "@remix-run/node", "@remix-run/express")),
    ("nestjs", ("@nestjs/core",)),
    ("express", ("express",)),
    ("fastify", ("fastify",)),
    ("koa", ("koa",)),
    ("hapi", ("@hapi/hapi",)),
)
# Their server exists only after a build: the usual build command of each.
BUILD_COMMANDS = {"next": "next build", "nuxt": "nuxt build", "sveltekit": "vite build",
                  "remix": "remix vite:build", "nestjs": "nest build"}
NEXT_CONFIGS = ("next.config.js", "next.config.mjs", "next.config.cjs", "next.config.ts")
STANDALONE = re.compile(r"""\boutput\s*:\s*["'`]standalone["'`]""")
LINE_COMMENT = re.compile(r"(^|\s)//.*$", re.MULTILINE)
BLOCK_COMMENT = re.compile(r"/\*.*?\*/", re.DOTALL)


def find(pkg: PackageJson) -> Framework | None:
    for name, packages in FRAMEWORKS:
        for package in packages:
            if pkg.dependency_field(package):
                return Framework(name, pkg.where(package))
    return None


def next_standalone(tree: SourceTree) -> str | None:
    """The Next.js config file that sets `output: 'standalone'`, if one does."""
    for rel in NEXT_CONFIGS:
        if tree.has_file(rel):
            code = LINE_COMMENT.sub(r"\1", BLOCK_COMMENT.sub("", tree.read_text(rel)))
            if STANDALONE.search(code):
                return rel
    return None


def _starts_node(pkg: PackageJson, script: str) -> bool:
    """True when scripts.`script` runs node itself (after any VAR=value or cross-env), not a CLI."""
    for word in pkg.scripts.get(script, "").split():
        if word != "cross-env" and not scripts.ASSIGNMENT.match(word):
            return word == "node"
    return False


def _next(tree: SourceTree, pkg: PackageJson) -> Command:
    config = next_standalone(tree)
    if config:
        return Command(("node", ".next/standalone/server.js"), f"{config} (output: 'standalone')")
    if _starts_node(pkg, "start"):  # a custom server (Next.js docs: "Custom Server")
        return scripts.parse(tree, pkg, "start")
    return Command(("node", "node_modules/next/dist/bin/next", "start"), pkg.where("next"))


def _sveltekit(tree: SourceTree, pkg: PackageJson) -> Command:
    if pkg.dependency_field("@sveltejs/adapter-node"):
        return Command(("node", "build/index.js"), pkg.where("@sveltejs/adapter-node"))
    static = pkg.dependency_field("@sveltejs/adapter-static")
    raise detect_error(
        "This SvelteKit app " + ("builds a static site (@sveltejs/adapter-static), and pack-it has no "
                                 "static-site pack yet." if static else
                                 "has no @sveltejs/adapter-node, so its build is not a Node server."),
        "Install @sveltejs/adapter-node and use it in svelte.config.js; the app then starts with "
        "`node build/index.js`.",
        exit_code=UNSUPPORTED,
    )


def _remix(tree: SourceTree, pkg: PackageJson) -> Command | None:
    if "start" in pkg.scripts or not pkg.dependency_field("@remix-run/serve"):
        return None  # scripts.start says how (remix-serve build/..., or a custom express server)
    return Command(("node", "node_modules/@remix-run/serve/dist/cli.js", "build/index.js"),
                   pkg.where("@remix-run/serve"))


def _nestjs(tree: SourceTree, pkg: PackageJson) -> Command:
    # `nest start` compiles on every start; start:prod (the Nest template's) or a node start runs the build.
    for script in ("start:prod", "start"):
        if _starts_node(pkg, script):
            return scripts.parse(tree, pkg, script)
    return Command(("node", "dist/main.js"), pkg.where("@nestjs/core"))


def start(tree: SourceTree, pkg: PackageJson, framework: Framework | None) -> Command | None:
    """The framework's own start command, or None to let the scripts and files decide."""
    name = framework.name if framework else None
    if name in BUILD_COMMANDS and "build" not in pkg.scripts:
        raise detect_error(
            f"This {name} app has no build script in {PACKAGE_JSON}, and its server exists only "
            "after a build.",
            f'Add the framework\'s build, e.g. "build": "{BUILD_COMMANDS[name]}", to scripts.',
            exit_code=UNSUPPORTED,
        )
    if name == "next":
        return _next(tree, pkg)
    if name == "nuxt":
        return Command(("node", ".output/server/index.mjs"), pkg.where("nuxt"))
    if name == "sveltekit":
        return _sveltekit(tree, pkg)
    if name == "remix":
        return _remix(tree, pkg)
    if name == "nestjs":
        return _nestjs(tree, pkg)
    return None
