"""The ELF reader against files gcc made, and against damaged and foreign ones."""

from __future__ import annotations

import struct

from hypothesis import given, settings, strategies as st

from pack_it.lifecycle.native import elf

from .elfs import library, program


def test_needed_soname_and_runpath_of_a_program_and_a_library(tmp_path):
    greet = library(tmp_path / "lib", "libgreet.so.1", "libgreet.so.1")
    prog = program(tmp_path / "bin" / "prog", [greet], ["-Wl,-rpath,$ORIGIN/../lib", "-Wl,--enable-new-dtags"])
    info = elf.parse(prog.read_bytes())
    assert info is not None
    assert info.needed == ("libgreet.so.1", "libc.so.6")  # in link order (-lm: dropped, --as-needed)
    assert info.runpath == ("$ORIGIN/../lib",) and info.rpath_is_runpath
    assert info.interpreter == "/lib64/ld-linux-x86-64.so.2" and info.soname is None
    lib = elf.parse(greet.read_bytes())
    assert lib is not None and lib.soname == "libgreet.so.1" and lib.interpreter is None


def test_rpath_is_told_from_runpath(tmp_path):
    greet = library(tmp_path / "lib", "libgreet.so.1", "libgreet.so.1")
    prog = program(tmp_path / "prog", [greet], ["-Wl,-rpath,/opt/a:/opt/b", "-Wl,--disable-new-dtags"])
    info = elf.parse(prog.read_bytes())
    assert info is not None and info.runpath == ("/opt/a", "/opt/b") and not info.rpath_is_runpath


def test_json_round_trip(tmp_path):
    info = elf.parse(library(tmp_path, "libx.so.2", "libx.so.2").read_bytes())
    assert info is not None and elf.ElfInfo.from_json(info.to_json()) == info


def test_what_is_not_a_dynamically_linked_x86_64_file_is_none(tmp_path):
    prog = program(tmp_path / "prog", []).read_bytes()
    assert elf.parse(b"#!/bin/sh\necho hi\n" * 10) is None
    assert elf.parse(prog[:40]) is None  # truncated header
    assert elf.parse(prog[:200]) is None  # program headers cut off
    other = bytearray(prog)
    struct.pack_into("<H", other, 18, 183)  # e_machine: aarch64
    assert elf.parse(bytes(other)) is None
    relocatable = bytearray(prog)
    struct.pack_into("<H", relocatable, 16, 1)  # ET_REL: an object file is never loaded
    assert elf.parse(bytes(relocatable)) is None
    far = bytearray(prog)
    struct.pack_into("<Q", far, 32, 1 << 40)  # e_phoff past the end
    assert elf.parse(bytes(far)) is None
    huge = bytearray(prog)  # e_phoff past what an offset can be (ssize_t): hypothesis found it
    struct.pack_into("<Q", huge, 32, 1 << 63)
    assert elf.parse(bytes(huge)) is None


def test_a_static_program_needs_nothing(tmp_path):
    prog = program(tmp_path / "prog", [], ["-static"])
    assert elf.parse(prog.read_bytes()) is None


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_damaged_files_never_raise(tmp_path_factory, data):
    base = _sample(tmp_path_factory)
    damaged = bytearray(base)
    for _ in range(data.draw(st.integers(1, 8))):
        at = data.draw(st.integers(0, min(len(base), 4096) - 1))
        damaged[at] = data.draw(st.integers(0, 255))
    cut = data.draw(st.integers(0, len(base)))
    result = elf.parse(bytes(damaged[:cut]))
    assert result is None or isinstance(result, elf.ElfInfo)


_SAMPLES: dict[str, bytes] = {}


def _sample(tmp_path_factory) -> bytes:
    if "lib" not in _SAMPLES:
        directory = tmp_path_factory.mktemp("elf")
        _SAMPLES["lib"] = library(directory, "libz9.so.1", "libz9.so.1").read_bytes()
    return _SAMPLES["lib"]
