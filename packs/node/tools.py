"""The package managers, run with the app's own Node version (the one its run image gets),
so native addons are built for that Node's ABI. npm comes from the host's npm install (a
plain JavaScript program); pnpm, yarn and bun are installed from the npm registry into
pack-it's cache, one directory per version, and run from there."""

from __future__ import annotations

import shutil
from pathlib import Path

from pack_it.errors import MISSING_TOOLCHAIN, build_error
from pack_it.lifecycle.cache import scratch_dir
from pack_it.lifecycle.context import BuildContext

# name -> (npm package, the file to run, default version when package.json names none)
PACKAGES = {
    "pnpm": ("pnpm", "bin/pnpm.cjs", "9.15.9"),
    "yarn": ("yarn", "bin/yarn.js", "1.22.22"),
    "yarn-berry": ("@yarnpkg/cli-dist", "bin/yarn.js", "4.9.2"),
    "bun": ("@oven/bun-linux-x64", "bin/bun", "1.2.19"),
}


def host_npm_cli() -> Path:
    npm = shutil.which("npm")
    if npm is None:
        raise build_error("Building a Node.js app needs npm, and no `npm` is on PATH.",
                          "Install Node.js with npm (apt-get install npm, or from nodejs.org).",
                          exit_code=MISSING_TOOLCHAIN)
    cli = Path(npm).resolve()
    if cli.name != "npm-cli.js":
        cli = cli.parent.parent / "lib" / "node_modules" / "npm" / "bin" / "npm-cli.js"
    if not cli.is_file():
        raise build_error(f"Cannot find npm's npm-cli.js from {npm}.", "Reinstall npm.", exit_code=MISSING_TOOLCHAIN)
    return cli


def command(ctx: BuildContext, node: Path, manager: str, version: str | None) -> list[str]:
    """The argv prefix that runs `manager` (npm, pnpm, yarn, yarn-berry, bun) under `node`."""
    if manager == "npm":
        return [str(node), str(host_npm_cli())]
    package, entry, default = PACKAGES[manager]
    version = version or default
    home = ctx.cache_dir("tools") / f"{manager}-{version}"
    target = home / "node_modules" / package / entry
    if not target.is_file():
        with scratch_dir(ctx.cache.root, f"{manager}-") as scratch:
            staging = scratch / "prefix"
            ctx.run([str(node), str(host_npm_cli()), "install", "--prefix", str(staging), "--no-save",
                     "--no-audit", "--no-fund", "--ignore-scripts", f"{package}@{version}"],
                    env=npm_env(ctx), cwd=ctx.work, what=f"installing {manager} {version}")
            ctx.cache.place_dir(staging, home, ready=target)
    if manager == "bun":
        target.chmod(0o755)
        return [str(target)]
    return [str(node), str(target)]


def npm_env(ctx: BuildContext) -> dict[str, str]:
    """Every package manager's cache inside pack-it's cache dir; no telemetry, no prompts."""
    cache = ctx.cache_dir("pm-cache")
    return {
        "npm_config_cache": str(cache / "npm"),
        "npm_config_update_notifier": "false",
        "npm_config_fund": "false",
        "npm_config_audit": "false",
        "YARN_CACHE_FOLDER": str(cache / "yarn"),
        "YARN_ENABLE_TELEMETRY": "0",
        "YARN_ENABLE_GLOBAL_CACHE": "false",
        "npm_config_store_dir": str(cache / "pnpm-store"),
        "BUN_INSTALL_CACHE_DIR": str(cache / "bun"),
        "COREPACK_ENABLE_DOWNLOAD_PROMPT": "0",
        "CI": "true",
    }


# Per manager: the frozen install, the build script run, and the prune to production deps.
def install_argv(manager: str) -> list[str]:
    return {
        "npm": ["ci", "--no-audit", "--no-fund"],
        "pnpm": ["install", "--frozen-lockfile"],
        "yarn": ["install", "--frozen-lockfile", "--non-interactive"],
        "yarn-berry": ["install", "--immutable"],
        "bun": ["install", "--frozen-lockfile"],
    }[manager]


RUN_BUILD = ["run", "build"]  # the same for every manager
RUN_BUILD_ON_BUN = ["run", "--bun", "build"]  # a Bun app: bins with a node shebang run on bun too


def prune_argv(manager: str) -> list[str]:
    return {
        "npm": ["prune", "--omit=dev", "--no-audit", "--no-fund"],
        "pnpm": ["prune", "--prod"],
        "yarn": ["install", "--production", "--frozen-lockfile", "--non-interactive", "--ignore-scripts", "--prefer-offline"],
        "yarn-berry": ["workspaces", "focus", "--all", "--production"],
        "bun": ["install", "--production", "--frozen-lockfile"],
    }[manager]
