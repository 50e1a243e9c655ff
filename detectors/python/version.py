"""Which Python the app runs on. Every file that asks for a version is a constraint; the
candidates are Debian's CPython on its stacks and every python-build-standalone release in
pack-it's versions index (its `python` section: detection never downloads anything).

- An exact patch ("3.12.3", `python-3.11.9`, Pipfile's python_full_version) asks for that
  patch; a minor ("3.12") or a range (">=3.10") for any patch of what it admits.
- Debian's Python (3.11.2 on debian12, 3.13.5 on debian13: no download, a shared stack layer,
  Debian's security updates) wins whenever it satisfies every request, the newest such;
  otherwise the newest release in the index that satisfies them all (so a minor pin gets the
  newest patch of that minor in the index), on the `cc` stack.
- A request only end-of-life versions satisfy (2.7, 3.8 and older) is refused, naming the
  file and line; so is one that no candidate satisfies.

Poetry's bare version ("3.11.4") is read as its minor: it is a compatibility range of the
project, not a pin of the interpreter.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterable, Mapping

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import InvalidVersion, Version

from pack_it.detectors.facts import DEFAULT
from pack_it.detectors.source import SourceTree
from pack_it.errors import UNSUPPORTED, detect_error

# Debian's CPython, exact version -> run image (the shipped stack locks hold these versions:
# tests/detectors/python/test_version.py checks it).
DEBIAN = {"3.11.2": "python-debian12", "3.13.5": "python-debian13"}
STANDALONE_RUN_IMAGE = "cc"
CURRENT = tuple(f"3.{minor}" for minor in range(9, 21))  # not end-of-life (or not yet released)
END_OF_LIFE = tuple(f"2.{minor}" for minor in range(8)) + tuple(f"3.{minor}" for minor in range(9))
PATCHES = range(100)

# The files that can ask for a version, highest priority first.
PRIORITY = (".python-version", "runtime.txt", ".tool-versions", "mise.toml", "environment.yml", "environment.yaml",
            "Pipfile", "pyproject.toml")
RUNTIME_TXT = re.compile(r"python-(\d+(?:\.\d+){1,2})")
_FINAL = re.compile(r"\d+\.\d+\.\d+")


@dataclass(frozen=True)
class Constraint:
    source: str  # the file that asks
    asked: str  # as written there
    alternatives: tuple[SpecifierSet, ...]  # any one may hold (poetry's `||`)
    line: int | None = None  # where in the file, when known

    @property
    def where(self) -> str:
        return f"{self.source}:{self.line}" if self.line else self.source

    def admits(self, version: str) -> bool:
        return any(spec.contains(version) for spec in self.alternatives)

    def admits_minor(self, minor: str) -> bool:
        return any(self.admits(f"{minor}.{patch}") for patch in PATCHES)


@dataclass(frozen=True)
class Choice:
    minor: str  # "3.13"
    version: str  # the exact release: "3.13.5"
    source: str  # the file that decided, or "default"
    run_image: str
    standalone: bool
    warnings: tuple[str, ...]


def _release(text: str, source: str) -> tuple[int, ...]:
    try:
        return Version(text).release
    except ValueError:  # InvalidVersion, or a number over 4300 digits
        raise detect_error(f"{source} asks for {text!r:.80}, which is not a Python version.",
                           f"Write a version such as 3.13 in {source}.")


def version_spec(text: str, source: str) -> SpecifierSet:
    """An exact patch pins it ("3.12.1" -> "==3.12.1"); a shorter version means any patch
    of it ("3.12" -> "==3.12.*")."""
    release = _release(text, source)
    if len(release) >= 3:
        return SpecifierSet("==" + text.strip().lstrip("vV"))
    return SpecifierSet("==" + ".".join(str(part) for part in release[:2]) + ".*")


def minor_of(text: str, source: str) -> SpecifierSet:
    """Any patch of the version's minor ("3.12.1" -> "==3.12.*")."""
    return SpecifierSet("==" + ".".join(str(part) for part in _release(text, source)[:2]) + ".*")


def parse_request(text: str, source: str, line: int | None = None) -> Constraint:
    """A version ("3.12", "3.12.1") or a PEP 440 range (">=3.10,<3.13")."""
    text = text.strip()
    if text[:1].isdigit() or text[:1] in "vV":
        return Constraint(source, text, (version_spec(text, source),), line)
    try:
        return Constraint(source, text, (_specifiers(text),), line)
    except ValueError:  # InvalidSpecifier, or a number over 4300 digits
        raise detect_error(f"{source} asks for {text!r:.80}, which is not a Python version or range.",
                           f"Write a version such as 3.13, or a range such as >=3.11, in {source}.")


def _specifiers(text: str) -> SpecifierSet:
    """A PEP 440 range, each version in it parsed now: SpecifierSet parses them only when it
    first compares, and a number over 4300 digits fails there (a ValueError)."""
    specs = SpecifierSet(text)
    specs.contains("3.13.0")
    return specs


def _line(text: str, pattern: str, after: str | None = None) -> int | None:
    """The 1-based number of the first line matching `pattern` (after one matching `after`)."""
    seen = after is None
    for number, line in enumerate(text.splitlines(), 1):
        if not seen:
            seen = re.search(after, line) is not None  # type: ignore[arg-type]
        elif re.search(pattern, line):
            return number
    return None


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


def poetry_constraint(text: str, source: str, line: int | None = None) -> Constraint:
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
            alternatives.append(_specifiers(",".join(_poetry_term(t) for t in terms if t != "*")))
    except (InvalidSpecifier, InvalidVersion, IndexError, ValueError):
        raise detect_error(f"{source} asks for python = {text!r:.80}, which is not a Python version constraint.",
                           f"Write it as in `python = \"^3.11\"` in {source}.")
    return Constraint(source, text, tuple(alternatives), line)


def _python_version_file(tree: SourceTree) -> list[Constraint]:
    for number, line in enumerate(tree.read_text(".python-version").splitlines(), 1):
        line = line.strip()
        if line and not line.startswith("#"):
            return [parse_request(line, ".python-version", number)]
    return []


def _runtime_txt(tree: SourceTree) -> list[Constraint]:
    raw = tree.read_text("runtime.txt")
    text = raw.strip()
    match = RUNTIME_TXT.fullmatch(text)
    if not match:
        raise detect_error(f"runtime.txt reads {text!r:.80}, not a version such as python-3.13.1.",
                           "Write the version in .python-version instead (e.g. 3.13) and delete runtime.txt.")
    line = raw[:raw.index(text)].count("\n") + 1
    return [Constraint("runtime.txt", text, (version_spec(match.group(1), "runtime.txt"),), line)]


def _tool_versions(tree: SourceTree) -> list[Constraint]:
    for number, line in enumerate(tree.read_text(".tool-versions").splitlines(), 1):
        words = line.split("#", 1)[0].split()
        if len(words) >= 2 and words[0] == "python":
            return [] if words[1] in ("latest", "system") else [parse_request(words[1], ".tool-versions", number)]
    return []


def _mise(tree: SourceTree) -> list[Constraint]:
    tools = tree.read_toml("mise.toml").get("tools", {})
    if not isinstance(tools, dict):
        raise detect_error(f"mise.toml: `tools` must be a table, not {tools!r:.40}.", "Write it as `[tools]`.")
    wanted = tools.get("python")
    if isinstance(wanted, list):
        wanted = wanted[0] if wanted else None
    if isinstance(wanted, dict):
        wanted = wanted.get("version")
    if wanted is None or wanted == "latest":
        return []
    if not isinstance(wanted, (str, int)) or isinstance(wanted, bool):  # 3.10 as a float reads 3.1
        raise detect_error(f"mise.toml: [tools] python must be a version string, not {wanted!r:.40}.",
                           'Write it as `python = "3.13"`.')
    line = _line(tree.read_text("mise.toml"), r"^\s*[\"']?python[\"']?\s*=", after=r"^\s*\[tools\]")
    return [parse_request(str(wanted), "mise.toml", line)]


def _conda(tree: SourceTree, file: str) -> list[Constraint]:
    """environment.yml's `- python=3.11` dependency."""
    from pack_it.detectors.python import conda

    python = conda.environment(tree, file).python
    return [parse_request(python.text, file, python.line)] if python and python.text else []


def _pipfile(pipfile: dict, text: str) -> list[Constraint]:
    requires = pipfile.get("requires", {})
    key = "python_full_version" if requires.get("python_full_version") else "python_version"
    wanted = requires.get(key)
    if wanted in (None, "*"):
        return []
    return [parse_request(str(wanted), "Pipfile", _line(text, rf"^\s*{key}\s*="))]


def _pyproject(pyproject: dict, text: str) -> list[Constraint]:
    found = []
    requires = pyproject.get("project", {}).get("requires-python")
    if requires is not None:
        try:
            found.append(Constraint("pyproject.toml", requires, (_specifiers(requires),),
                                    _line(text, r"^\s*requires-python\s*=")))
        except ValueError:  # InvalidSpecifier, or a number over 4300 digits
            raise detect_error(f"pyproject.toml: requires-python = {requires!r:.80} is not a version range.",
                               'Write it as in `requires-python = ">=3.11"`.')
    poetry = pyproject.get("tool", {}).get("poetry", {}).get("dependencies", {}).get("python")
    if isinstance(poetry, dict):
        poetry = poetry.get("version")
    if poetry is not None:
        line = _line(text, r"^\s*python\s*=", after=r"^\s*\[tool\.poetry\.dependencies\]")
        found.append(poetry_constraint(str(poetry), "pyproject.toml", line))
    return found


def constraints(tree: SourceTree, pyproject: dict | None, pipfile: dict | None) -> list[Constraint]:
    """Every version request, in PRIORITY order."""
    readers = {
        ".python-version": lambda: _python_version_file(tree),
        "runtime.txt": lambda: _runtime_txt(tree),
        ".tool-versions": lambda: _tool_versions(tree),
        "mise.toml": lambda: _mise(tree),
        "environment.yml": lambda: _conda(tree, "environment.yml"),
        "environment.yaml": lambda: _conda(tree, "environment.yaml"),
        "Pipfile": lambda: _pipfile(pipfile or {}, tree.read_text("Pipfile")),
        "pyproject.toml": lambda: _pyproject(pyproject or {}, tree.read_text("pyproject.toml")),
    }
    return [c for name in PRIORITY if tree.has_file(name) for c in readers[name]()]


def _key(version: str) -> Version:
    return Version(version)


def candidates(standalone: Iterable[str]) -> list[str]:
    """Every exact version pack-it can provide, newest first: Debian's, and the final releases
    of current minors in the index's python section."""
    found = set(DEBIAN)
    for version in standalone:
        if _FINAL.fullmatch(version) and ".".join(version.split(".")[:2]) in CURRENT:
            found.add(version)
    return sorted(found, key=_key, reverse=True)


def _minor(version: str) -> str:
    return ".".join(version.split(".")[:2])


def _offer(versions: list[str]) -> str:
    """What is available: each minor's newest release (Debian's named)."""
    newest: dict[str, str] = {}
    for v in sorted(versions, key=_key):
        newest[_minor(v)] = v
    for v in DEBIAN:
        newest.setdefault(_minor(v), v)
    shown = [f"{v} (Debian's)" if v in DEBIAN and newest.get(_minor(v)) == v else v
             for v in sorted(newest.values(), key=_key)]
    return "pack-it's versions index has Python " + ", ".join(shown)


def _offer_for(c: Constraint, versions: list[str]) -> str:
    """For a version of a minor pack-it has ("3.12.99"): that minor's releases; else all."""
    if c.asked[:1].isdigit():
        release = Version(c.asked).release
        same = sorted((v for v in versions if _minor(v) == ".".join(map(str, release[:2]))), key=_key)
        if same and len(release) >= 2:
            return f"pack-it's versions index has Python {_minor(same[0])} up to {same[-1]}"
    return _offer(versions)


def _listed(pins: list[str]) -> str:
    return ", ".join(pins[:3]) + (f" and {len(pins) - 3} more" if len(pins) > 3 else "")


def debian_first(fitting: list[str]) -> str:
    """Debian's Python when it fits (no download, a shared stack layer), else the newest."""
    return next((v for v in fitting if v in DEBIAN), fitting[0])


def choose(tree: SourceTree, pyproject: dict | None, pipfile: dict | None, env: dict[str, str],
           releases: Mapping[str, Mapping[str, str]]) -> Choice:
    """`releases` is the versions index's python section (python-build-standalone's builds)."""
    asked = constraints(tree, pyproject, pipfile)
    versions = candidates(releases)
    for c in asked:
        if not any(c.admits_minor(m) for m in CURRENT) and any(c.admits_minor(m) for m in END_OF_LIFE):
            raise detect_error(f"{c.where} asks for Python {c.asked}, which is end-of-life and not supported.",
                               f"Port the app to Python 3.9 or newer and ask for that version in {c.source}.",
                               exit_code=UNSUPPORTED)
    update = "`pack-it versions update` refreshes the index when a newer release is out"
    for c in asked:
        if not any(c.admits(v) for v in versions):
            raise detect_error(f"{c.where} asks for Python {c.asked}, but {_offer_for(c, versions)}.",
                               f"Ask for one of those in {c.source} ({update}).", exit_code=UNSUPPORTED)
    fitting = [v for v in versions if all(c.admits(v) for c in asked)]
    if not fitting:
        pair = next(((a, b) for i, a in enumerate(asked) for b in asked[i + 1:]
                     if not any(a.admits(v) and b.admits(v) for v in versions)), None)
        clash = pair or asked
        raise detect_error(
            " and ".join(f"{c.where} asks for Python {c.asked}" for c in clash)
            + f": no version satisfies {'both' if pair else 'all of them'}.",
            "Make the version requests agree (one place is enough: .python-version).",
            exit_code=UNSUPPORTED)
    warnings: tuple[str, ...] = ()
    source = asked[0].source if asked else DEFAULT
    from pack_it.detectors.python import wheels  # packaging.tags: only for trees that are Python apps

    pins = wheels.pins(tree)
    if pins is not None:
        unlimited, allowed = _minor(debian_first(fitting)), "the requests allow " if asked else ""
        with_wheels = [v for v in fitting if pins.fits(int(v.split(".")[1]))]
        if with_wheels and not pins.fits(int(unlimited.split(".")[1])):
            # the newest minor with wheels for every pin (Debian's patch of it when it has one)
            with_wheels = [v for v in with_wheels if _minor(v) == _minor(with_wheels[0])]
            missing = pins.missing(int(unlimited.split(".")[1]))
            source = f"{pins.lock} (wheels)"
            warnings += (f"Python {_minor(debian_first(with_wheels))}, not {unlimited}: the newest Python {allowed}for "
                         f"which every pin in {pins.lock} has a wheel ({_listed(missing)} "
                         f"{'has' if len(missing) == 1 else 'have'} none for {unlimited}); write a version in "
                         ".python-version to choose another.",)
            fitting = with_wheels
        elif not with_wheels:
            missing = pins.missing(int(unlimited.split(".")[1]))
            warnings += (f"No Python {allowed or 'pack-it offers '}has a wheel for every pin in {pins.lock} "
                         f"({_listed(missing)} for {unlimited}): they build from source.",)
    version = debian_first(fitting)
    minor = _minor(version)
    if tree.has_file("runtime.txt"):
        pinned = next((c.asked.removeprefix("python-") for c in asked if c.source == "runtime.txt"), minor)
        warnings += ("runtime.txt is deprecated: write the version in .python-version "
                    f"(e.g. {pinned}) and delete runtime.txt.",)
    standalone = version not in DEBIAN
    return Choice(minor=minor, version=version, source=source,
                  run_image=STANDALONE_RUN_IMAGE if standalone else DEBIAN[version], standalone=standalone,
                  warnings=warnings)
