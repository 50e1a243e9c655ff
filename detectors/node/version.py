"""Which exact Node.js version runs the app: the newest available release that satisfies the
version file (.nvmrc, .node-version, .tool-versions, mise.toml) and package.json's
engines.node together. Ranges use npm's syntax, through node-semver."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable


from pack_it.errors import UNSUPPORTED, detect_error
from pack_it.detectors.facts import DEFAULT, Runtime
from pack_it.detectors.node.package_json import PACKAGE_JSON, PackageJson
from pack_it.detectors.source import SourceTree

ENGINES = f"{PACKAGE_JSON} (engines.node)"
EXACT = re.compile(r"[0-9]+\.[0-9]+\.[0-9]+")
# The first of these files that names a Node version decides, before engines.node.
VERSION_FILES = (".nvmrc", ".node-version", ".tool-versions", "mise.toml", ".mise.toml")
# nvm's lts/<codename> aliases: each LTS line's codename and major.
LTS_CODENAMES = {"argon": 4, "boron": 6, "carbon": 8, "dubnium": 10, "erbium": 12, "fermium": 14,
                 "gallium": 16, "hydrogen": 18, "iron": 20, "jod": 22, "krypton": 24}
NEWEST = ("node", "latest", "current", "stable")  # nvm's aliases for the newest release
HINT = "Write a version such as 22, 22.12.0, ^20, >=18 <23, or lts/* (.nvmrc)."

def _nodesemver():
    """Imported on first use: it costs start-up time every command would pay."""
    import nodesemver

    return nodesemver



@dataclass(frozen=True)
class Constraint:
    text: str  # as written
    source: str  # the file (and field) that says it
    fits: Callable[[str], bool]


def key(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split("."))


def _lts(version: str) -> bool:
    """Even majors are the long-term-support lines."""
    return key(version)[0] > 0 and key(version)[0] % 2 == 0


def _first_line(text: str) -> str | None:
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            return line
    return None


def _tool_versions(text: str) -> str | None:
    """asdf's `nodejs 20.11.0` (or `node 20`) line; of several versions on it, the first."""
    for line in text.splitlines():
        words = line.split("#", 1)[0].split()
        if len(words) >= 2 and words[0] in ("nodejs", "node"):
            return words[1]
    return None


def _mise(tree: SourceTree, rel: str) -> str | None:
    tools = tree.read_toml(rel).get("tools") or {}
    value = tools.get("node", tools.get("nodejs")) if isinstance(tools, dict) else None
    if isinstance(value, list):  # several versions: the first is the default
        value = value[0] if value else None
    if isinstance(value, dict):  # { version = "20", ... }
        value = value.get("version")
    if value is not None and not isinstance(value, (str, int)):
        raise detect_error(f"{rel}: [tools] node must be a version string, not {value!r:.80}.", HINT)
    return None if value is None else str(value)


def _version_file(tree: SourceTree) -> tuple[str, str] | None:
    """(text, file) from the first version file that names Node."""
    for rel in VERSION_FILES:
        if not tree.has_file(rel):
            continue
        if rel in (".nvmrc", ".node-version"):
            text = _first_line(tree.read_text(rel))
            if text is None:
                raise detect_error(f"{rel} is empty.", f"Write a Node.js version in it, or delete it. {HINT}")
        elif rel == ".tool-versions":
            text = _tool_versions(tree.read_text(rel))
        else:
            text = _mise(tree, rel)
        if text is not None:
            return text, rel
    return None


def _range(text: str, source: str) -> Callable[[str], bool]:
    cleaned = _nodesemver().valid_range(text, False)
    if cleaned is None:
        raise detect_error(f"{source} asks for Node.js {text!r:.80}, which is not a version range.", HINT)
    parsed = _nodesemver().make_range(cleaned, False)
    return parsed.test


def _alias(text: str, source: str, available: list[str]) -> Callable[[str], bool] | None:
    """The versions an nvm alias (lts/*, lts/-1, lts/iron, node) stands for, or None."""
    word = text.lower()
    if word in NEWEST:
        return lambda v: True
    if word in ("system", "iojs") or word.startswith("iojs-"):
        raise detect_error(f"{source} asks for Node.js {text!r:.80}, which pack-it cannot provide.", HINT,
                           exit_code=UNSUPPORTED)
    if not word.startswith("lts/"):
        return None
    name = word.removeprefix("lts/")
    if name in ("*", "-0"):
        return _lts
    if re.fullmatch(r"-[0-9]+", name):
        majors = sorted({key(v)[0] for v in available if _lts(v)}, reverse=True)
        back = int(name[1:])
        wanted = majors[back] if back < len(majors) else -1
        return lambda v: key(v)[0] == wanted
    if name in LTS_CODENAMES:
        return lambda v: key(v)[0] == LTS_CODENAMES[name]
    raise detect_error(
        f"{source} asks for Node.js {text!r:.80}, an LTS codename pack-it does not know.",
        "Known: " + ", ".join(f"lts/{n} ({m})" for n, m in LTS_CODENAMES.items()) + ", and lts/*.",
        exit_code=UNSUPPORTED,
    )


def _newest(available: list[str]) -> str:
    """The newest release of each of the five newest majors, newest first."""
    by_major: dict[int, str] = {}
    for v in available:
        by_major[key(v)[0]] = v
    return ", ".join(sorted(by_major.values(), key=key, reverse=True)[:5]) or "none"


def pinned(tree: SourceTree, pkg: PackageJson) -> str | None:
    """The file (and field) that asks for a Node.js version, or None."""
    found = _version_file(tree)
    if found:
        return found[1]
    return ENGINES if pkg.engines_node is not None else None


def resolve(tree: SourceTree, pkg: PackageJson, node_versions: Callable[[], list[str]]) -> tuple[Runtime, str | None]:
    """The Runtime and the constraint text that decided it (None when nothing asked)."""
    available = sorted((v for v in node_versions() if EXACT.fullmatch(v)), key=key)
    constraints = []
    found = _version_file(tree)
    if found:
        text, rel = found
        fits = _alias(text, rel, available) or _range(text, rel)
        constraints.append(Constraint(text, rel, fits))
    if pkg.engines_node is not None:
        constraints.append(Constraint(pkg.engines_node, ENGINES, _range(pkg.engines_node, ENGINES)))
    if not constraints:
        candidates = [v for v in available if _lts(v)]
        if not candidates:
            raise detect_error("No Node.js LTS release (even major) is available.",
                               f"Newest available: {_newest(available)}.", exit_code=UNSUPPORTED)
        return Runtime("node", candidates[-1], DEFAULT), None
    for c in constraints:
        if not any(c.fits(v) for v in available):
            raise detect_error(
                f"No available Node.js release satisfies {c.text!r:.80} from {c.source}.",
                f"Newest available: {_newest(available)}. Ask for one of those.",
                exit_code=UNSUPPORTED,
            )
    both = [v for v in available if all(c.fits(v) for c in constraints)]
    if not both:
        first, second = constraints
        raise detect_error(
            f"{first.source} asks for Node.js {first.text!r:.80} and {second.source} for "
            f"{second.text!r:.80}; no available release satisfies both.",
            f"Make them agree. Newest available: {_newest(available)}.",
            exit_code=UNSUPPORTED,
        )
    return Runtime("node", both[-1], constraints[0].source), constraints[0].text
