"""Reading what an ELF file asks the dynamic loader for: its DT_NEEDED sonames, DT_RPATH and
DT_RUNPATH, and its own DT_SONAME. Pure: bytes in, facts out, no tool run (readelf is not
on a fresh machine, and a file built by the app is not trusted to be well formed).

Only x86-64 ELF64 little-endian files are read: the image runs on linux/amd64, so a file
for another machine (a prebuilt for arm64 or musl shipped in an npm package) is never
loaded. Anything malformed (offsets past the end, a string table that does not hold the
names) is "not an ELF file we can use", never an exception.
"""

from __future__ import annotations

import mmap
import struct
from dataclasses import dataclass
from typing import Union

MAGIC = b"\x7fELF"
ELFCLASS64, ELFDATA2LSB, EM_X86_64 = 2, 1, 62
ET_EXEC, ET_DYN = 2, 3
PT_LOAD, PT_DYNAMIC, PT_INTERP = 1, 2, 3
DT_NULL, DT_NEEDED, DT_STRTAB, DT_STRSZ, DT_SONAME, DT_RPATH, DT_RUNPATH = 0, 1, 5, 10, 14, 15, 29
HEADER = struct.Struct("<16sHHIQQQIHHHHHH")  # Elf64_Ehdr
PHDR = struct.Struct("<IIQQQQQQ")  # Elf64_Phdr
DYN = struct.Struct("<qQ")  # Elf64_Dyn
MAX_DYNAMIC = 1 << 16  # entries: a real binary has dozens
Data = Union[bytes, memoryview, mmap.mmap]


@dataclass(frozen=True)
class ElfInfo:
    needed: tuple[str, ...]
    runpath: tuple[str, ...]  # DT_RUNPATH, else DT_RPATH, split on ':'
    rpath_is_runpath: bool  # DT_RUNPATH (searched after LD_LIBRARY_PATH) rather than DT_RPATH
    soname: str | None
    interpreter: str | None  # PT_INTERP: a dynamically linked executable names its loader

    def to_json(self) -> dict:
        return {"needed": list(self.needed), "runpath": list(self.runpath),
                "runpath_kind": "runpath" if self.rpath_is_runpath else "rpath",
                "soname": self.soname, "interpreter": self.interpreter}

    @staticmethod
    def from_json(data: dict) -> ElfInfo:
        return ElfInfo(tuple(data["needed"]), tuple(data["runpath"]), data["runpath_kind"] == "runpath",
                       data.get("soname"), data.get("interpreter"))


def is_elf(head: bytes) -> bool:
    return head[:4] == MAGIC


def _cstring(data: Data, offset: int, end: int) -> str | None:
    if not 0 <= offset < end:
        return None
    stop = bytes(data[offset:end]).find(b"\0")
    if stop < 0:
        return None
    return bytes(data[offset:offset + stop]).decode("utf-8", "replace")


def parse(data: Data) -> ElfInfo | None:
    """What the loader would read from this file, or None when it is not a dynamically linked
    x86-64 executable or shared object (a static binary, an object file, another machine,
    a damaged file)."""
    try:
        return _parse(data)
    except (struct.error, ValueError, IndexError, OverflowError):  # an offset past ssize_t
        return None


def _parse(data: Data) -> ElfInfo | None:
    if len(data) < HEADER.size or bytes(data[:4]) != MAGIC:
        return None
    ident, e_type, machine, _, _, phoff, _, _, _, phentsize, phnum, *_ = HEADER.unpack_from(data, 0)
    if ident[4] != ELFCLASS64 or ident[5] != ELFDATA2LSB or machine != EM_X86_64 or e_type not in (ET_EXEC, ET_DYN):
        return None
    if phentsize < PHDR.size:
        return None
    loads: list[tuple[int, int, int]] = []  # (vaddr, filesz, offset)
    dynamic: tuple[int, int] | None = None
    interpreter = None
    for i in range(phnum):
        p_type, _, offset, vaddr, _, filesz, _, _ = PHDR.unpack_from(data, phoff + i * phentsize)
        if p_type == PT_LOAD:
            loads.append((vaddr, filesz, offset))
        elif p_type == PT_DYNAMIC:
            dynamic = (offset, filesz)
        elif p_type == PT_INTERP:
            interpreter = _cstring(data, offset, min(offset + filesz, len(data)))
    if dynamic is None:
        return None  # statically linked: it asks the loader for nothing

    def file_offset(address: int) -> int:
        for vaddr, filesz, offset in loads:
            if vaddr <= address < vaddr + filesz:
                return address - vaddr + offset
        raise ValueError("address outside every loaded segment")

    entries: list[tuple[int, int]] = []
    offset, size = dynamic
    for i in range(min(size // DYN.size, MAX_DYNAMIC)):
        tag, value = DYN.unpack_from(data, offset + i * DYN.size)
        if tag == DT_NULL:
            break
        entries.append((tag, value))
    tags = dict(entries)
    if DT_STRTAB not in tags:
        return None
    strtab = file_offset(tags[DT_STRTAB])
    end = min(strtab + tags.get(DT_STRSZ, len(data)), len(data))

    def string(value: int) -> str:
        text = _cstring(data, strtab + value, end)
        if text is None:
            raise ValueError("string outside the string table")
        return text

    needed = tuple(string(v) for t, v in entries if t == DT_NEEDED)
    runpath_kind = DT_RUNPATH if DT_RUNPATH in tags else DT_RPATH if DT_RPATH in tags else None
    runpath = tuple(p for p in string(tags[runpath_kind]).split(":") if p) if runpath_kind else ()
    soname = string(tags[DT_SONAME]) if DT_SONAME in tags else None
    return ElfInfo(needed, runpath, runpath_kind == DT_RUNPATH, soname, interpreter)
