"""The package.json scripts a build runs, and in which order: the root's install hooks (which
`npm ci`, yarn, pnpm and bun run after installing), then the one build script.

pack-it installs dependencies from the manifests alone, so that a source-only change reuses the
install; the root's own hooks often read the app's files (`node scripts/setup.js`, `tsc`,
`patch-package`, `prisma generate`), so they run later, in a copy of the whole source with the
installed node_modules, in the order the package managers run them.
"""

from __future__ import annotations

from typing import Mapping

# npm ci runs these root scripts after installing, in this order (npm's docs, "Life Cycle
# Operation Order": npm ci); yarn, pnpm and bun run the subset they know in the same order.
INSTALL_HOOKS = ("preinstall", "install", "postinstall", "preprepare", "prepare", "postprepare")
# The build script: Heroku's Node.js buildpack runs heroku-postbuild instead of build when it
# is there, Google Cloud's buildpacks gcp-build instead of build; the first one present runs.
BUILD_SCRIPTS = ("heroku-postbuild", "gcp-build", "build")


def steps(scripts: Mapping[str, str]) -> tuple[str, ...]:
    """The scripts a build runs, by name, in order."""
    hooks = tuple(name for name in INSTALL_HOOKS if scripts.get(name, "").strip())
    build = next((name for name in BUILD_SCRIPTS if scripts.get(name, "").strip()), None)
    return hooks + ((build,) if build else ())


def install_hooks(names: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(name for name in names if name in INSTALL_HOOKS)


def without_install_hooks(package_json: dict) -> dict:
    """The root package.json as the dependency install sees it: its own install hooks removed
    (they run later, with the source); the dependencies' hooks are untouched."""
    scripts = package_json.get("scripts")
    if not isinstance(scripts, dict):
        return package_json
    return {**package_json, "scripts": {k: v for k, v in scripts.items() if k not in INSTALL_HOOKS}}
