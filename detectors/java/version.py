"""The Java version an app asks for, and the Debian OpenJDK that gives it.

Files that name the runtime (.java-version, system.properties, .sdkmanrc, .tool-versions)
come first, as they do for the other languages' version files; then the build file
(maven.compiler.release/source/target, <java.version>, Gradle's toolchain and
sourceCompatibility, found by maven.py and gradle.py). A request is a minimum: Java runs older
bytecode, so the nearest Debian JDK at or above it builds and runs the app (11 -> 17).
"""

from __future__ import annotations

import re

from pack_it.detectors.source import SourceTree
from pack_it.errors import UNSUPPORTED, detect_error

# The OpenJDK majors Debian ships, and the release that ships each: 17 in bookworm, 21 and
# 25 in trixie (packs/java/jdk.py locks them). 25 is the newest LTS: the default.
DEBIAN_JDKS = {"17": "debian12", "21": "debian13", "25": "debian13"}
DEFAULT = "25"
_MAJOR = re.compile(r"^(?:1\.)?(\d+)")


def major(text: str) -> int | None:
    """17 from "17", "17.0.2", "1.8" (8), "17.0.2-tem", "temurin-17.0.1+12", "openjdk-21"."""
    text = text.strip().strip("'\"")
    text = re.sub(r"^[A-Za-z][A-Za-z_-]*-(?=\d)", "", text)  # a distribution prefix (temurin-, openjdk-)
    match = _MAJOR.match(text)
    return int(match.group(1)) if match else None


def from_files(tree: SourceTree, root: str = "") -> tuple[str, str] | None:
    """(version text, "file (line N)") from the runtime version files, first found wins."""
    def line_of(rel: str, pattern: str) -> tuple[str, str] | None:
        for number, line in enumerate(tree.read_text(rel).splitlines(), start=1):
            match = re.match(pattern, line.strip())
            if match:
                return match.group(1), f"{rel} line {number}"
        return None

    checks = ((".java-version", r"^([^#\s]+)"), ("system.properties", r"^java\.runtime\.version\s*[=:]\s*(\S+)"),
              (".sdkmanrc", r"^java\s*=\s*(\S+)"), (".tool-versions", r"^java\s+(\S+)"))
    for name, pattern in checks:
        rel = f"{root}{name}"
        if tree.has_file(rel):
            found = line_of(rel, pattern)
            if found:
                return found
    return None


def choose(asked: str | None, where: str) -> tuple[str, str]:
    """(Debian JDK major, reason) for what the app asked for; exit 22 when no Debian JDK is new
    enough or the text is no version."""
    if asked is None:
        return DEFAULT, f"no Java version asked for: {DEFAULT}, the newest LTS Debian ships"
    want = major(asked)
    if want is None:
        raise detect_error(f"{where} asks for Java {asked!r}, which is not a Java version.",
                           "Write a major version such as 17 or 21.")
    fits = [m for m in sorted(DEBIAN_JDKS, key=int) if int(m) >= want]
    if not fits:
        raise detect_error(f"{where} asks for Java {asked}, and the newest OpenJDK Debian ships is "
                           f"{max(DEBIAN_JDKS, key=int)}.",
                           f"Ask for Java {', '.join(sorted(DEBIAN_JDKS, key=int))} or older.", exit_code=UNSUPPORTED)
    chosen = fits[0]
    if str(want) == chosen:
        return chosen, f"{where} asks for Java {asked}"
    return chosen, f"{where} asks for Java {asked}: Debian's OpenJDK {chosen} is the nearest at or above it"
