"""Which package manager installs the app: the Corepack `packageManager` field, else the
lockfile, else npm. Names: npm, yarn (classic, 1.x), yarn-berry (2+), pnpm, bun."""

from __future__ import annotations

import re
from dataclasses import dataclass


from pack_it.errors import UNSUPPORTED, detect_error
from pack_it.detectors.facts import DEFAULT, PackageManager
from pack_it.detectors.node.package_json import PACKAGE_JSON, PackageJson
from pack_it.detectors.source import SourceTree

FIELD = f"{PACKAGE_JSON} (packageManager)"
YARNRC = ".yarnrc.yml"  # only Yarn 2+ reads it
# Order decides between several lockfiles when packageManager is not set: a package-lock.json
# beside another lockfile is most often left by a stray `npm install`, so npm comes last; Bun
# can write a yarn.lock beside its own lockfile, so bun comes first.
LOCKFILES = (
    ("bun.lock", "bun"),
    ("bun.lockb", "bun"),
    ("pnpm-lock.yaml", "pnpm"),
    ("yarn.lock", "yarn"),
    ("npm-shrinkwrap.json", "npm"),  # npm reads it before package-lock.json
    ("package-lock.json", "npm"),
)
CORE_PACK = re.compile(r"^(?P<name>[a-z]+)@(?P<version>[^+\s]+)(?:\+\S+)?$")  # name@1.2.3+sha512.abc
KNOWN = ("npm", "pnpm", "yarn", "bun")

def _nodesemver():
    """Imported on first use: it costs start-up time every command would pay."""
    import nodesemver

    return nodesemver



@dataclass(frozen=True)
class Choice:
    manager: PackageManager
    version: str | None
    lockfile: str | None
    warnings: tuple[str, ...]

    @property
    def details(self) -> dict:
        return {"name": self.manager.name, "version": self.version, "lockfile": self.lockfile}


def family(name: str) -> str:
    """The tool behind a manager name: yarn-berry and yarn share yarn.lock."""
    return "yarn" if name == "yarn-berry" else name


def _is_berry_lockfile(tree: SourceTree) -> bool:
    return tree.has_file(YARNRC) or re.search(r"^__metadata:", tree.read_text("yarn.lock"), re.MULTILINE) is not None


def _parse_field(text: str) -> tuple[str, str]:
    """(manager name, version) from the packageManager field."""
    match = CORE_PACK.match(text.strip())
    valid = match and _nodesemver().valid(match["version"], False)
    if not match or not valid:
        raise detect_error(
            f"{PACKAGE_JSON}: packageManager {text!r:.80} is not of the form name@version.",
            'Write it as Corepack expects, e.g. "pnpm@9.1.0" (`corepack use pnpm@9` writes it).',
        )
    name, version = match["name"], match["version"]
    if name not in KNOWN:
        raise detect_error(
            f"{PACKAGE_JSON}: packageManager names {name!r}; pack-it knows npm, pnpm, yarn and bun.",
            "Use one of those package managers.",
            exit_code=UNSUPPORTED,
        )
    if name == "yarn" and valid.major >= 2:  # as parsed: "v4.0.0" is 4
        name = "yarn-berry"
    return name, version


def _lockfiles(tree: SourceTree) -> list[tuple[str, str]]:
    """(file, manager) for each lockfile present, in LOCKFILES order; yarn.lock as berry or classic."""
    found = []
    for lockfile, name in LOCKFILES:
        if tree.has_file(lockfile):
            if name == "yarn" and _is_berry_lockfile(tree):
                name = "yarn-berry"
            found.append((lockfile, name))
    return found


_NODE_MODULES_LINKER = re.compile(r"""^nodeLinker:\s*["']?node-modules["']?\s*(#.*)?$""", re.MULTILINE)


def berry_linker_warning(tree: SourceTree) -> str | None:
    """Yarn berry's default, Plug'n'Play, leaves no node_modules, and the image runs `node`
    without PnP's loader: pack-it installs with nodeLinker: node-modules (YARN_NODE_LINKER)."""
    text = tree.read_text(YARNRC) if tree.has_file(YARNRC) else ""
    if _NODE_MODULES_LINKER.search(text):
        return None
    said = f"{YARNRC} sets another nodeLinker" if "nodeLinker" in text \
        else f"no {YARNRC} sets nodeLinker, so Yarn would use Plug'n'Play"
    return (f"Yarn berry installs node_modules (nodeLinker: node-modules): {said}, and the image runs node without "
            "PnP's loader. Add `nodeLinker: node-modules` to .yarnrc.yml to build the same way locally.")


def _lockfile_source(lockfile: str, name: str, tree: SourceTree) -> str:
    if name != "yarn-berry":
        return lockfile
    return f"{lockfile} + {YARNRC}" if tree.has_file(YARNRC) else f"{lockfile} (__metadata)"


def _no_lockfile_warning(name: str) -> str:
    return (f"No lockfile for {name}: installs are not reproducible (each build may get newer "
            f"dependencies). Commit the lockfile that `{family(name)} install` writes.")


def choose(tree: SourceTree, pkg: PackageJson) -> Choice:
    found = _lockfiles(tree)
    listed = ", ".join(f"{lockfile} ({name})" for lockfile, name in found)
    if pkg.package_manager is not None:
        name, version = _parse_field(pkg.package_manager)
        own = [lockfile for lockfile, other in found if family(other) == family(name)]
        others = [(lockfile, other) for lockfile, other in found if family(other) != family(name)]
        warnings = []
        if others:
            warnings.append(
                f"packageManager says {pkg.package_manager.split('+')[0]} but the tree also has "
                f"{', '.join(f'{f} ({n})' for f, n in others)}; using {name}, as Corepack would. "
                "Delete the other lockfiles."
            )
        if not own:
            warnings.append(_no_lockfile_warning(name))
        return Choice(PackageManager(name, FIELD), version, own[0] if own else None, tuple(warnings))
    if not found:
        return Choice(PackageManager("npm", DEFAULT), None, None, (_no_lockfile_warning("npm"),))
    lockfile, name = found[0]
    warnings = []
    if len({family(n) for _, n in found}) > 1:
        warnings.append(
            f"Several lockfiles: {listed}; using {name} ({lockfile}), the first in pack-it's order "
            "bun, pnpm, yarn, npm. Delete the others, or name the manager in package.json's "
            'packageManager field (e.g. "pnpm@9.1.0").'
        )
    if name == "pnpm":
        pnpm, source = pnpm_for_lockfile(tree, lockfile)
        return Choice(PackageManager(name, source), pnpm, lockfile, tuple(warnings))
    return Choice(PackageManager(name, _lockfile_source(lockfile, name, tree)), None, lockfile, tuple(warnings))


# The pnpm release line that writes each pnpm-lock.yaml lockfileVersion (pnpm's release notes),
# at its last release: a newer pnpm rewrites an older lockfile, which --frozen-lockfile refuses
# (ERR_PNPM_FROZEN_LOCKFILE_WITH_OUTDATED_LOCKFILE). 9.0 is written by pnpm 9 and 10 alike.
PNPM_FOR_LOCKFILE = {"5.0": "5.18.10", "5.1": "5.18.10", "5.2": "5.18.10", "5.3": "6.35.1", "5.4": "7.33.7",
                     "6.0": "8.15.9", "6.1": "8.15.9", "9.0": "9.15.9"}
_LOCKFILE_VERSION = re.compile(r"""^lockfileVersion:\s*['"]?([0-9.]+)['"]?\s*$""", re.MULTILINE)


def pnpm_for_lockfile(tree: SourceTree, lockfile: str) -> tuple[str | None, str]:
    """(the pnpm version for the lockfile's lockfileVersion, the evidence), (None, lockfile) when unknown."""
    match = _LOCKFILE_VERSION.search(tree.read_text(lockfile)[:4096])
    if not match:
        return None, lockfile
    lockfile_version = match.group(1)
    if lockfile_version.count(".") == 0:
        lockfile_version += ".0"
    return PNPM_FOR_LOCKFILE.get(lockfile_version), f"{lockfile} (lockfileVersion {match.group(1)})"
