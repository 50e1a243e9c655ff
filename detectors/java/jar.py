"""A prebuilt executable jar: its manifest's Main-Class (read from the zip, nothing run)."""

from __future__ import annotations

import zipfile

from pack_it.detectors.source import SourceTree
from pack_it.errors import detect_error

MANIFEST = "META-INF/MANIFEST.MF"
MAX_MANIFEST = 1 << 20


def manifest(tree: SourceTree, rel: str) -> dict[str, str]:
    """The main section of the jar's manifest (continuation lines joined)."""
    try:
        with zipfile.ZipFile(tree.path(rel)) as jar:
            try:
                info = jar.getinfo(MANIFEST)
            except KeyError:
                return {}
            if info.file_size > MAX_MANIFEST:
                raise detect_error(f"{rel}: its {MANIFEST} is {info.file_size} bytes.", "Rebuild the jar.")
            text = jar.read(info).decode("utf-8", "replace")
    except (zipfile.BadZipFile, OSError) as e:
        raise detect_error(f"{rel} is not a readable jar ({e}).", "Rebuild it, or remove it from the app.")
    lines: list[str] = []
    for raw in text.replace("\r\n", "\n").split("\n"):
        if raw.startswith(" ") and lines:
            lines[-1] += raw[1:]
        elif not raw.strip():
            break  # the main section ends at the first blank line
        else:
            lines.append(raw)
    return {k.strip(): v.strip() for k, _, v in (line.partition(":") for line in lines) if k.strip()}


def is_candidate(rel: str) -> bool:
    """Not a sources, javadoc, plain (Gradle's thin jar beside bootJar) or original-* jar."""
    name = rel.rsplit("/", 1)[-1]
    return name.endswith(".jar") and not name.startswith("original-") and \
        not name.endswith(("-sources.jar", "-javadoc.jar", "-plain.jar", "-tests.jar"))
