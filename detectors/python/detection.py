"""A tree that has a Python signal, read in full: see the package's docstring."""

from __future__ import annotations

from typing import Mapping

from pack_it.detectors.facts import Detection, Framework, PackageManager, Process, RunImageChoice, Runtime
from pack_it.detectors.python import apps, commands, manifests, start, version
from pack_it.detectors.python.commands import Start
from pack_it.detectors.python.facts import InstallFacts, PythonFacts
from pack_it.detectors.python.manifests import Install
from pack_it.detectors.python.sources import Sources
from pack_it.detectors.shape import AnyOf, Array, Each, Table, check
from pack_it.detectors.source import SourceTree

# Where the detectors (and the Python pack) read pyproject.toml and Pipfile, the types they expect.
STRINGS = Array(str)
_POETRY_DEPENDENCY = Table({"version": str, "python": str, "markers": str, "platform": str, "optional": bool})
PYPROJECT = Table({
    "project": Table({"name": str, "requires-python": str, "dependencies": STRINGS, "dynamic": STRINGS,
                      "scripts": Each(str)}),
    "tool": Table({
        "poetry": Table({
            "name": str,
            "dependencies": Each(AnyOf((str, _POETRY_DEPENDENCY, Array(AnyOf((str, _POETRY_DEPENDENCY)))))),
            "scripts": Each(AnyOf((str, Table({"callable": str, "reference": str, "type": str})))),
        }),
        "setuptools": Table({"dynamic": Table({"dependencies": Table({"file": AnyOf((str, STRINGS))})})}),
    }),
})
PIPFILE = Table({
    "packages": Each(AnyOf((str, Table({key: str for key in ("version", "markers", *manifests.MARKER_VARIABLES)})))),
    "requires": Table({"python_version": str, "python_full_version": str}),
})
FRAMEWORK_PACKAGES = ("django", "flask", "fastapi", "starlette", "litestar", "quart")
NO_START = ("No start command found (no framework app, entry point, or main.py/app.py/server.py): "
            "add a Procfile that names it, e.g. `web: python serve.py`.")


def _check_dependencies(found: Start, install: Install) -> tuple[list[str], list[str]]:
    """(servers to add to the image, warnings): the start command's server when the app's
    dependencies lack it, and a framework the code uses but the dependencies do not list."""
    added, warnings = [], []
    listed = f"in {install.listed_in}" if install.listed_in else "(no dependency file)"
    included = found.framework and apps.SERVER_INCLUDED.get(found.framework) in install.dependencies
    if found.server and found.server not in install.dependencies and not included:
        added.append(found.server)
        warnings.append(f"{found.label} without {found.server} {listed}: pack-it adds {found.server} "
                        "to the image (never a development server).")
    if (found.framework in FRAMEWORK_PACKAGES and install.listed_in and install.complete
            and found.framework not in install.dependencies):
        warnings.append(f"{found.framework_source or found.source} uses {found.framework}, which "
                        f"{install.listed_in} does not list: the app cannot import it.")
    return added, warnings


def detect_app(tree: SourceTree, env: dict[str, str], releases: Mapping[str, Mapping[str, str]]) -> Detection:
    pyproject = tree.read_toml("pyproject.toml") if tree.has_file("pyproject.toml") else None
    pipfile = tree.read_toml("Pipfile") if tree.has_file("Pipfile") else None
    for data, schema, rel in ((pyproject, PYPROJECT, "pyproject.toml"), (pipfile, PIPFILE, "Pipfile")):
        if data is not None:
            check(data, schema, rel)
    python = version.choose(tree, pyproject, pipfile, env, releases)
    install = manifests.choose(tree, pyproject, pipfile, python.minor)
    sources = Sources(tree)
    found = start.find(tree, sources, pyproject)
    added: list[str]
    if found is None:
        added, checks = [], [] if tree.has_file(start.PROCFILE) else [NO_START]
    else:
        added, checks = _check_dependencies(found, install)

    facts = PythonFacts(
        python=python.minor,
        version=python.version,
        python_source="standalone" if python.standalone else "debian",
        install=InstallFacts(install.kind, tuple(install.files)),
        dependencies=tuple(install.dependencies),
        added=tuple(added),
        app=found.app if found else None,
        django=found.django if found else None,
    )
    framework = found and found.framework and Framework(found.framework, found.framework_source or found.source)
    manager = None
    if install.manager:
        assert install.source is not None  # an Install names its manager and source, or neither
        manager = PackageManager(install.manager, install.source)
    return Detection(
        language="python",
        runtime=Runtime("python", python.version, python.source),
        package_manager=manager,
        framework=framework or None,
        run_image=RunImageChoice(python.run_image, python.source),
        processes=(Process(found.type, found.command, found.source, default=True,
                           written=commands.written(found.command)),) if found else (),
        warnings=(*python.warnings, *install.warnings, *sources.warnings, *checks),
        facts=facts,
    )
