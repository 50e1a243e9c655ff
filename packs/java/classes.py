"""Which JDK modules the app's own classes use, read from their constant pools: jdeps does the
same analysis, but a JVM start per build costs more than the 1 s a one-line change may add
on top of `mvn package` (jdeps still runs over the dependency jars, cached by their digest).

A class's references to other classes are its constant pool's Class entries and the type
descriptors in its Utf8 entries (fields, methods, lambdas); each referenced package maps to
the JDK module that holds it (from the jmods' listings, kept per JDK in the cache).
"""

from __future__ import annotations

import json
import re
import struct
import zipfile
from pathlib import Path

_DESCRIPTOR_TYPE = re.compile(rb"L([\w/$]+);")
# Constant pool tags and the bytes each entry takes after its tag (Utf8 is variable).
_SIZES = {3: 4, 4: 4, 5: 8, 6: 8, 7: 2, 8: 2, 9: 4, 10: 4, 11: 4, 12: 4, 15: 3, 16: 2, 17: 4, 18: 4, 19: 2, 20: 2}


class NotAClass(ValueError):
    pass


def referenced_packages(data: bytes) -> set[str]:
    """The packages ("java/net") a class file refers to."""
    if data[:4] != b"\xca\xfe\xba\xbe":
        raise NotAClass("no class file magic")
    count = struct.unpack_from(">H", data, 8)[0]
    offset, index = 10, 1
    utf8: dict[int, bytes] = {}
    class_names: list[int] = []
    while index < count:
        tag = data[offset]
        if tag == 1:
            length = struct.unpack_from(">H", data, offset + 1)[0]
            utf8[index] = data[offset + 3: offset + 3 + length]
            offset += 3 + length
        elif tag in _SIZES:
            if tag == 7:
                class_names.append(struct.unpack_from(">H", data, offset + 1)[0])
            offset += 1 + _SIZES[tag]
            if tag in (5, 6):  # longs and doubles take two slots
                index += 1
        else:
            raise NotAClass(f"constant pool tag {tag}")
        index += 1
    names = set()
    for i in class_names:
        name = utf8.get(i, b"")
        names.add(name if not name.startswith(b"[") else b"")
    for text in utf8.values():
        names.update(_DESCRIPTOR_TYPE.findall(text))
    return {n.rsplit(b"/", 1)[0].decode("utf-8", "replace") for n in names if b"/" in n}


def package_modules(jmods: Path, record: Path) -> dict[str, str]:
    """package -> module for every module in `jmods`, kept in `record` once made."""
    if record.is_file():
        return json.loads(record.read_text())
    found: dict[str, str] = {}
    for jmod in sorted(jmods.glob("*.jmod")):
        with zipfile.ZipFile(jmod) as z:  # a jmod is a zip after a 4-byte header, which zipfile skips
            for name in z.namelist():
                if name.startswith("classes/") and name.endswith(".class") and "/" in name[8:]:
                    found.setdefault(name[8:].rsplit("/", 1)[0], jmod.stem)
    tmp = record.with_name(record.name + ".partial")
    tmp.write_text(json.dumps(found, sort_keys=True))
    tmp.replace(record)
    return found


def _class_files(target: Path):
    if target.is_dir():
        for path in sorted(target.rglob("*.class")):
            yield path.read_bytes()
        return
    with zipfile.ZipFile(target) as z:
        for info in z.infolist():
            if info.filename.endswith(".class") and not info.filename.startswith("BOOT-INF/lib/"):
                yield z.read(info)


def modules(targets: list[Path], packages: dict[str, str]) -> set[str]:
    """The JDK modules the classes in `targets` (class directories or jars) use."""
    used: set[str] = set()
    for target in targets:
        for data in _class_files(target):
            try:
                refs = referenced_packages(data)
            except (NotAClass, struct.error, IndexError):
                continue  # not a class file jdeps could read either
            used.update(packages[p] for p in refs if p in packages)
    return used
