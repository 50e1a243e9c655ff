"""Which installer installs the app's dependencies, from which files, and what the app's
direct runtime dependencies are.

A lock file wins over requirements, and lock files rank uv > poetry > pdm > pipenv; without
a lock, a Pipfile, then requirements.txt, then a conda environment.yml (from PyPI: conda.py),
then the project itself (pyproject.toml [project] or
[tool.poetry], setup.py, setup.cfg) is installed.
"""

from __future__ import annotations

import ast
import configparser
from dataclasses import dataclass, field

from packaging.markers import InvalidMarker, Marker
from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

from pack_it.detectors.python import conda, requirements, version
from pack_it.detectors.source import SourceTree
from pack_it.errors import detect_error

LOCKS = (("uv.lock", "uv"), ("poetry.lock", "poetry"), ("pdm.lock", "pdm"), ("Pipfile.lock", "pipenv"))
MARKER_VARIABLES = ("os_name", "sys_platform", "platform_machine", "platform_python_implementation",
                    "platform_release", "platform_system", "platform_version", "python_version",
                    "python_full_version", "implementation_name", "implementation_version")

Named = tuple[str | None, Marker | None]  # a dependency's name (None: a bare URL) and marker


@dataclass(frozen=True)
class Install:
    manager: str | None  # uv, poetry, pdm, pipenv, pip; None: nothing to install
    source: str | None  # the file that decided the manager
    kind: str  # uv.lock, poetry.lock, pdm.lock, Pipfile.lock, Pipfile, requirements, project, none
    files: tuple[str, ...]
    dependencies: tuple[str, ...]  # canonical names, sorted
    listed_in: str | None  # the file that lists them, for messages
    complete: bool = True  # False when some dependencies are computed at build time (setup.py code)
    warnings: tuple[str, ...] = field(default=())


def target_environment(python: str) -> dict[str, str]:
    """Marker values on the run image: CPython `python` on Linux x86_64."""
    return {"python_version": python, "python_full_version": python + ".0", "os_name": "posix",
            "sys_platform": "linux", "platform_system": "Linux", "platform_machine": "x86_64",
            "implementation_name": "cpython", "platform_python_implementation": "CPython"}


def names(found: list[Named], python: str) -> tuple[str, ...]:
    """Canonical names of the dependencies installed on the run image (markers evaluated)."""
    env = target_environment(python)
    return tuple(sorted({canonicalize_name(name) for name, marker in found
                         if name and (marker is None or marker.evaluate(env))}))


def marker(text: str, where: str) -> Marker:
    try:
        return Marker(text)
    except InvalidMarker as e:
        raise detect_error(f"{where}: the marker {text!r:.80} cannot be parsed ({e}).",
                           "Write it as PEP 508 says, e.g. sys_platform == 'linux'.")


def pep508(specs: list, where: str) -> list[Named]:
    if not isinstance(specs, list):
        raise detect_error(f"{where} should be a list of requirements, not {specs!r:.80}.",
                           'Write it as in `dependencies = ["flask>=3"]`.')
    found: list[Named] = []
    for spec in specs:
        try:
            req = Requirement(str(spec))
        except InvalidRequirement as e:
            raise detect_error(f"{where}: {spec!r:.80} is not a valid requirement ({e}).",
                               "Write it as PEP 508 says, e.g. `flask>=3` or `uvicorn[standard]`.")
        found.append((req.name, req.marker))
    return found


def _project(tree: SourceTree, pyproject: dict) -> tuple[list[Named], bool]:
    """[project] dependencies, following setuptools' dynamic `file =` requirements."""
    project = pyproject.get("project", {})
    if "dependencies" not in project.get("dynamic", []):
        return pep508(project.get("dependencies", []), "pyproject.toml [project] dependencies"), True
    dynamic = pyproject.get("tool", {}).get("setuptools", {}).get("dynamic", {}).get("dependencies", {})
    files = dynamic.get("file", []) if isinstance(dynamic, dict) else []
    found: list[Named] = []
    for rel in [files] if isinstance(files, str) else files:
        found += [(r.name, r.marker) for r in requirements.read(tree, rel).requirements]
    return found, bool(files)


def _poetry(pyproject: dict, python: str) -> list[Named]:
    """[tool.poetry.dependencies] without python and optional (extras-only) dependencies."""
    found: list[Named] = []
    for name, spec in pyproject.get("tool", {}).get("poetry", {}).get("dependencies", {}).items():
        if name == "python":
            continue
        for entry in spec if isinstance(spec, list) else [spec]:
            entry = entry if isinstance(entry, dict) else {}
            if entry.get("optional"):
                continue
            only_for = entry.get("python")
            if only_for and not version.poetry_constraint(str(only_for), "pyproject.toml").admits(python):
                continue
            if entry.get("platform", "linux") != "linux":
                continue
            where = f"pyproject.toml [tool.poetry.dependencies] {name}"
            found.append((name, marker(entry["markers"], where) if "markers" in entry else None))
    return found


def _pipfile(pipfile: dict) -> list[Named]:
    found: list[Named] = []
    for name, spec in (pipfile.get("packages") or {}).items():
        terms = []
        if isinstance(spec, dict):
            terms = [f"({spec['markers']})"] if "markers" in spec else []
            terms += [f"{key} {spec[key]}" for key in MARKER_VARIABLES if key in spec]
        found.append((name, marker(" and ".join(terms), f"Pipfile [packages] {name}") if terms else None))
    return found


def _setup_cfg(tree: SourceTree) -> list[Named]:
    parser = configparser.RawConfigParser()
    try:
        parser.read_string(tree.read_text("setup.cfg"), source="setup.cfg")
    except configparser.Error as e:
        raise detect_error(f"setup.cfg cannot be parsed: {e.message.splitlines()[0].rstrip('.')}.",
                           "Fix the syntax of setup.cfg.")
    text = parser.get("options", "install_requires", fallback="")
    specs = [line.split("#", 1)[0].strip() for line in text.splitlines()]
    return pep508([s for s in specs if s], "setup.cfg [options] install_requires")


def _setup_py(tree: SourceTree) -> tuple[list[Named], bool, str | None]:
    """install_requires when setup.py writes it as a literal list; (deps, complete, warning)."""
    try:
        module = ast.parse(tree.read_bytes("setup.py"), filename="setup.py")
    except (SyntaxError, ValueError) as e:
        return [], False, f"setup.py cannot be parsed ({e}): its dependencies are not known before the build."
    except (MemoryError, RecursionError):  # CPython's parser gives up on deep nesting
        return [], False, "setup.py is nested too deeply to parse: its dependencies are not known before the build."
    for node in ast.walk(module):
        if isinstance(node, ast.Call) and getattr(node.func, "id", getattr(node.func, "attr", None)) == "setup":
            for keyword in node.keywords:
                if keyword.arg == "install_requires":
                    try:
                        value = ast.literal_eval(keyword.value)
                    except (ValueError, TypeError, MemoryError, RecursionError):
                        return [], False, None  # computed by code: pip will know at build time
                    if not isinstance(value, (str, list, tuple)):
                        raise detect_error(f"setup.py: install_requires must be a list of requirements, not {value!r:.40}.",
                                           'Write it as in `install_requires=["flask>=3"]`.')
                    specs = value.splitlines() if isinstance(value, str) else list(value)
                    return pep508([s for s in specs if str(s).strip()], "setup.py install_requires"), True, None
    return [], True, None


def _declares_dependencies(pyproject: dict | None) -> bool:
    if pyproject is None:
        return False
    poetry = pyproject.get("tool", {}).get("poetry", {}).get("dependencies", {})
    return bool(pyproject.get("project", {}).get("dependencies")) or any(k != "python" for k in poetry)


def _beaten(winner: str, manager: str, losers: list[str], why: str) -> tuple[str, ...]:
    return tuple(f"{winner} and {loser} both describe the dependencies: pack-it installs with {manager} "
                 f"from {winner} and ignores {loser}, because {why} (order: uv > poetry > pdm > pipenv > pip)."
                 for loser in losers)


def _locked(tree: SourceTree, lock: str, manager: str, others: list[str], pyproject: dict | None,
            pipfile: dict | None, python: str) -> Install:
    companion = "Pipfile" if manager == "pipenv" else "pyproject.toml"
    if not tree.has_file(companion):
        raise detect_error(f"{lock} is here without the {companion} it locks.",
                           f"Add {companion} back, or delete {lock}.")
    if manager == "pipenv":  # a broken lock stops here, naming the file
        tree.read_json(lock)
    else:
        tree.read_toml(lock)
    if manager == "pipenv":
        found, complete = _pipfile(pipfile or {}), True
    else:
        found, complete = _project(tree, pyproject or {})
        found += _poetry(pyproject or {}, python) if manager == "poetry" else []
    locks = [f for f, _ in LOCKS if f != lock and tree.has_file(f)]
    plain = [f for f in others if f != companion]
    warnings = (_beaten(lock, manager, locks, "lock files rank uv > poetry > pdm > pipenv")
                + _beaten(lock, manager, plain, "a lock file wins over requirements"))
    return Install(manager, lock, lock, (lock, companion), names(found, python), companion, complete, warnings)


def choose(tree: SourceTree, pyproject: dict | None, pipfile: dict | None, python: str) -> Install:
    """The installer and its files; `python` evaluates markers ("3.13")."""
    others = [f for f in ("Pipfile", "requirements.txt") if tree.has_file(f)]  # manifests without a lock
    if _declares_dependencies(pyproject):
        others.append("pyproject.toml")
    for lock, manager in LOCKS:
        if tree.has_file(lock):
            return _locked(tree, lock, manager, others, pyproject, pipfile, python)
    if pipfile is not None:
        warnings: tuple[str, ...] = ("Pipfile without Pipfile.lock: versions are not pinned, so every build may install "
                    "different ones; run `pipenv lock` and commit Pipfile.lock.",)
        warnings += _beaten("Pipfile", "pipenv", [f for f in others if f != "Pipfile"],
                            "a Pipfile wins over requirements")
        return Install("pipenv", "Pipfile", "Pipfile", ("Pipfile",), names(_pipfile(pipfile), python),
                       "Pipfile", True, warnings)
    environment = conda.find(tree)
    if tree.has_file(requirements.REQUIREMENTS):
        reqs = requirements.read(tree)
        warnings = _beaten(requirements.REQUIREMENTS, "pip", [f for f in others if f == "pyproject.toml"],
                           "requirements.txt pins what to install; list `.` in it to install the project too")
        if environment:
            warnings += _beaten(requirements.REQUIREMENTS, "pip", [environment],
                                "requirements.txt is what PyPI installs; conda's channels are not reachable")
        found = [(r.name, r.marker) for r in reqs.requirements]
        return Install("pip", requirements.REQUIREMENTS, "requirements", reqs.files, names(found, python),
                       requirements.REQUIREMENTS, True, warnings)
    if environment and not any(tree.has_file(f) for f in ("setup.py", "setup.cfg")) and not (
            pyproject and ("project" in pyproject or "poetry" in pyproject.get("tool", {}))):
        env = conda.environment(tree, environment)
        found = [(Requirement(line).name, Requirement(line).marker) for line in env.requirements]
        warnings = (f"{environment} is a conda environment: pack-it installs its pip: section and its conda packages "
                    "from PyPI, where they have the same names (conda's channels are not reachable); "
                    "versions are not pinned by a lock.",) + tuple(f"{note}." for note in env.notes)
        return Install("pip", environment, "conda", (environment,), names(found, python), environment, True, warnings)
    return _project_install(tree, pyproject, python)


def _project_install(tree: SourceTree, pyproject: dict | None, python: str) -> Install:
    """No lock and no requirements: `pip install .` when there is a project to install."""
    present = [f for f in ("pyproject.toml", "setup.py", "setup.cfg") if tree.has_file(f)]
    is_project = pyproject is not None and ("project" in pyproject or "poetry" in pyproject.get("tool", {}))
    if is_project:
        assert pyproject is not None  # is_project implies it
        found, complete = _project(tree, pyproject)
        found += _poetry(pyproject, python)
        return Install("pip", "pyproject.toml", "project", tuple(present), names(found, python),
                       "pyproject.toml", complete)
    setup = [f for f in ("setup.py", "setup.cfg") if tree.has_file(f)]
    if not setup:
        return Install(None, None, "none", (), (), None)
    found, complete, warning = _setup_py(tree) if "setup.py" in setup else ([], True, None)
    found += _setup_cfg(tree) if "setup.cfg" in setup else []
    files = tuple(setup + [f for f in present if f not in setup])
    return Install("pip", setup[0], "project", files, names(found, python), setup[0], complete,
                   (warning,) if warning else ())
