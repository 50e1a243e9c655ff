"""The Java detector: build tool, wrapper, module, Java version (every source), framework, the
start command, and the errors (broken pom.xml, several modules, nothing runnable). Real trees
under tests/fixtures/java/; small variations are tmp_path trees."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from pack_it.detectors.java import detect
from pack_it.detectors.java.facts import JavaFacts
from pack_it.detectors.source import SourceTree
from pack_it.errors import AMBIGUOUS, INVALID_INPUT, UNSUPPORTED, USAGE, PackItError
from tests.detectors.trees import write_tree

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "java"
SAMPLES = Path(__file__).resolve().parents[3] / "sample_apps"


def pom(properties: str = "", plugins: str = "", extra: str = "", parent: str = "") -> str:
    return f"""<?xml version="1.0"?>
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  {parent}
  <groupId>com.example</groupId>
  <artifactId>demo</artifactId>
  <version>1.0</version>
  <properties>{properties}</properties>
  {extra}
  <build><plugins>{plugins}</plugins></build>
</project>
"""


MAIN_CLASS = """<plugin><artifactId>maven-jar-plugin</artifactId><configuration><archive><manifest>
  <mainClass>com.example.Main</mainClass></manifest></archive></configuration></plugin>"""
BOOT_PLUGIN = "<plugin><groupId>org.springframework.boot</groupId><artifactId>spring-boot-maven-plugin</artifactId></plugin>"


def facts_of(tree: SourceTree, env: dict | None = None) -> JavaFacts:
    found = detect(tree, env or {})
    assert found is not None
    assert isinstance(found.facts, JavaFacts)
    return found.facts


def error_of(tree: SourceTree, env: dict | None = None) -> PackItError:
    with pytest.raises(PackItError) as info:
        detect(tree, env or {})
    return info.value


# --- Java version: every source ----------------------------------------------------------

@pytest.mark.parametrize("files, version, asked, source", [
    ({"pom.xml": pom("<maven.compiler.release>17</maven.compiler.release>", MAIN_CLASS)},
     "17", "17", "pom.xml (maven.compiler.release)"),
    ({"pom.xml": pom("<maven.compiler.source>11</maven.compiler.source>", MAIN_CLASS)},
     "17", "11", "pom.xml (maven.compiler.source)"),
    ({"pom.xml": pom("<maven.compiler.target>21</maven.compiler.target>", MAIN_CLASS)},
     "21", "21", "pom.xml (maven.compiler.target)"),
    ({"pom.xml": pom("<java.version>21</java.version>", BOOT_PLUGIN)}, "21", "21", "pom.xml (java.version)"),
    ({"pom.xml": pom("<jdk>22</jdk>", MAIN_CLASS + """<plugin><artifactId>maven-compiler-plugin</artifactId>
      <configuration><release>${jdk}</release></configuration></plugin>""")},
     "25", "22", "pom.xml (maven-compiler-plugin)"),
    ({"pom.xml": pom("<maven.compiler.release>17</maven.compiler.release>", MAIN_CLASS), ".java-version": "21\n"},
     "21", "21", ".java-version line 1"),
    ({"pom.xml": pom("", MAIN_CLASS), "system.properties": "# Heroku\njava.runtime.version=17\n"},
     "17", "17", "system.properties line 2"),
    ({"pom.xml": pom("", MAIN_CLASS), ".sdkmanrc": "java=21.0.2-tem\n"}, "21", "21.0.2-tem", ".sdkmanrc line 1"),
    ({"pom.xml": pom("", MAIN_CLASS), ".tool-versions": "nodejs 20.1.0\njava temurin-17.0.9+9\n"},
     "17", "temurin-17.0.9+9", ".tool-versions line 2"),
    ({"pom.xml": pom("<maven.compiler.release>1.8</maven.compiler.release>", MAIN_CLASS)},
     "17", "1.8", "pom.xml (maven.compiler.release)"),
    ({"pom.xml": pom("", MAIN_CLASS)}, "25", None, "default"),
    ({"build.gradle.kts": 'plugins { application }\njava {\n  toolchain {\n    languageVersion.set(JavaLanguageVersion.of(21))\n  }\n}\n'
                          'application { mainClass.set("a.B") }\n'},
     "21", "21", "build.gradle.kts line 4 (toolchain languageVersion)"),
    ({"build.gradle": "apply plugin: 'application'\nsourceCompatibility = JavaVersion.VERSION_17\n"},
     "17", "17", "build.gradle line 2 (sourceCompatibility)"),
    ({"build.gradle": "apply plugin: 'application'\nsourceCompatibility = '11'\n"},
     "17", "11", "build.gradle line 2 (sourceCompatibility)"),
    ({"build.gradle.kts": 'plugins { application }\nkotlin { jvmToolchain(25) }\n'},
     "25", "25", "build.gradle.kts line 2 (jvmToolchain)"),
])
def test_java_version_sources(tmp_path, files, version, asked, source):
    facts = facts_of(write_tree(tmp_path, files))
    assert (facts.java_version, facts.java_asked, facts.java_source) == (version, asked, source)
    assert facts.debian_release == ("debian12" if version == "17" else "debian13")


def test_version_comes_from_the_parent_pom_of_a_module():
    facts = facts_of(SourceTree(SAMPLES / "java-maven-multi"))
    assert (facts.java_version, facts.java_source) == ("17", "pom.xml (maven.compiler.release)")


def test_a_java_newer_than_debian_ships_is_refused(tmp_path):
    error = error_of(write_tree(tmp_path, {"pom.xml": pom("", MAIN_CLASS), ".java-version": "26\n"}))
    assert error.exit_code == UNSUPPORTED
    assert ".java-version line 1 asks for Java 26" in error.message


def test_a_version_that_is_no_version_is_refused(tmp_path):
    error = error_of(write_tree(tmp_path, {"pom.xml": pom("<java.version>latest</java.version>", MAIN_CLASS)}))
    assert error.exit_code == INVALID_INPUT and "pom.xml (java.version)" in error.message


def test_the_plan_runs_on_the_cc_stack_of_the_jdks_release(tmp_path):
    found = detect(write_tree(tmp_path, {"pom.xml": pom("<java.version>21</java.version>", MAIN_CLASS)}), {})
    assert found is not None and found.run_image is not None and found.runtime is not None
    assert (found.run_image.name, found.runtime.version, found.runtime.source) == ("cc-debian13", "21", "pom.xml")


def test_an_older_java_is_run_on_the_nearest_and_warned_about(tmp_path):
    found = detect(write_tree(tmp_path, {"pom.xml": pom("<java.version>11</java.version>", MAIN_CLASS)}), {})
    assert found is not None
    assert any("asks for Java 11" in w and "OpenJDK 17" in w for w in found.warnings)


# --- broken files -------------------------------------------------------------------------

def test_broken_pom_names_file_and_line():
    error = error_of(SourceTree(FIXTURES / "broken-pom"))
    assert error.exit_code == INVALID_INPUT
    assert error.message.startswith("pom.xml line 9, column")
    assert "not well-formed XML" in error.message and error.hint


def test_a_pom_whose_root_is_not_project_is_refused(tmp_path):
    error = error_of(write_tree(tmp_path, {"pom.xml": "<settings/>"}))
    assert error.exit_code == INVALID_INPUT and "not <project>" in error.message


# --- Maven: wrapper, modules, frameworks, commands ---------------------------------------

def test_spring_boot_sample_with_its_wrapper():
    found = detect(SourceTree(SAMPLES / "java-spring-boot"), {})
    assert found is not None and found.framework is not None and found.package_manager is not None
    facts = found.facts
    assert isinstance(facts, JavaFacts)
    assert (facts.build_tool, facts.wrapper, facts.framework, facts.framework_version) == \
        ("maven", "mvnw", "spring-boot", "3.5.7")
    assert found.package_manager.name == "maven (mvnw)"
    assert found.processes[0].command == (
        "/usr/lib/jvm/java-17-openjdk-amd64/bin/java", "-Dserver.port=${PORT:8080}", "-cp", "/workspace",
        "org.springframework.boot.loader.launch.JarLauncher")


def test_mvnw_without_its_properties_is_not_the_wrapper(tmp_path):
    facts = facts_of(write_tree(tmp_path, {"pom.xml": pom("", MAIN_CLASS), "mvnw": "#!/bin/sh\n"}))
    assert facts.wrapper is None


def test_spring_boot_before_3_2_uses_the_old_launcher(tmp_path):
    parent = ("<parent><groupId>org.springframework.boot</groupId><artifactId>spring-boot-starter-parent</artifactId>"
              "<version>3.1.5</version></parent>")
    found = detect(write_tree(tmp_path, {"pom.xml": pom("", BOOT_PLUGIN, parent=parent)}), {})
    assert found is not None and found.processes[0].command[-1] == "org.springframework.boot.loader.JarLauncher"


@pytest.mark.parametrize("plugins, extra, framework, port", [
    ("<plugin><groupId>io.quarkus.platform</groupId><artifactId>quarkus-maven-plugin</artifactId></plugin>", "",
     "quarkus", "-Dquarkus.http.port=${PORT:8080}"),
    ("<plugin><groupId>io.micronaut.maven</groupId><artifactId>micronaut-maven-plugin</artifactId></plugin>", "",
     "micronaut", "-Dmicronaut.server.port=${PORT:8080}"),
    (MAIN_CLASS, "<dependencies><dependency><groupId>io.ktor</groupId><artifactId>ktor-server-netty-jvm</artifactId>"
                 "</dependency></dependencies>", "ktor", None),
    (MAIN_CLASS, "", None, None),
])
def test_frameworks_and_their_port_setting(tmp_path, plugins, extra, framework, port):
    found = detect(write_tree(tmp_path, {"pom.xml": pom("", plugins, extra)}), {})
    assert found is not None
    assert (found.framework.name if found.framework else None) == framework
    command = found.processes[0].command
    assert (port in command) if port else not any("PORT" in word for word in command)


def test_plain_jar_runs_its_main_class_with_its_dependencies(tmp_path):
    found = detect(write_tree(tmp_path, {"pom.xml": pom("<java.version>17</java.version>", MAIN_CLASS)}), {})
    assert found is not None
    assert found.processes[0].command[1:] == ("-cp", "/workspace/app.jar:/workspace/lib/*", "com.example.Main")


def test_a_library_pom_is_refused(tmp_path):
    error = error_of(write_tree(tmp_path, {"pom.xml": pom()}))
    assert error.exit_code == UNSUPPORTED and "library jar" in error.message


def test_multi_module_picks_the_module_that_makes_the_executable_jar():
    facts = facts_of(SourceTree(SAMPLES / "java-maven-multi"))
    assert (facts.module, facts.build_file, facts.main_class) == ("web", "web/pom.xml", "com.example.web.Main")
    assert "web/pom.xml: it names Main-Class" in facts.module_reason


def test_several_executable_modules_exit_23_listing_them():
    error = error_of(SourceTree(FIXTURES / "multi-ambiguous"))
    assert error.exit_code == AMBIGUOUS
    assert "a (a/pom.xml: it names Main-Class com.example.a.Main)" in error.message
    assert "b (b/pom.xml" in error.message and "PACK_IT_JAVA_MODULE" in error.hint


def test_the_module_env_chooses_one():
    facts = facts_of(SourceTree(FIXTURES / "multi-ambiguous"), {"PACK_IT_JAVA_MODULE": "b"})
    assert (facts.module, facts.main_class, facts.module_reason) == ("b", "com.example.b.Main", "PACK_IT_JAVA_MODULE=b")
    error = error_of(SourceTree(FIXTURES / "multi-ambiguous"), {"PACK_IT_JAVA_MODULE": "c"})
    assert error.exit_code == USAGE


def test_a_listed_module_without_its_pom_is_an_error(tmp_path):
    error = error_of(write_tree(tmp_path, {"pom.xml": pom(extra="<modules><module>gone</module></modules>")}))
    assert error.exit_code == INVALID_INPUT and "gone/pom.xml" in error.message


# --- Gradle -----------------------------------------------------------------------------

def test_gradle_kotlin_multi_project_with_wrapper():
    found = detect(SourceTree(FIXTURES / "gradle-kotlin"), {})
    assert found is not None and found.package_manager is not None
    facts = found.facts
    assert isinstance(facts, JavaFacts)
    assert (facts.build_tool, facts.wrapper, facts.module, facts.build_file) == \
        ("gradle", "gradlew", "app", "app/build.gradle.kts")
    assert (facts.framework, facts.kotlin, facts.main_class) == ("ktor", True, "hello.ApplicationKt")
    assert (facts.java_version, facts.java_source) == ("21", "app/build.gradle.kts line 8 (jvmToolchain)")
    assert found.package_manager.name == "gradle (gradlew)"
    assert found.processes[0].command[-1] == "hello.ApplicationKt"


def test_gradle_spring_boot_plugin(tmp_path):
    tree = write_tree(tmp_path, {"settings.gradle": "rootProject.name = 'demo'\n",
                                 "build.gradle": "plugins {\n  id 'org.springframework.boot' version '3.5.7'\n"
                                                 "  id 'java'\n}\n// id 'io.quarkus'\n"})
    found = detect(tree, {})
    assert found is not None and found.framework is not None and found.framework.name == "spring-boot"
    assert any("no ./gradlew" in w for w in found.warnings)


def test_gradle_without_anything_runnable_is_refused(tmp_path):
    error = error_of(write_tree(tmp_path, {"build.gradle.kts": "plugins { `java-library` }\n"}))
    assert error.exit_code == UNSUPPORTED


# --- prebuilt jars ----------------------------------------------------------------------

def make_jar(path: Path, manifest: str | None) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w") as z:
        if manifest is not None:
            z.writestr("META-INF/MANIFEST.MF", manifest)
        z.writestr("a/Main.class", b"\xca\xfe\xba\xbe")


def test_prebuilt_jar_with_main_class(tmp_path):
    make_jar(tmp_path / "target" / "app-1.0.jar", "Manifest-Version: 1.0\nMain-Class: com.exam\n ple.Main\n\n")
    make_jar(tmp_path / "target" / "app-1.0-sources.jar", "Main-Class: x.Y\n")
    make_jar(tmp_path / "lib.jar", "Manifest-Version: 1.0\n")
    facts = facts_of(SourceTree(tmp_path))
    assert (facts.build_tool, facts.jar, facts.main_class) == ("jar", "target/app-1.0.jar", "com.example.Main")


def test_a_jar_in_a_node_app_is_not_a_java_app(tmp_path):
    make_jar(tmp_path / "selenium.jar", "Main-Class: org.openqa.Main\n")
    (tmp_path / "package.json").write_text("{}")
    assert detect(SourceTree(tmp_path), {}) is None


def test_several_runnable_jars_exit_23(tmp_path):
    make_jar(tmp_path / "a.jar", "Main-Class: a.Main\n")
    make_jar(tmp_path / "b.jar", "Main-Class: b.Main\n")
    assert error_of(SourceTree(tmp_path)).exit_code == AMBIGUOUS


def test_a_broken_jar_names_it(tmp_path):
    (tmp_path / "app.jar").write_bytes(b"not a zip")
    error = error_of(SourceTree(tmp_path))
    assert error.exit_code == INVALID_INPUT and "app.jar" in error.message


def test_no_java_is_no_detection(tmp_path):
    assert detect(write_tree(tmp_path, {"main.py": "print(1)\n"}), {}) is None


# --- runtime choice ---------------------------------------------------------------------

def test_runtime_full_and_a_bad_value(tmp_path):
    tree = write_tree(tmp_path, {"pom.xml": pom("", MAIN_CLASS)})
    assert facts_of(tree, {"PACK_IT_JAVA_RUNTIME": "full"}).runtime == "full"
    assert facts_of(tree).runtime == "jlink"
    assert error_of(tree, {"PACK_IT_JAVA_RUNTIME": "tiny"}).exit_code == USAGE


def test_a_module_property_naming_a_parent_property(tmp_path):
    root = pom("<java.version>21</java.version>", extra="<packaging>pom</packaging><modules><module>m</module></modules>")
    module = pom("<maven.compiler.release>${java.version}</maven.compiler.release>", MAIN_CLASS)
    facts = facts_of(write_tree(tmp_path, {"pom.xml": root, "m/pom.xml": module}))
    assert (facts.module, facts.java_version, facts.java_source) == ("m", "21", "m/pom.xml (maven.compiler.release)")
