"""Whether Bun runs the app, and which Bun: the newest release of the versions index that
package.json's packageManager (bun@1.2.19) and engines.bun (npm range syntax) allow.

An app runs on Bun when engines.bun is set, when its start command runs bun (`bun server.ts`,
`bun run start`), or when Bun installs it (packageManager bun@..., bun.lock, bun.lockb) and no
Node.js version is pinned (.nvmrc, engines.node, ...): a pinned Node keeps an app that only
installs with bun on Node.js, with bun as its package manager, and the plan says so.
"""

from __future__ import annotations

from typing import Callable

from pack_it.errors import UNSUPPORTED, detect_error
from pack_it.detectors.facts import DEFAULT, PackageManager, Runtime
from pack_it.detectors.node import package_manager
from pack_it.detectors.node.package_json import PACKAGE_JSON, PackageJson
from pack_it.detectors.node.version import EXACT, key

ENGINES = f"{PACKAGE_JSON} (engines.bun)"
HINT = 'Write a Bun version such as "1.2.19" (packageManager "bun@1.2.19") or a range such as "^1.2" (engines.bun).'


def _nodesemver():
    """Imported on first use: it costs start-up time every command would pay."""
    import nodesemver

    return nodesemver


def installs_with_bun(manager: package_manager.Choice) -> bool:
    return manager.manager.name == "bun"


def evidence(pkg: PackageJson, manager: package_manager.Choice, node_pinned: str | None) -> str | None:
    """What says Bun runs the app before its start command is known, or None: engines.bun, else
    Bun as the package manager when no Node.js version is pinned (`node_pinned`: its source)."""
    if pkg.engines_bun is not None:
        return ENGINES
    if installs_with_bun(manager) and node_pinned is None:
        return manager.manager.source
    return None


def stays_on_node(manager: package_manager.Choice, node_pinned: str) -> str:
    return (f"{manager.manager.source} says bun installs the dependencies and {node_pinned} pins "
            "Node.js: the app runs on Node.js, installed with bun. Delete the Node.js pin (or set "
            "engines.bun) to run it on Bun.")


def package_manager_for(manager: package_manager.Choice, because: str) -> package_manager.Choice:
    """The package manager of a Bun app: bun itself. An app with no lockfile gets bun (the only
    installer in a Bun image); another manager's lockfile or packageManager is refused, since
    bun would not install what that lockfile pins."""
    if installs_with_bun(manager):
        return manager
    if manager.lockfile is None and manager.manager.source == DEFAULT:
        warning = package_manager._no_lockfile_warning("bun")
        return package_manager.Choice(PackageManager("bun", because), None, None, (warning,))
    raise detect_error(
        f"{because} runs the app on Bun, but {manager.manager.source} says {manager.manager.name} "
        "installs it; pack-it installs a Bun app with bun, which would not follow that lockfile.",
        "Run `bun install` and commit bun.lock (deleting the other lockfile and packageManager), or "
        "start the app with node.",
        exit_code=UNSUPPORTED,
    )


def _newest(available: list[str]) -> str:
    return ", ".join(sorted(available, key=key, reverse=True)[:5]) or "none"


def resolve(pkg: PackageJson, manager: package_manager.Choice, because: str,
            bun_versions: Callable[[], list[str]]) -> tuple[Runtime, str | None]:
    """The Bun release to run, and the constraint text that chose it (None: nothing asked, the
    newest of the index). `because` is the evidence that the app runs on Bun."""
    available = sorted((v for v in bun_versions() if EXACT.fullmatch(v)), key=key)
    constraints: list[tuple[str, str, Callable[[str], bool]]] = []
    if installs_with_bun(manager) and manager.manager.source == package_manager.FIELD and manager.version:
        pinned = manager.version
        constraints.append((pinned, package_manager.FIELD, lambda v: v == pinned))
    if pkg.engines_bun is not None:
        cleaned = _nodesemver().valid_range(pkg.engines_bun, False)
        if cleaned is None:
            raise detect_error(f"{ENGINES} asks for Bun {pkg.engines_bun!r:.80}, which is not a version range.", HINT)
        constraints.append((pkg.engines_bun, ENGINES, _nodesemver().make_range(cleaned, False).test))
    if not available:
        raise detect_error(f"{because} runs the app on Bun, and pack-it's versions index lists no Bun release.",
                           "Run `pack-it versions update` to refresh the index.", exit_code=UNSUPPORTED)
    if not constraints:
        return Runtime("bun", available[-1], because), None
    for text, source, fits in constraints:
        if not any(fits(v) for v in available):
            raise detect_error(
                f"{source} asks for Bun {text!r:.80}, and no Bun release in pack-it's versions index satisfies it.",
                f"Newest available: {_newest(available)}; `pack-it versions update` refreshes the index.",
                exit_code=UNSUPPORTED,
            )
    both = [v for v in available if all(fits(v) for _, _, fits in constraints)]
    if not both:
        (first, first_source, _), (second, second_source, _) = constraints
        raise detect_error(
            f"{first_source} asks for Bun {first!r:.80} and {second_source} for {second!r:.80}; no release satisfies both.",
            f"Make them agree. Newest available: {_newest(available)}.",
            exit_code=UNSUPPORTED,
        )
    return Runtime("bun", both[-1], constraints[0][1]), constraints[0][0]
