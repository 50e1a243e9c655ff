"""Java: a Maven build (pom.xml, ./mvnw honoured), a Gradle build (build.gradle(.kts),
settings.gradle(.kts), through ./gradlew), or a prebuilt jar with a Main-Class.

    module     the one that makes the executable jar (Spring Boot, Quarkus or Micronaut plugin,
               a Main-Class, Gradle's application plugin); several: exit 23 listing them, and
               --env PACK_IT_JAVA_MODULE=dir chooses
    version    version.py: .java-version, system.properties, .sdkmanrc, .tool-versions, then the
               build file; the nearest Debian OpenJDK at or above it (default 25, the newest LTS)
    process    java from the runtime layer, with the framework's own port setting from $PORT
"""

from __future__ import annotations

from pack_it.detectors.facts import Detection, Framework, PackageManager, Process, RunImageChoice, Runtime
from pack_it.detectors.java import gradle, jar, maven, version
from pack_it.detectors.java.facts import JavaFacts
from pack_it.detectors.source import SourceTree
from pack_it.errors import AMBIGUOUS, UNSUPPORTED, USAGE, detect_error

MODULE_ENV = "PACK_IT_JAVA_MODULE"
RUNTIME_ENV = "PACK_IT_JAVA_RUNTIME"
RUNTIMES = ("jlink", "full")
WORKSPACE = "/workspace"
APP_JAR = f"{WORKSPACE}/app.jar"
LIB = f"{WORKSPACE}/lib"
# Spring Boot 3.2 moved its launcher to the .launch package.
BOOT_LAUNCHER = "org.springframework.boot.loader.launch.JarLauncher"
OLD_BOOT_LAUNCHER = "org.springframework.boot.loader.JarLauncher"
# Each framework's own port setting, read from $PORT at run time: the frameworks resolve the
# ${PORT:8080} placeholder in system properties themselves (there is no shell in the image).
PORT_PROPERTIES = {
    "spring-boot": "-Dserver.port=${PORT:8080}",
    "quarkus": "-Dquarkus.http.port=${PORT:8080}",
    "micronaut": "-Dmicronaut.server.port=${PORT:8080}",
}


def java_binary(major: str) -> str:
    return f"/usr/lib/jvm/java-{major}-openjdk-amd64/bin/java"


def detect(tree: SourceTree, env: dict[str, str]) -> Detection | None:
    found: JavaFacts | None
    if tree.has_file(maven.POM):
        found = _maven(tree, env)
    elif any(tree.has_file(f) for f in gradle.BUILD_FILES + gradle.SETTINGS_FILES):
        found = _gradle(tree, env)
    else:
        found = _prebuilt(tree)
    if found is None:
        return None
    facts = found
    runtime = (env.get(RUNTIME_ENV) or "jlink").strip().lower()
    if runtime not in RUNTIMES:
        raise detect_error(f"{RUNTIME_ENV}={runtime} is not one of {', '.join(RUNTIMES)}.",
                           "jlink (the default) makes a runtime of the modules the app needs; full ships the whole JRE.",
                           exit_code=USAGE)
    facts = JavaFacts(**{**facts.__dict__, "runtime": runtime})
    stack = "cc" if facts.debian_release == "debian12" else f"cc-{facts.debian_release}"
    tool = {"maven": "maven", "gradle": "gradle", "jar": "none"}[facts.build_tool]
    return Detection(
        language="java",
        runtime=Runtime("java", facts.java_version, facts.java_source.split(" (")[0].split(" line ")[0]),
        package_manager=PackageManager(tool + (f" ({facts.wrapper})" if facts.wrapper else ""), facts.build_file)
        if facts.build_tool != "jar" else None,
        framework=Framework(facts.framework, facts.build_file) if facts.framework else None,
        run_image=RunImageChoice(stack, facts.java_source),
        processes=(Process("web", command(facts), facts.build_file, default=True),),
        warnings=_warnings(facts),
        facts=facts,
    )


def command(facts: JavaFacts) -> tuple[str, ...]:
    """The image's start command: no shell, so everything is argv."""
    java = java_binary(facts.java_version)
    port = (PORT_PROPERTIES[facts.framework],) if facts.framework in PORT_PROPERTIES else ()
    if facts.build_tool == "jar":
        return (java, *port, "-jar", f"{WORKSPACE}/{facts.jar}")
    if facts.framework == "spring-boot":
        old = facts.framework_version is not None and version.major(facts.framework_version) is not None and \
            tuple(int(p) for p in facts.framework_version.split(".")[:2] if p.isdigit()) < (3, 2)
        return (java, *port, "-cp", WORKSPACE, OLD_BOOT_LAUNCHER if old else BOOT_LAUNCHER)
    if facts.framework == "quarkus":
        return (java, *port, "-Dquarkus.http.host=0.0.0.0", "-jar", f"{WORKSPACE}/quarkus-run.jar")
    if facts.main_class:
        return (java, *port, "-cp", f"{APP_JAR}:{LIB}/*", facts.main_class)
    return (java, *port, "-jar", APP_JAR)


def _warnings(facts: JavaFacts) -> tuple[str, ...]:
    out = []
    if facts.java_asked and version.major(facts.java_asked) != int(facts.java_version):
        out.append(f"{facts.java_source} asks for Java {facts.java_asked}; it is built and run with Debian's "
                   f"OpenJDK {facts.java_version}, the nearest Debian ships (Java runs older bytecode).")
    if facts.build_tool == "gradle" and not facts.wrapper:
        out.append("This Gradle build has no ./gradlew: pack-it cannot fetch Gradle's distribution, so it "
                   "builds only with --toolchain host and a gradle command on PATH.")
    return tuple(out)


def _java(tree: SourceTree, module: str, from_build: tuple[str, str] | None) -> tuple[str, str | None, str, str]:
    """(Debian JDK major, what was asked, why, Debian release)."""
    asked = version.from_files(tree, f"{module}/" if module else "") or \
        (version.from_files(tree) if module else None) or from_build
    chosen, reason = version.choose(asked[0] if asked else None, asked[1] if asked else "default")
    return chosen, asked[0] if asked else None, asked[1] if asked else "default", version.DEBIAN_JDKS[chosen]


def _choose(kind: str, candidates: dict[str, str], env: dict[str, str], listed: str) -> tuple[str, str]:
    """The one module that makes an executable jar: (directory, why)."""
    chosen = (env.get(MODULE_ENV) or "").strip().strip("/")
    if chosen:
        if chosen not in candidates:
            raise detect_error(f"{MODULE_ENV}={chosen} is not a module of this {kind} build that makes an "
                               f"executable jar ({', '.join(sorted(candidates)) or 'none does'}).",
                               f"Name one of the modules {listed} lists.", exit_code=USAGE)
        return chosen, f"{MODULE_ENV}={chosen}"
    if len(candidates) == 1:
        module, why = next(iter(candidates.items()))
        return module, f"the only module that makes an executable jar: {why}" if module else why
    if not candidates:
        raise detect_error(f"No module of {listed} makes an executable jar (no Spring Boot, Quarkus or Micronaut "
                           "plugin, no Main-Class, no application plugin).",
                           "Add one, e.g. maven-jar-plugin's <archive><manifest><mainClass>, or Gradle's "
                           "`application { mainClass = ... }`.", exit_code=UNSUPPORTED)
    names = ", ".join(f"{m or '.'} ({why})" for m, why in sorted(candidates.items()))
    raise detect_error(f"Several modules of {listed} make an executable jar: {names}.",
                       f"Choose one with --env {MODULE_ENV}=<directory>.", exit_code=AMBIGUOUS)


def _maven(tree: SourceTree, env: dict[str, str]) -> JavaFacts:
    root = maven.parse(tree, maven.POM)
    candidates: dict[str, str] = {}
    poms = {"": root}
    for module in root.modules:
        path = f"{module}/{maven.POM}"
        if not tree.has_file(path):
            raise detect_error(f"{maven.POM} lists module {module!r}, and there is no {path}.",
                               f"Add {path} or remove the <module> line.")
        poms[module] = maven.parse(tree, path)
    for module, pom in poms.items():
        if module == "" and root.modules and root.packaging == "pom":
            continue
        why = maven.executable(pom)
        if why:
            candidates[module] = f"{pom.path}: {why}"
    if not root.modules and not candidates:
        raise detect_error(f"{maven.POM} makes a library jar (packaging {root.packaging}, no Main-Class, no Spring "
                           "Boot, Quarkus or Micronaut plugin), which nothing can start.",
                           "Name the main class in maven-jar-plugin's <archive><manifest><mainClass>.",
                           exit_code=UNSUPPORTED)
    module, why = _choose("Maven", candidates, env, maven.POM)
    pom = poms[module]
    major, asked, source, release = _java(tree, module, maven.java_version(pom, root if module else None))
    found = maven.framework(pom) or (maven.framework(root) if module else None)
    wrapper = maven.WRAPPER if tree.has_file(maven.WRAPPER) and tree.has_file(maven.WRAPPER_PROPERTIES) else None
    return JavaFacts(
        build_tool="maven", build_file=pom.path, wrapper=wrapper, module=module, module_reason=why,
        java_version=major, java_asked=asked, java_source=source,
        framework=found[0] if found else None, framework_version=found[1] if found else None,
        main_class=pom.main_class, kotlin=pom.has_plugin("kotlin-maven-plugin"), jar=None, runtime="jlink",
        debian_release=release)


def _gradle(tree: SourceTree, env: dict[str, str]) -> JavaFacts:
    settings = next((f for f in gradle.SETTINGS_FILES if tree.has_file(f)), None)
    projects = [""] + list(gradle.includes(tree, settings) if settings else ())
    scripts = {}
    for project in projects:
        prefix = f"{project}/" if project else ""
        path = next((prefix + f for f in gradle.BUILD_FILES if tree.has_file(prefix + f)), None)
        if path:
            scripts[project] = gradle.parse(tree, path)
    candidates = {p: f"{s.path}: {why}" for p, s in scripts.items() if (why := gradle.executable(s))}
    module, why = _choose("Gradle", candidates, env, settings or "the build")
    script = scripts[module]
    root = scripts.get("")
    major, asked, source, release = _java(tree, module, script.java or (root.java if root else None))
    found = gradle.framework(script) or (gradle.framework(root) if root and module else None)
    wrapper = gradle.WRAPPER if tree.has_file(gradle.WRAPPER) else None
    kotlin = any(p in ("jvm", "org.jetbrains.kotlin.jvm") for s in scripts.values() for p in s.plugins)
    return JavaFacts(
        build_tool="gradle", build_file=script.path, wrapper=wrapper, module=module, module_reason=why,
        java_version=major, java_asked=asked, java_source=source,
        framework=found[0] if found else None, framework_version=None,
        main_class=script.main_class, kotlin=kotlin, jar=None, runtime="jlink", debian_release=release)


# Where a prebuilt jar is looked for, and the manifests that say an app is another language's
# (a Node or Python app may carry a jar it runs as a tool: it is not a Java app).
JAR_DIRS = ("", "target/", "build/libs/")
OTHER_LANGUAGES = ("package.json", "pyproject.toml", "requirements.txt", "Pipfile", "setup.py", "go.mod")


def _prebuilt(tree: SourceTree) -> JavaFacts | None:
    if any(tree.has_file(f) for f in OTHER_LANGUAGES):
        return None
    jars = [f for f in tree.files() if f.rsplit("/", 1)[0] + "/" in JAR_DIRS or "/" not in f]
    jars = [f for f in jars if jar.is_candidate(f)]
    runnable = {f: main for f in jars if (main := jar.manifest(tree, f).get("Main-Class"))}
    if not runnable:
        return None
    if len(runnable) > 1:
        raise detect_error(f"Several jars have a Main-Class: {', '.join(sorted(runnable))}.",
                           "Keep one of them in the app directory (or list the others in .pack-itignore).",
                           exit_code=AMBIGUOUS)
    rel, main = next(iter(runnable.items()))
    major, asked, source, release = _java(tree, "", None)
    spring = main.startswith("org.springframework.boot.loader")
    return JavaFacts(
        build_tool="jar", build_file=rel, wrapper=None, module="", module_reason=f"{rel} has Main-Class {main}",
        java_version=major, java_asked=asked, java_source=source, framework="spring-boot" if spring else None,
        framework_version=None, main_class=main, kotlin=False, jar=rel, runtime="jlink", debian_release=release)
