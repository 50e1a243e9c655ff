"""Which Python the app runs on. Every file that asks for a version is a constraint; the
newest available runtime that satisfies all of them wins, and the highest-priority file that
asked is the evidence.

An exact version ("3.12", "3.12.1") means its minor: pack-it provides minors, not patches.
A minor satisfies a range when one of its patch releases does (">=3.12.1" admits 3.12).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import InvalidVersion, Version

from pack_it.detectors.facts import DEFAULT
from pack_it.detectors.source import SourceTree
from pack_it.errors import UNSUPPORTED, detect_error

STANDALONE_ENV = "PACK_IT_PYTHON_STANDALONE_URL"
DEBIAN = {"3.11": "python-debian12", "3.13": "python-debian13"}  # minor -> run image
STANDALONE = ("3.10", "3.12", "3.14")  # python-build-standalone on the cc run image
CURRENT = tuple(f"3.{minor}" for minor in range(9, 21))  # not end-of-life (or not yet released)
END_OF_LIFE = tuple(f"2.{minor}" for minor in range(8)) + tuple(f"3.{minor}" for minor in range(9))
PATCHES = range(100)

# The files that can ask for a version, highest priority first.
PRIORITY = (".python-version", "runtime.txt", ".tool-versions", "mise.toml", "Pipfile", "pyproject.toml")
RUNTIME_TXT = re.compile(r"python-(\d+(?:\.\d+){1,2})")


@dataclass(frozen=True)
class Constraint:
    source: str  # the file that asks
    asked: str  # as written there
    alternatives: tuple[SpecifierSet, ...]  # any one may hold (poetry's `||`)

    def admits(self, minor: str) -> bool:
        return any(spec.contains(f"{minor}.{patch}") for spec in self.alternatives for patch in PATCHES)


@dataclass(frozen=True)
class Choice:
    minor: str  # "3.13"
    source: str  # the file that decided, or "default"
    run_image: str
    standalone: bool
    warnings: tuple[str, ...]


def minor_of(text: str, source: str) -> SpecifierSet:
    """An exact version as the specifier of its minor ("3.12.1" -> "==3.12.*")."""
    try:
        release = Version(text).release
    except InvalidVersion:
        raise detect_error(f"{source} asks for {text!r}, which is not a Python version.",
                           f"Write a version such as 3.13 in {source}.")
    return SpecifierSet("==" + ".".join(str(part) for part in release[:2]) + ".*")


def parse_request(text: str, source: str) -> Constraint:
    """A version ("3.12", "3.12.1") or a PEP 440 range (">=3.10,<3.13")."""
    text = text.strip()
    if text[:1].isdigit() or text[:1] in "vV":
        return Constraint(source, text, (minor_of(text, source),))
    try:
        return Constraint(source, text, (SpecifierSet(text),))
    except InvalidSpecifier:
        raise detect_error(f"{source} asks for {text!r}, which is not a Python version or range.",
                           f"Write a version such as 3.13, or a range such as >=3.11, in {source}.")


def _poetry_term(term: str) -> str:
    """One poetry constraint term as PEP 440: ^3.10 -> >=3.10,<4; ~3.10 -> >=3.10,<3.11."""
    if term.startswith("^") or (term.startswith("~") and not term.startswith("~=")):
        version = term.lstrip("^~").strip()
        parts = [int(p) for p in Version(version).release]
        if term.startswith("^"):
            first = next((i for i, p in enumerate(parts) if p != 0), len(parts) - 1)
            upper = parts[: first + 1]
        else:
            upper = parts[:2] if len(parts) > 1 else parts[:1]
        upper[-1] += 1
        return f">={version},<{'.'.join(map(str, upper))}"
    if term[0].isdigit() and "*" in term:
        return "==" + term
    if term[0].isdigit():  # a bare version means its minor, as everywhere else
        return "==" + ".".join(str(part) for part in Version(term).release[:2]) + ".*"
    return term


def poetry_constraint(text: str, source: str) -> Constraint:
    """Poetry's syntax: carets, tildes, wildcards, space- or comma-separated terms, `||`."""
    alternatives = []
    try:
        for part in text.split("||"):
            tokens = part.replace(",", " ").split()
            terms: list[str] = []
            for token in tokens:  # ">= 3.10" is one term written as two tokens
                if terms and terms[-1] in ("<", "<=", ">", ">=", "==", "!=", "~=", "^", "~"):
                    terms[-1] += token
                else:
                    terms.append(token)
            alternatives.append(SpecifierSet(",".join(_poetry_term(t) for t in terms if t != "*")))
    except (InvalidSpecifier, InvalidVersion, IndexError, ValueError):
        raise detect_error(f"{source} asks for python = {text!r}, which is not a Python version constraint.",
                           f"Write it as in `python = \"^3.11\"` in {source}.")
    return Constraint(source, text, tuple(alternatives))


def _python_version_file(tree: SourceTree) -> list[Constraint]:
    for line in tree.read_text(".python-version").splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            return [parse_request(line, ".python-version")]
    return []


def _runtime_txt(tree: SourceTree) -> list[Constraint]:
    text = tree.read_text("runtime.txt").strip()
    match = RUNTIME_TXT.fullmatch(text)
    if not match:
        raise detect_error(f"runtime.txt reads {text!r}, not a version such as python-3.13.1.",
                           "Write the version in .python-version instead (e.g. 3.13) and delete runtime.txt.")
    return [Constraint("runtime.txt", text, (minor_of(match.group(1), "runtime.txt"),))]


def _tool_versions(tree: SourceTree) -> list[Constraint]:
    for line in tree.read_text(".tool-versions").splitlines():
        words = line.split("#", 1)[0].split()
        if len(words) >= 2 and words[0] == "python":
            return [] if words[1] in ("latest", "system") else [parse_request(words[1], ".tool-versions")]
    return []


def _mise(tree: SourceTree) -> list[Constraint]:
    wanted = tree.read_toml("mise.toml").get("tools", {}).get("python")
    if isinstance(wanted, list):
        wanted = wanted[0] if wanted else None
    if isinstance(wanted, dict):
        wanted = wanted.get("version")
    if wanted is None or wanted == "latest":
        return []
    return [parse_request(str(wanted), "mise.toml")]


def _pipfile(pipfile: dict) -> list[Constraint]:
    requires = pipfile.get("requires", {})
    wanted = requires.get("python_full_version") or requires.get("python_version")
    return [] if wanted in (None, "*") else [parse_request(str(wanted), "Pipfile")]


def _pyproject(pyproject: dict) -> list[Constraint]:
    found = []
    requires = pyproject.get("project", {}).get("requires-python")
    if requires is not None:
        try:
            found.append(Constraint("pyproject.toml", requires, (SpecifierSet(requires),)))
        except InvalidSpecifier:
            raise detect_error(f"pyproject.toml: requires-python = {requires!r} is not a version range.",
                               'Write it as in `requires-python = ">=3.11"`.')
    poetry = pyproject.get("tool", {}).get("poetry", {}).get("dependencies", {}).get("python")
    if isinstance(poetry, dict):
        poetry = poetry.get("version")
    if poetry is not None:
        found.append(poetry_constraint(str(poetry), "pyproject.toml"))
    return found


def constraints(tree: SourceTree, pyproject: dict | None, pipfile: dict | None) -> list[Constraint]:
    """Every version request, in PRIORITY order."""
    readers = {
        ".python-version": lambda: _python_version_file(tree),
        "runtime.txt": lambda: _runtime_txt(tree),
        ".tool-versions": lambda: _tool_versions(tree),
        "mise.toml": lambda: _mise(tree),
        "Pipfile": lambda: _pipfile(pipfile or {}),
        "pyproject.toml": lambda: _pyproject(pyproject or {}),
    }
    return [c for name in PRIORITY if tree.has_file(name) for c in readers[name]()]


def available(env: dict[str, str]) -> tuple[str, ...]:
    """The minors pack-it can provide here, newest first."""
    standalone = env.get(STANDALONE_ENV) or os.environ.get(STANDALONE_ENV)
    minors = set(DEBIAN) | (set(STANDALONE) if standalone else set())
    return tuple(sorted(minors, key=Version, reverse=True))


def _listing(minors: tuple[str, ...]) -> str:
    ordered = sorted(minors, key=Version)
    return ", ".join(ordered[:-1]) + " and " + ordered[-1] if len(ordered) > 1 else ordered[0]


def _offer(minors: tuple[str, ...]) -> str:
    """What is available, and how to get more."""
    offer = f"pack-it provides Python {_listing(minors)}"
    missing = tuple(m for m in STANDALONE if m not in minors)
    return offer + (f" ({_listing(missing)} only when {STANDALONE_ENV} is set)" if missing else "")


def choose(tree: SourceTree, pyproject: dict | None, pipfile: dict | None, env: dict[str, str]) -> Choice:
    asked = constraints(tree, pyproject, pipfile)
    minors = available(env)
    all_there = all(m in minors for m in STANDALONE)
    for c in asked:
        if not any(c.admits(m) for m in CURRENT) and any(c.admits(m) for m in END_OF_LIFE):
            raise detect_error(f"{c.source} asks for Python {c.asked}, which is end-of-life and not supported.",
                               f"Port the app to Python 3.11 or newer and ask for that version in {c.source}.",
                               exit_code=UNSUPPORTED)
    for c in asked:
        if not any(c.admits(m) for m in minors):
            raise detect_error(f"{c.source} asks for Python {c.asked}, but {_offer(minors)}.",
                               f"Ask for one of those in {c.source}"
                               + ("." if all_there else f", or set {STANDALONE_ENV}."),
                               exit_code=UNSUPPORTED)
    fitting = [m for m in minors if all(c.admits(m) for c in asked)]
    if not fitting:
        pair = next(((a, b) for i, a in enumerate(asked) for b in asked[i + 1:]
                     if not any(a.admits(m) and b.admits(m) for m in minors)), None)
        clash = pair or asked
        raise detect_error(
            " and ".join(f"{c.source} asks for Python {c.asked}" for c in clash)
            + f": no version satisfies {'both' if pair else 'all of them'}, and {_offer(minors)}.",
            "Make the version requests agree (one place is enough: .python-version).",
            exit_code=UNSUPPORTED)
    minor = fitting[0]
    warnings: tuple[str, ...] = ()
    if tree.has_file("runtime.txt"):
        warnings = ("runtime.txt is deprecated: write the version in .python-version "
                    f"(e.g. {minor}) and delete runtime.txt.",)
    standalone = minor not in DEBIAN
    return Choice(minor=minor, source=asked[0].source if asked else DEFAULT,
                  run_image="cc" if standalone else DEBIAN[minor], standalone=standalone, warnings=warnings)
