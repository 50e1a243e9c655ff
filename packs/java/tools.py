"""The build tools and how they are run: the project's wrapper (./mvnw, ./gradlew) when it has
one, else Maven from Maven Central (pinned, checked against its sha512), else a gradle on PATH.
Every tool's state lives in pack-it's cache, never in ~/.m2 or ~/.gradle:

    <cache>/packs/java/maven/<version>/        Maven, unpacked
    <cache>/packs/java/m2/repository/          the local repository (-Dmaven.repo.local)
    <cache>/packs/java/maven-user/             MAVEN_USER_HOME: the wrapper's Maven, which pack-it
                                               installs for an only-script ./mvnw (wrapper.py)
    <cache>/packs/java/gradle/                 GRADLE_USER_HOME: Gradle's distributions and caches

One repository serves every build: it is content-addressed by group, artifact and version, so
a source-only change downloads nothing and a new dependency downloads only itself (a
repository per set of build files would download everything again on any pom change).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tarfile
from pathlib import Path
from typing import TYPE_CHECKING

from pack_it.errors import MISSING_TOOLCHAIN, build_error
from pack_it.detectors.java.facts import JavaFacts
from pack_it.packs.java import cacerts, wrapper
from pack_it.packs.java.jdk import Jdk

if TYPE_CHECKING:  # annotations only: importing the build machinery is left to the build
    from pack_it.lifecycle.context import BuildContext

MAVEN_CENTRAL = "https://repo.maven.apache.org/maven2"
MAVEN_CENTRAL_ENV = "PACK_IT_MAVEN_CENTRAL"
MAVEN_VERSION = "3.9.16"
# Maven Central's own apache-maven-3.9.16-bin.tar.gz.sha512.
MAVEN_SHA512 = ("831a8591fe20c8243b1dbe7d71e3244f31d1665b0804b2e825e38cbbe5ce0caf"
                "b8338851f90780735568773e0a6cd07bbec107cda0b896b008b861075358b6f6")
# The dependency plugin that copies a plain jar's runtime dependencies beside it.
DEPENDENCY_PLUGIN = "org.apache.maven.plugins:maven-dependency-plugin:3.8.1"
LIB_DIR = "pack-it-lib"  # under the module's target/
# Resolver file locks: builds sharing the repository do not corrupt each other's downloads.
SHARED_REPOSITORY = ("-Daether.syncContext.named.factory=file-lock", "-Daether.syncContext.named.nameMapper=file-gav")


def _central(ctx: BuildContext) -> str:
    return (ctx.env.get(MAVEN_CENTRAL_ENV) or os.environ.get(MAVEN_CENTRAL_ENV) or MAVEN_CENTRAL).rstrip("/")


def fetch_maven(ctx: BuildContext) -> Path:
    """bin/mvn of Maven MAVEN_VERSION, from Maven Central, unpacked into the cache once."""
    home = ctx.cache_dir("maven") / MAVEN_VERSION
    if (home / "bin" / "mvn").is_file():
        return home / "bin" / "mvn"
    from pack_it.packs.node.runtime import _download

    name = f"apache-maven-{MAVEN_VERSION}-bin.tar.gz"
    url = f"{_central(ctx)}/org/apache/maven/apache-maven/{MAVEN_VERSION}/{name}"
    ctx.reporter.step(f"  Maven {MAVEN_VERSION}: fetching from {url}")
    staging = ctx.work / "maven"
    staging.mkdir(parents=True, exist_ok=True)
    archive = _download(url, staging / name, "sha512", MAVEN_SHA512,
                        hint=f"Check the network, or set {MAVEN_CENTRAL_ENV} to a Maven Central mirror.")
    with tarfile.open(archive) as tar:
        # data_filter refuses absolute paths, `..`, links leaving the directory and devices.
        tar.extractall(staging / "out", filter="data")
    top = staging / "out" / f"apache-maven-{MAVEN_VERSION}"
    ctx.cache.place_dir(top, home, ready=home / "bin" / "mvn")
    return home / "bin" / "mvn"


def tool_env(ctx: BuildContext, jdk: Jdk) -> dict[str, str]:
    trust = cacerts.build_store(jdk.release, ctx.cache, ctx.reporter, ctx.cache_dir("build-cacerts"))
    # Every JVM the build starts (Maven's, Gradle's, forked compilers) reads JAVA_TOOL_OPTIONS;
    # the user's own options come after ours, so they win.
    options = f"-Djavax.net.ssl.trustStore={trust} -Djavax.net.ssl.trustStorePassword={cacerts.PASSWORD}"
    user = ctx.env.get("JAVA_TOOL_OPTIONS") or ""
    return {
        "JAVA_TOOL_OPTIONS": f"{options} {user}".strip(),
        "JAVA_HOME": str(jdk.java_home),
        "PATH": ctx.tool_path(jdk.java_home / "bin"),
        "MAVEN_USER_HOME": str(ctx.cache_dir("maven-user")),
        "GRADLE_USER_HOME": str(ctx.cache_dir("gradle")),
        "MAVEN_OPTS": "-Duser.home=" + str(ctx.cache_dir("home")),  # nothing reads or writes the real ~/.m2
    }


def maven_argv(ctx: BuildContext, facts: JavaFacts, source: Path, copy_dependencies: bool) -> list[str]:
    if facts.wrapper:
        mvn = [str(source / facts.wrapper)]
        dist = wrapper.distribution(source, ctx.env)
        if dist is not None:  # the script would need wget or curl and unzip, which the build root lacks
            mirror = (MAVEN_CENTRAL, _central(ctx)) if _central(ctx) != MAVEN_CENTRAL else None
            wrapper.install(ctx, dist, ctx.cache_dir("maven-user"), mirror)
    else:
        mvn = [str(fetch_maven(ctx))]
    argv = [*mvn, "-B", "-DskipTests", f"-Dmaven.repo.local={ctx.cache_dir('m2') / 'repository'}",
            *SHARED_REPOSITORY]
    if facts.module:
        argv += ["-pl", facts.module, "-am"]
    argv.append("package")
    if copy_dependencies:  # a plain jar runs with its dependencies on the class path, from lib/
        argv += [f"{DEPENDENCY_PLUGIN}:copy-dependencies", "-DincludeScope=runtime",
                 f"-DoutputDirectory=${{project.build.directory}}/{LIB_DIR}"]
    return argv


def gradle_argv(ctx: BuildContext, facts: JavaFacts, source: Path) -> list[str]:
    if facts.wrapper:
        gradle = str(source / facts.wrapper)
    elif ctx.provided_toolchains:
        # A host gradle is the host's toolchain (and not in the build root the step runs on);
        # Gradle's distributions are not on Maven Central, so pack-it cannot provide one.
        raise build_error(f"{facts.build_file} is a Gradle build with no ./gradlew, and pack-it cannot provide "
                          "Gradle itself.", "Add the Gradle wrapper (gradle wrapper) to the project, or pass "
                          "--toolchain host to run the host's gradle.", exit_code=MISSING_TOOLCHAIN)
    else:
        found = shutil.which("gradle", path=ctx.build_env.get("PATH", os.environ.get("PATH")))
        if found is None:
            raise build_error(f"{facts.build_file} is a Gradle build with no ./gradlew, and no gradle command is "
                              "on PATH.", "Add the Gradle wrapper (gradle wrapper) to the project, or install Gradle.",
                              exit_code=MISSING_TOOLCHAIN)
        gradle = found
    prefix = ":" + facts.module.replace("/", ":") + ":" if facts.module else ""
    return [gradle, "--no-daemon", "--console=plain", f"{prefix}{gradle_task(facts)}", "-x", "test"]


def gradle_task(facts: JavaFacts) -> str:
    """What makes the runnable output: Spring Boot's bootJar, the application plugin's
    installDist (the jar and its dependencies in build/install/<name>/lib), else build."""
    if facts.framework == "spring-boot":
        return "bootJar"
    if facts.framework == "quarkus":
        return "quarkusBuild"
    if facts.main_class:
        return "installDist"
    return "build"


def digest_file(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()
