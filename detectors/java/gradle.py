"""Gradle builds (Groovy or Kotlin DSL), read as text: a build script is a program, so only
its plain declarations are read (plugins, dependencies, the toolchain, mainClass), never run."""

from __future__ import annotations

import re
from dataclasses import dataclass

from pack_it.detectors.source import SourceTree

BUILD_FILES = ("build.gradle.kts", "build.gradle")
SETTINGS_FILES = ("settings.gradle.kts", "settings.gradle")
WRAPPER = "gradlew"
WRAPPER_PROPERTIES = "gradle/wrapper/gradle-wrapper.properties"

_PLUGIN = re.compile(r"""(?:\bid\s*\(?\s*["']([\w.-]+)["']|\bkotlin\s*\(\s*["']([\w.-]+)["']\s*\)|"""
                     r"""apply\s+plugin\s*:\s*["']([\w.-]+)["'])""")
# Core plugins named bare inside plugins { }: `application`, `java`, `java-library` (backticked in Kotlin).
_CORE_PLUGIN = re.compile(r"""(?:^|(?<=[\s;{]))`?(application|java-library|java)`?(?=\s|;|}|$)""", re.M)
_PLUGINS_BLOCK = re.compile(r"\bplugins\s*\{([^{}]*)\}")
_DEPENDENCY = re.compile(r"""["']([\w.-]+):([\w.-]+)(?::[^"']*)?["']""")
_TOOLCHAIN = re.compile(r"languageVersion\s*(?:\.set\s*\(|=)\s*JavaLanguageVersion\.of\s*\(\s*[\"']?(\d+)")
_COMPATIBILITY = re.compile(r"""sourceCompatibility\s*=\s*(?:JavaVersion\.VERSION_(?:1_)?(\d+)|["']?(1\.\d+|\d+)["']?)""")
_JVM_TOOLCHAIN = re.compile(r"jvmToolchain\s*\(\s*(\d+)\s*\)")
_MAIN_CLASS = re.compile(r"""mainClass(?:Name)?\s*(?:\.set\s*\(|=)\s*["']([\w.$]+)["']""")
_INCLUDE = re.compile(r"""include\s*\(?((?:\s*["'][:\w./-]+["']\s*,?)+)\)?""")


@dataclass(frozen=True)
class Script:
    path: str
    kotlin_dsl: bool
    plugins: tuple[str, ...]
    dependencies: tuple[tuple[str, str], ...]
    java: tuple[str, str] | None  # (version, "file line N (what)")
    main_class: str | None


def _line(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1


def _uncommented(text: str) -> str:
    """Comments blanked (kept as spaces, so offsets and line numbers stay right)."""
    return re.sub(r"/\*.*?\*/|//[^\n]*", lambda m: re.sub(r"[^\n]", " ", m.group(0)), text, flags=re.S)


def parse(tree: SourceTree, path: str) -> Script:
    text = _uncommented(tree.read_text(path))
    plugins = tuple(next(g for g in m.groups() if g) for m in _PLUGIN.finditer(text)) + \
        tuple(m.group(1) for block in _PLUGINS_BLOCK.finditer(text) for m in _CORE_PLUGIN.finditer(block.group(1)))
    java = None
    for pattern, what in ((_TOOLCHAIN, "toolchain languageVersion"), (_JVM_TOOLCHAIN, "jvmToolchain"),
                          (_COMPATIBILITY, "sourceCompatibility")):
        match = pattern.search(text)
        if match:
            java = (next(g for g in match.groups() if g), f"{path} line {_line(text, match.start())} ({what})")
            break
    main = _MAIN_CLASS.search(text)
    return Script(path, path.endswith(".kts"), plugins,
                  tuple((m.group(1), m.group(2)) for m in _DEPENDENCY.finditer(text)),
                  java, main.group(1) if main else None)


def includes(tree: SourceTree, settings: str) -> tuple[str, ...]:
    """The projects settings.gradle includes, as directories (":app:web" -> "app/web")."""
    text = _uncommented(tree.read_text(settings))
    found = []
    for match in _INCLUDE.finditer(text):
        for name in re.findall(r"""["']([:\w./-]+)["']""", match.group(1)):
            found.append(name.strip(":").replace(":", "/"))
    return tuple(dict.fromkeys(found))


def framework(script: Script) -> tuple[str, str | None] | None:
    if "org.springframework.boot" in script.plugins:
        return "spring-boot", None
    if "io.quarkus" in script.plugins or any(g.startswith("io.quarkus") for g, _ in script.dependencies):
        return "quarkus", None
    if any(p.startswith("io.micronaut") for p in script.plugins) or \
            any(g.startswith("io.micronaut") for g, _ in script.dependencies):
        return "micronaut", None
    if "io.ktor.plugin" in script.plugins or any(g == "io.ktor" for g, _ in script.dependencies):
        return "ktor", None
    return None


def executable(script: Script) -> str | None:
    if "org.springframework.boot" in script.plugins:
        return "it applies the org.springframework.boot plugin"
    if "io.quarkus" in script.plugins:
        return "it applies the io.quarkus plugin"
    if "io.ktor.plugin" in script.plugins:
        return "it applies the io.ktor.plugin plugin"
    if "application" in script.plugins:
        return "it applies the application plugin"
    if any(p.startswith("io.micronaut.application") for p in script.plugins):
        return "it applies io.micronaut.application"
    return None
