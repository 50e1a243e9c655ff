"""Java pack: a Maven or Gradle build (or a prebuilt jar) on a jlink runtime of exactly the
modules the app needs, on the `cc` stack.

    detect  detectors/java: build tool, module, Java version, framework, start command
    build   Debian's OpenJDK for that version (jdk.py: locked .debs, verified, unpacked in the
            cache) runs the project's wrapper, else Maven from Maven Central (tools.py), with
            every tool's state in pack-it's cache; the executable jar is picked from the
            module's output (never -plain, -sources or original-* jars)
    layers  runtime        the jlink image at /usr/lib/jvm/java-N-openjdk-amd64 (runtime.py)
            runtime-dpkg   the Debian packages it came from, for scanners
            Spring Boot:   dependencies, spring-boot-loader, snapshot-dependencies,
                           application, by layers.idx, exploded at /workspace (springboot.py)
            other jars:    lib (the runtime dependencies) and app (app.jar), at /workspace

A build record (<cache>/packs/java/builds/<key>.json, keyed by the source, the JDK and the
tool) names the layers and modules a source made: an unchanged app reuses them without
running Maven, Gradle or jdeps.
"""

from __future__ import annotations

import json
import os
import shutil
import zipfile
from functools import cache
from typing import TYPE_CHECKING, Callable
from pathlib import Path, PurePosixPath

from pack_it.detectors import java as java_detector
from pack_it.detectors.facts import Detection
from pack_it.detectors.java import jar as jar_detector
from pack_it.detectors.java.facts import JavaFacts
from pack_it.detectors.source import SourceTree
from pack_it.errors import BUILD_FAILED, build_error
from pack_it.lifecycle.contract import ReleaseFetchers
from pack_it.lifecycle.layers import Layer
from pack_it.lifecycle.versions import VersionsIndex
from pack_it.packs.java import jdk as jdks
from pack_it.packs.java import classes, runtime, springboot, tools

if TYPE_CHECKING:  # annotations only: importing the build machinery is left to the build
    from pack_it.lifecycle.context import BuildContext

ID = "java"
VERSION = "0.1.0"
LOOKS_FOR = "pom.xml, build.gradle(.kts), settings.gradle(.kts) or a jar with a Main-Class"
FACTS = JavaFacts
RELEASES: ReleaseFetchers = {}  # the JDKs are Debian's, locked in packs/java/locks
WORKSPACE = java_detector.WORKSPACE
# Build outputs and tool state, never source: a developer's local target/ must not reach the
# build's copy or its key.
OUTPUT_DIRS = frozenset({"target", ".gradle", "out", ".kotlin"})


def detect(tree: SourceTree, env: dict[str, str], index: VersionsIndex) -> Detection | None:
    return java_detector.detect(tree, env)


def source_files(tree: SourceTree, facts: JavaFacts) -> tuple[str, ...]:
    def output(rel: str) -> bool:
        parts = PurePosixPath(rel).parts[:-1]
        if any(p in OUTPUT_DIRS for p in parts):
            return True
        # Gradle's build/ beside a build script (not a `build` package under src/).
        return "build" in parts and "src" not in parts[: parts.index("build")]
    if facts.build_tool == "jar":
        return tree.source_files()
    return tuple(f for f in tree.source_files() if not output(f))


def build(ctx: BuildContext) -> list[Layer]:
    facts = ctx.plan.facts(ID, JavaFacts)

    @cache
    def jdk() -> jdks.Jdk:
        return jdks.fetch(facts.java_version, ctx.cache, ctx.reporter)

    source = source_files(ctx.tree, facts)
    lock = jdks.read_lock(facts.java_version, jdks.release_for(facts.java_version) or "")
    build_inputs = {"tool": facts.build_tool, "wrapper": facts.wrapper, "module": facts.module,
                    "maven": None if facts.wrapper else tools.MAVEN_VERSION, "framework": facts.framework,
                    "jdk": jdks.Jdk(facts.java_version, "", tuple(lock), Path()).key,
                    "source": ctx.tree.digest(source), "runtime": facts.runtime,
                    "runtime_format": runtime.FORMAT}  # a record names the runtime layer it made
    record_path = ctx.cache_dir("builds") / f"{ctx.key(**build_inputs)}.json"
    reused = _reuse(ctx, record_path)
    if reused is not None:
        ctx.reporter.step("  reusing the build (source unchanged)")
        return reused

    if facts.build_tool == "jar":
        jar: Path | None = ctx.tree.path(facts.jar or "")
        outputs = None
    else:
        outputs = _run_build(ctx, facts, jdk(), source)
        jar = outputs / "app.jar"
    app_layers: list[tuple[str, dict, object, str]] = []  # name, inputs, fill, at
    if facts.build_tool == "jar":
        app_layers.append(("app", {"source": build_inputs["source"]},
                           lambda d: ctx.copy_source(d, source), WORKSPACE))
        targets, class_path = [ctx.tree.path(facts.jar or "")], _nested_jars(ctx, ctx.tree.path(facts.jar or ""))
    if facts.framework == "spring-boot" and jar is not None and facts.build_tool != "jar" and springboot.is_boot_jar(jar):
        targets, dependency_jars, deps_digest = _boot_layers(ctx, jar, app_layers)
    else:
        if facts.build_tool != "jar":
            assert outputs is not None
            targets, class_path = _jar_layers(ctx, outputs, app_layers)
        deps_digest = _digest_paths(class_path)
        dependency_jars = lambda: class_path  # noqa: E731

    if facts.runtime == "full":
        modules: tuple[str, ...] = ("ALL-MODULE-PATH",)
    else:
        deps = runtime.dependency_modules(ctx, jdk(), dependency_jars, deps_digest)
        packages = classes.package_modules(jdk().java_home / "jmods",
                                           ctx.cache_dir("jdeps") / f"{jdk().key[:32]}-packages.json")
        own = classes.modules(targets, packages)
        modules = runtime.modules_for(facts.framework, deps | own)
    layers = runtime.layers(ctx, jdk(), modules, facts.runtime == "full")
    for name, inputs, fill, at in app_layers:
        layers.append(ctx.layer(name, inputs, fill, at=at, unchanged="same content"))  # type: ignore[arg-type]
    _write_record(ctx, record_path, layers)
    return layers


def _nested_jars(ctx: BuildContext, jar: Path) -> list[Path]:
    """A prebuilt fat jar's dependency jars (BOOT-INF/lib, WEB-INF/lib), written out for jdeps."""
    out = ctx.work / "nested"
    found = []
    with zipfile.ZipFile(jar) as z:
        for info in z.infolist():
            parts = PurePosixPath(info.filename)
            if info.filename.startswith(("BOOT-INF/lib/", "WEB-INF/lib/")) and parts.suffix == ".jar" \
                    and ".." not in parts.parts:
                out.mkdir(parents=True, exist_ok=True)
                (out / parts.name).write_bytes(z.read(info))
                found.append(out / parts.name)
    return found


def _digest_paths(paths: list[Path]) -> str:
    import hashlib

    h = hashlib.sha256()
    for path in sorted(paths):
        h.update(path.name.encode() + b"\0" + tools.digest_file(path).encode())
    return h.hexdigest()


def _run_build(ctx: BuildContext, facts: JavaFacts, jdk: jdks.Jdk, source: tuple[str, ...]) -> Path:
    """Runs the build in a copy of the source; returns a directory holding app.jar and lib/
    (or quarkus-app/)."""
    copy = ctx.copy_source(ctx.work / "java-src", source)
    env = tools.tool_env(ctx, jdk)
    module = copy / facts.module if facts.module else copy
    if facts.build_tool == "maven":
        plain = facts.framework not in ("spring-boot", "quarkus")
        argv = tools.maven_argv(ctx, facts, copy, copy_dependencies=plain)
        ctx.reporter.step(f"  {'./mvnw' if facts.wrapper else 'mvn ' + tools.MAVEN_VERSION} package "
                          f"(OpenJDK {jdk.major} from Debian{', module ' + facts.module if facts.module else ''})")
        ctx.run(argv, env=env, cwd=copy, what="mvn package")
        built = module / "target"
        lib = built / tools.LIB_DIR
    else:
        argv = tools.gradle_argv(ctx, facts, copy)
        ctx.reporter.step(f"  {' '.join(['./gradlew' if facts.wrapper else 'gradle', *argv[1:]])} "
                          f"(OpenJDK {jdk.major} from Debian)")
        ctx.run(argv, env=env, cwd=copy, what=f"gradle {tools.gradle_task(facts)}")
        built = module / "build" / "libs"
        lib = built / "__none__"
        installed = sorted((module / "build" / "install").glob("*/lib"))
        if tools.gradle_task(facts) == "installDist" and installed:
            built, lib = installed[0], installed[0]
    out = ctx.work / "java-out"
    (out / "lib").mkdir(parents=True)
    if facts.framework == "quarkus" and (built / "quarkus-app").is_dir():
        shutil.copytree(built / "quarkus-app", out / "quarkus-app")
        shutil.copyfile(built / "quarkus-app" / "quarkus-run.jar", out / "app.jar")
        return out
    chosen = pick_jar(built, facts, lib)
    shutil.copyfile(chosen, out / "app.jar")
    if lib.is_dir():
        for dep in sorted(lib.glob("*.jar")):
            if dep.name != chosen.name:
                shutil.copyfile(dep, out / "lib" / dep.name)
    return out


def pick_jar(directory: Path, facts: JavaFacts, lib: Path | None = None) -> Path:
    """The executable jar the build wrote: never -plain, -sources, -javadoc or original-*
    jars; of several, the one whose manifest names a Main-Class (or the main class)."""
    jars = sorted(p for p in directory.glob("*.jar") if jar_detector.is_candidate(p.name))
    if len(jars) > 1:
        with_main = [p for p in jars if _main_class(p)]
        jars = with_main or jars
        if facts.main_class and len(jars) > 1:  # installDist: the project's own jar holds the main class
            own = [p for p in jars if _has_class(p, facts.main_class)]
            jars = own or jars
    if not jars:
        raise build_error(f"The build of {facts.build_file} wrote no executable jar to "
                          f"{directory.name}/ (found: {', '.join(p.name for p in directory.glob('*.jar')) or 'nothing'}).",
                          "Check that the build packages a jar (packaging jar, the Spring Boot plugin, bootJar).",
                          exit_code=BUILD_FAILED)
    if len(jars) > 1:
        raise build_error(f"The build of {facts.build_file} wrote several executable jars: "
                          f"{', '.join(p.name for p in jars)}.", "Make the build write one executable jar.",
                          exit_code=BUILD_FAILED)
    return jars[0]


def _main_class(jar: Path) -> str | None:
    with zipfile.ZipFile(jar) as z:
        try:
            text = z.read(jar_detector.MANIFEST).decode("utf-8", "replace")
        except KeyError:
            return None
    for line in text.splitlines():
        if line.startswith("Main-Class:"):
            return line.split(":", 1)[1].strip()
    return None


def _has_class(jar: Path, main_class: str) -> bool:
    with zipfile.ZipFile(jar) as z:
        return main_class.replace(".", "/") + ".class" in z.namelist()


def _boot_layers(ctx: BuildContext, jar: Path, out: list) -> tuple[list[Path], Callable[[], list[Path]], str]:
    """Spring Boot's layers (each extracted only when it is not reused); for the module
    analysis the jar itself, its dependency jars (written out only when their jdeps answer is
    not in the cache) and their digest."""
    libs: list[zipfile.ZipInfo] = []
    digests = []
    for name, entries, digest in springboot.split(jar):
        out.append((name, {"content": digest},
                    lambda d, entries=entries: springboot.extract(jar, entries, d), WORKSPACE))
        lib = [e for e in entries if e.filename.startswith("BOOT-INF/lib/") and e.filename.endswith(".jar")]
        if lib:
            libs += lib
            digests.append(digest)

    def written() -> list[Path]:
        springboot.extract(jar, libs, ctx.work / "boot-lib")
        return sorted((ctx.work / "boot-lib").glob("BOOT-INF/lib/*.jar"))
    return [jar], written, ",".join(digests)


def _jar_layers(ctx: BuildContext, outputs: Path, out: list) -> tuple[list[Path], list[Path]]:
    libs = sorted((outputs / "lib").glob("*.jar"))
    if libs:
        out.append(("lib", {"content": _digest_paths(libs)}, lambda d: outputs / "lib", f"{WORKSPACE}/lib"))
    if (outputs / "quarkus-app").is_dir():
        out.append(("app", {"content": _digest_paths(sorted((outputs / "quarkus-app").rglob("*.jar")))},
                    lambda d: outputs / "quarkus-app", WORKSPACE))
        return sorted((outputs / "quarkus-app").rglob("*.jar")), []

    def app(directory: Path) -> None:
        shutil.copyfile(outputs / "app.jar", directory / "app.jar")
    out.append(("app", {"content": tools.digest_file(outputs / "app.jar")}, app, WORKSPACE))
    return [outputs / "app.jar"], libs


def _write_record(ctx: BuildContext, path: Path, layers: list[Layer]) -> None:
    record = {"layers": [{"name": l.name, "key": l.key, "at": l.at} for l in layers]}
    tmp = path.with_name(path.name + f".{os.getpid()}.partial")
    tmp.write_text(json.dumps(record))
    tmp.replace(path)


def _reuse(ctx: BuildContext, path: Path) -> list[Layer] | None:
    """The layers an earlier build made from this very source, when the cache has them all."""
    try:
        record = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    found = []
    for item in record.get("layers", []):
        layer = ctx.reuse(item["name"], item["key"], item.get("at"))
        if layer is None:
            return None
        found.append(layer)
    return found or None
