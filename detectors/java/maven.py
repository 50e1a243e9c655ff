"""pom.xml: what a Maven build makes, read with the standard library's XML parser (no Maven,
no network): parent, properties, plugins, dependencies, modules, and the Java version."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from pack_it.detectors.source import SourceTree
from pack_it.errors import detect_error

if TYPE_CHECKING:  # loaded by parse(), when there is a pom.xml: a Node app's detect never pays for it
    import xml.etree.ElementTree as ET

POM = "pom.xml"
WRAPPER = "mvnw"
WRAPPER_PROPERTIES = ".mvn/wrapper/maven-wrapper.properties"
_PROPERTY = re.compile(r"\$\{([^}]+)\}")
# Properties that name the Java version, strongest first (release is what javac targets).
JAVA_PROPERTIES = ("maven.compiler.release", "maven.compiler.target", "maven.compiler.source", "java.version")


@dataclass(frozen=True)
class Pom:
    path: str
    artifact_id: str
    packaging: str
    parent: tuple[str, str, str] | None  # groupId, artifactId, version
    properties: dict[str, str]
    plugins: tuple[tuple[str, str, str], ...]  # groupId, artifactId, version ("" when inherited)
    dependencies: tuple[tuple[str, str], ...]  # groupId, artifactId, non-test scopes only
    modules: tuple[str, ...]
    main_class: str | None
    compiler_release: str | None  # maven-compiler-plugin's <release>/<target>/<source>

    def has_plugin(self, artifact_id: str) -> bool:
        return any(a == artifact_id for _, a, _ in self.plugins)

    def uses_group(self, prefix: str) -> bool:
        return any(g.startswith(prefix) for g, _, _ in self.plugins) or \
            any(g.startswith(prefix) for g, _ in self.dependencies) or \
            (self.parent is not None and self.parent[0].startswith(prefix))

    def resolve(self, value: str | None) -> str | None:
        """`${name}` references replaced from the properties (and project.* a few)."""
        if value is None:
            return None
        for _ in range(5):  # properties may name properties; a cycle stops here
            new = _PROPERTY.sub(lambda m: self.properties.get(m.group(1), m.group(0)), value)
            if new == value:
                break
            value = new
        return value


def _local(tag: object) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _child(element: ET.Element | None, name: str) -> ET.Element | None:
    if element is None:
        return None
    return next((c for c in element if _local(c.tag) == name), None)


def _text(element: ET.Element | None, name: str, default: str = "") -> str:
    found = _child(element, name)
    return (found.text or "").strip() if found is not None else default


def _path(element: ET.Element | None, *names: str) -> ET.Element | None:
    for name in names:
        element = _child(element, name)
    return element


def parse(tree: SourceTree, path: str) -> Pom:
    import xml.etree.ElementTree as ET

    text = tree.read_text(path)
    try:
        root = ET.fromstring(text)
    except ET.ParseError as e:
        line, column = e.position
        reason = str(e).split(":")[0]
        raise detect_error(f"{path} line {line}, column {column + 1}: not well-formed XML ({reason}).",
                           f"Fix the XML of {path} (mvn would stop there too).")
    if _local(root.tag) != "project":
        raise detect_error(f"{path} line 1: the root element is <{_local(root.tag)}>, not <project>.",
                           "A Maven POM's root element is <project>.")
    parent_el = _child(root, "parent")
    parent = (_text(parent_el, "groupId"), _text(parent_el, "artifactId"), _text(parent_el, "version")) \
        if parent_el is not None else None
    properties = {_local(p.tag): (p.text or "").strip() for p in (_child(root, "properties") or [])
                  if isinstance(p.tag, str)}
    plugins = []
    main_class = None
    compiler_release = None
    build = _child(root, "build")
    for section in (_child(build, "plugins"), _path(build, "pluginManagement", "plugins")):
        for plugin in section if section is not None else []:
            if _local(plugin.tag) != "plugin":
                continue
            group = _text(plugin, "groupId", "org.apache.maven.plugins")
            artifact = _text(plugin, "artifactId")
            if section is _child(build, "plugins"):
                plugins.append((group, artifact, _text(plugin, "version")))
            for element in plugin.iter():
                if _local(element.tag) == "mainClass" and (element.text or "").strip() and main_class is None:
                    main_class = element.text.strip()  # type: ignore[union-attr]
            if artifact == "maven-compiler-plugin":
                config = _child(plugin, "configuration")
                for name in ("release", "target", "source"):
                    if _text(config, name):
                        compiler_release = compiler_release or _text(config, name)
    dependencies = []
    for dependency in _child(root, "dependencies") or []:
        if _local(dependency.tag) == "dependency" and _text(dependency, "scope") not in ("test", "provided"):
            dependencies.append((_text(dependency, "groupId"), _text(dependency, "artifactId")))
    modules = tuple((m.text or "").strip() for m in (_child(root, "modules") or []) if _local(m.tag) == "module")
    pom = Pom(path, _text(root, "artifactId"), _text(root, "packaging", "jar"), parent, properties, tuple(plugins),
              tuple(dependencies), modules, main_class or properties.get("start-class"), compiler_release)
    return Pom(**{**pom.__dict__, "main_class": pom.resolve(pom.main_class),
                  "compiler_release": pom.resolve(pom.compiler_release)})


def java_version(pom: Pom, parent: Pom | None = None) -> tuple[str, str] | None:
    """(version, "pom.xml (property)") from the module's POM, else the parent POM in the tree
    (properties are inherited: a module's ${java.version} may be the parent's)."""
    merged = {**(parent.properties if parent else {}), **pom.properties}
    for candidate in (pom, parent):
        if candidate is None:
            continue
        resolver = Pom(**{**candidate.__dict__, "properties": merged})
        release = resolver.resolve(candidate.compiler_release)
        if release and not _PROPERTY.search(release):
            return release, f"{candidate.path} (maven-compiler-plugin)"
        for name in JAVA_PROPERTIES:
            value = resolver.resolve(candidate.properties.get(name))
            if value and not _PROPERTY.search(value):
                return value, f"{candidate.path} ({name})"
    return None


def framework(pom: Pom) -> tuple[str, str | None] | None:
    """(framework, version) the POM builds with: Spring Boot (parent or plugin), Quarkus,
    Micronaut, Ktor."""
    if pom.parent and pom.parent[1] == "spring-boot-starter-parent":
        return "spring-boot", pom.parent[2] or None
    if pom.has_plugin("spring-boot-maven-plugin"):
        version = next((v for _, a, v in pom.plugins if a == "spring-boot-maven-plugin"), "")
        return "spring-boot", pom.resolve(version) or None
    if pom.uses_group("io.quarkus"):
        return "quarkus", None
    if pom.uses_group("io.micronaut"):
        return "micronaut", None
    if pom.uses_group("io.ktor"):
        return "ktor", None
    return None


def executable(pom: Pom) -> str | None:
    """Why this module's package is an executable jar, or None when it is a library."""
    if pom.packaging not in ("jar", "war"):
        return None
    if pom.has_plugin("spring-boot-maven-plugin"):
        return "it has spring-boot-maven-plugin"
    if pom.has_plugin("quarkus-maven-plugin"):
        return "it has quarkus-maven-plugin"
    if pom.has_plugin("micronaut-maven-plugin"):
        return "it has micronaut-maven-plugin"
    if pom.main_class:
        return f"it names Main-Class {pom.main_class}"
    return None
