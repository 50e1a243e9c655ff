"""What the Java pack builds from: the facts detection found, typed."""

from __future__ import annotations

from dataclasses import dataclass

from pack_it.detectors.facts import Facts


@dataclass(frozen=True)
class JavaFacts(Facts):
    build_tool: str  # maven, gradle, or jar (a prebuilt executable jar, nothing to build)
    build_file: str  # pom.xml, build.gradle.kts, ... or the jar itself
    wrapper: str | None  # mvnw or gradlew when the project ships one (it is used)
    module: str  # the directory of the module that makes the executable jar ("" for the root)
    module_reason: str
    java_version: str  # the Debian OpenJDK major that builds and runs the app (17, 21, 25)
    java_asked: str | None  # what the app asked for (11, 17.0.2, ...), None when nothing did
    java_source: str
    framework: str | None  # spring-boot, quarkus, micronaut, ktor, or None
    framework_version: str | None  # Spring Boot's, from the parent or plugin, when named
    main_class: str | None  # Main-Class from the build file or the jar's manifest
    kotlin: bool
    jar: str | None  # the prebuilt jar, for build_tool == "jar"
    runtime: str  # jlink (the modules the app needs) or full (PACK_IT_JAVA_RUNTIME=full)
    debian_release: str  # the Debian release whose OpenJDK and cc stack the app gets
