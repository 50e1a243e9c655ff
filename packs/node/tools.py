"""The package managers, run with the app's own Node version (the one its run image gets),
so native addons are built for that Node's ABI. npm is the release of that Node's npm line
(npm.py), fetched and checked against the versions index; where there is none to choose (a Bun
app), pack-it's pinned npm, or the host's with `--toolchain host`. With pack-it's toolchains (the
default) every pnpm, yarn and Yarn berry (@yarnpkg/cli-dist) release the versions index pins
(its `package-managers` section, "<package>@<version>" -> sha512 integrity, refreshed by
`pack-it versions update` like the runtimes) is an npm registry tarball checked against the
index and unpacked into pack-it's cache; only a version newer than the index is installed by
that npm from the registry (npm checks the registry's integrity). One directory per version,
run from there:

    <cache>/packs/node/tools/<manager>-<version>/node_modules/<package>/"""

from __future__ import annotations

import os
import shutil
import tarfile
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from pack_it.errors import MISSING_TOOLCHAIN, build_error

if TYPE_CHECKING:  # annotations only: importing the build machinery is left to the build
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


NPM = ("npm", "bin/npm-cli.js", "10.9.2")  # runs on Node ^18.17 || >=20.5, every Node the index offers for apps
INDEX_SECTION = "package-managers"
# Every release of these is pinned; of npm only NPM's (the npm section has each npm a Node
# release line may choose). Bun's binaries have a section of their own (bun.py).
PINNED_EVERY_RELEASE = ("pnpm", "yarn", "@yarnpkg/cli-dist")


def releases_from_registry(registry: str | None = None) -> dict[str, dict[str, str]]:
    """The package-managers section, for `pack-it versions update`: "<package>@<version>" ->
    the tarball's integrity, from each package's abbreviated document (exact x.y.z releases
    with a sha512 integrity only: no pre-releases, no sha1-only ancient ones)."""
    from pack_it.packs.node import runtime

    base = runtime.npm_registry(registry).rstrip("/")
    found = {}
    for package in (*PINNED_EVERY_RELEASE, NPM[0]):
        url = f"{base}/{package}"
        doc = runtime._get_json(url, runtime.ABBREVIATED)
        listed = doc.get("versions") if isinstance(doc, dict) else None
        if not isinstance(listed, dict):
            raise runtime._fail(f"{url} is not an npm package document (no 'versions').")
        for version, entry in listed.items():
            if package == NPM[0] and version != NPM[2]:
                continue
            dist = entry.get("dist") if isinstance(entry, dict) else None
            integrity = dist.get("integrity") if isinstance(dist, dict) else None
            if runtime._EXACT.fullmatch(version) and isinstance(integrity, str) and runtime._sri(integrity):
                found[f"{package}@{version}"] = {"integrity": integrity}
    return found


def _pinned(ctx: BuildContext, package: str, version: str) -> tuple[str, str] | None:
    from pack_it.packs.node import runtime

    integrity = ctx.index.releases(INDEX_SECTION).get(f"{package}@{version}", {}).get("integrity", "")
    return runtime._sri(integrity) if integrity else None


def _unpack(archive: Path, dest: Path) -> None:
    """The tarball's package/ files into `dest`, through deb.py's checks (no absolute paths,
    `..`, links leaving it, devices): a registry tarball is data, never extracted by tar."""
    import gzip

    from pack_it.lifecycle.stacks.deb import entries_from_tar

    for entry in entries_from_tar(archive.name, gzip.decompress(archive.read_bytes())):
        rel = entry.path.split("/", 1)[1] if "/" in entry.path else ""
        if not rel or entry.kind == "dir":
            continue
        target = dest / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        if entry.kind == "symlink":
            continue  # registry packages' files are regular; a link is never needed to run one
        assert entry.data is not None
        target.write_bytes(entry.data)
        target.chmod(0o755 if entry.mode & 0o111 else 0o644)


def provisioned(ctx: BuildContext, manager: str, package: str, version: str) -> Path | None:
    """`package`@`version` unpacked from the registry tarball the versions index pins, into the
    cache; None when the index pins no such version."""
    from pack_it.packs.node import runtime

    pinned = _pinned(ctx, package, version)
    if pinned is None:
        return None
    home = ctx.cache_dir("tools") / f"{manager}-{version}"
    ready = home / "node_modules" / package / "package.json"
    if ready.is_file():
        return home / "node_modules" / package
    base = package.rsplit("/", 1)[-1]
    url = f"{runtime.npm_registry()}/{package}/-/{base}-{version}.tgz"
    ctx.reporter.step(f"  fetching {package} {version} (npm registry, checked against the versions index)")
    staging = Path(tempfile.mkdtemp(dir=ctx.cache.staging_dir(), prefix=f"{manager}-"))
    try:
        archive = runtime._download(url, staging / f"{base}.tgz", *pinned)
        try:
            _unpack(archive, staging / "home" / "node_modules" / package)
        except (tarfile.TarError, OSError, EOFError) as e:
            raise build_error(f"{url} is not a readable package tarball ({e}).",
                              "The registry is not serving the package pack-it pins; check PACK_IT_NPM_REGISTRY.",
                              exit_code=MISSING_TOOLCHAIN) from None
        ctx.cache.place_dir(staging / "home", home, ready=ready)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return home / "node_modules" / package


def default_npm_cli(ctx: BuildContext) -> Path:
    """npm-cli.js when no npm was chosen for the app's Node: pack-it's pinned npm, or the
    host's with --toolchain host."""
    if not ctx.provided_toolchains:
        return host_npm_cli()
    package, entry, version = NPM
    home = provisioned(ctx, "npm", package, version)
    if home is None:
        raise build_error(f"pack-it's versions index pins no npm {version}.", "Reinstall pack-it.",
                          exit_code=MISSING_TOOLCHAIN)
    ctx.bind_tools(home)
    return home / entry


def command(ctx: BuildContext, node: Path, manager: str, version: str | None, npm: Path | None = None) -> list[str]:
    """The argv prefix that runs `manager` (npm, pnpm, yarn, yarn-berry, bun) under `node`;
    `npm` is the npm-cli.js chosen for that Node (packs/node/npm.py), else default_npm_cli's."""
    if npm is not None:
        ctx.bind_tools(npm.parent.parent)  # read-only in the sandbox
    if manager == "npm":
        return [str(node), str(npm or default_npm_cli(ctx))]
    package, entry, default = PACKAGES[manager]
    version = version or default
    home = ctx.cache_dir("tools") / f"{manager}-{version}"
    target = home / "node_modules" / package / entry
    if ctx.provided_toolchains and manager != "bun" and (found := provisioned(ctx, manager, package, version)):
        target = found / entry
    if not target.is_file():
        staging = ctx.cache_dir("tools") / f".partial-{manager}-{version}-{os.getpid()}"
        shutil.rmtree(staging, ignore_errors=True)
        ctx.run([str(node), str(npm or default_npm_cli(ctx)), "install", "--prefix", str(staging), "--no-save",
                 "--no-audit", "--no-fund", "--ignore-scripts", f"{package}@{version}"],
                env=npm_env(ctx), cwd=ctx.work, what=f"installing {manager} {version}")
        ctx.cache.place_dir(staging, home, ready=target)
    ctx.bind_tools(home)
    if manager == "bun":
        target.chmod(0o755)
        return [str(target)]
    return [str(node), str(target)]


def prune_env(manager: str, version: str | None) -> dict[str, str]:
    # the lockfile keeps what it locked; dropping the devDependencies' entries is no change to allow
    return {"YARN_ENABLE_IMMUTABLE_INSTALLS": "false"} if focus_missing(manager, version) else {}


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
        # Yarn berry's default linker is Plug'n'Play: no node_modules, and `node server.js` in the
        # image, which runs without PnP's loader, cannot require anything (detectors/node/package_manager.py)
        "YARN_NODE_LINKER": "node-modules",
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


def unlocked_install_argv(manager: str) -> list[str]:
    """With no lockfile (the plan warns that installs are not reproducible) there is nothing to
    freeze to: a plain install, which writes the lockfile the prune then installs from. pnpm and
    Yarn berry freeze by default under CI=true (npm_env), so they are told not to."""
    return {
        "npm": ["install", "--no-audit", "--no-fund"],
        "pnpm": ["install", "--no-frozen-lockfile"],
        "yarn": ["install", "--non-interactive"],
        "yarn-berry": ["install", "--no-immutable"],
        "bun": ["install"],
    }[manager]


def run_argv(script: str, on_bun: bool = False) -> list[str]:
    """Runs a package.json script: the same for every manager; on a Bun app, bins with a node
    shebang run on bun too."""
    return ["run", "--bun", script] if on_bun else ["run", script]


def focus_missing(manager: str, version: str | None) -> bool:
    """Yarn 2 and 3 have `workspaces focus` only with a plugin their own download fetches from
    outside the npm registry: their production install is a plain install of the manifests
    without devDependencies, from the lockfile (the versions it locked stay those)."""
    return manager == "yarn-berry" and version is not None and version.split(".")[0] in ("2", "3")


def prune_argv(manager: str, version: str | None = None) -> list[str]:
    if focus_missing(manager, version):
        return ["install"]
    return {
        "npm": ["prune", "--omit=dev", "--no-audit", "--no-fund"],
        "pnpm": ["prune", "--prod"],
        "yarn": ["install", "--production", "--frozen-lockfile", "--non-interactive", "--ignore-scripts", "--prefer-offline"],
        "yarn-berry": ["workspaces", "focus", "--all", "--production"],
        "bun": ["install", "--production", "--frozen-lockfile"],
    }[manager]
