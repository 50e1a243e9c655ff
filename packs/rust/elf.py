"""A small ELF reader: the program interpreter and the NEEDED shared libraries of a binary,
which decide the stack it can run on. (A general NEEDED -> Debian package mapper is being
written for the build environments; until it lands the Rust pack reads its one binary here.)"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path

PT_LOAD, PT_DYNAMIC, PT_INTERP = 1, 2, 3
DT_NULL, DT_NEEDED, DT_STRTAB = 0, 1, 5

# What the `cc` stack holds (lifecycle/stacks/definitions/cc.toml: libc6, libssl3, libgcc-s1,
# libstdc++6, libgomp1), by the sonames those packages ship.
CC_LIBRARIES = frozenset({
    "ld-linux-x86-64.so.2", "libc.so.6", "libm.so.6", "libpthread.so.0", "libdl.so.2", "librt.so.1",
    "libutil.so.1", "libresolv.so.2", "libanl.so.1", "libgcc_s.so.1", "libssl.so.3", "libcrypto.so.3",
    "libstdc++.so.6", "libgomp.so.1",
})


class NotElf(ValueError):
    pass


@dataclass(frozen=True)
class Linking:
    interpreter: str | None  # PT_INTERP: the dynamic loader a dynamically linked program names
    needed: tuple[str, ...]  # DT_NEEDED, in order

    @property
    def static(self) -> bool:
        return self.interpreter is None and not self.needed


def read(path: Path) -> Linking:
    """Reads a 64-bit little-endian ELF file (x86-64, aarch64)."""
    data = path.read_bytes()
    if data[:4] != b"\x7fELF" or data[4] != 2 or data[5] != 1:
        raise NotElf(f"{path.name} is not a 64-bit little-endian ELF file")
    phoff, = struct.unpack_from("<Q", data, 0x20)
    phentsize, phnum = struct.unpack_from("<HH", data, 0x36)
    loads: list[tuple[int, int, int]] = []  # (vaddr, offset, filesz)
    interpreter = None
    dynamic: tuple[int, int] | None = None
    for i in range(phnum):
        p_type, _flags, offset, vaddr, _paddr, filesz = struct.unpack_from("<IIQQQQ", data, phoff + i * phentsize)
        if p_type == PT_LOAD:
            loads.append((vaddr, offset, filesz))
        elif p_type == PT_INTERP:
            interpreter = data[offset:offset + filesz].split(b"\0", 1)[0].decode()
        elif p_type == PT_DYNAMIC:
            dynamic = (offset, filesz)
    if dynamic is None:
        return Linking(interpreter, ())
    needed_offsets: list[int] = []
    strtab_vaddr = None
    offset, size = dynamic
    for at in range(offset, offset + size, 16):
        tag, value = struct.unpack_from("<qQ", data, at)
        if tag == DT_NULL:
            break
        if tag == DT_NEEDED:
            needed_offsets.append(value)
        elif tag == DT_STRTAB:
            strtab_vaddr = value
    if not needed_offsets or strtab_vaddr is None:
        return Linking(interpreter, ())
    strtab = next((off + strtab_vaddr - vaddr for vaddr, off, filesz in loads
                   if vaddr <= strtab_vaddr < vaddr + filesz), None)
    if strtab is None:
        raise NotElf(f"{path.name}: the dynamic string table is outside every loaded segment")
    names = tuple(data[strtab + n:data.index(b"\0", strtab + n)].decode() for n in needed_offsets)
    return Linking(interpreter, names)


def stack_for(linking: Linking) -> tuple[str, tuple[str, ...]]:
    """The smallest stack that runs the binary, and the NEEDED libraries that stack lacks: none
    at all -> `static`; else `cc`, with whatever `cc` does not hold."""
    if linking.static:
        return "static", ()
    return "cc", tuple(n for n in linking.needed if n not in CC_LIBRARIES)
