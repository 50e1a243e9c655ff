"""The Rust pack's parts that need no cargo: the ELF reader and the stack it picks, and the
source copy that keeps untouched files' modification times (cargo's fingerprints)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from pack_it.detectors.source import SourceTree
from pack_it.packs import rust as rust_pack
from pack_it.packs.rust import elf


def test_a_dynamic_binary_names_its_loader_and_libraries():
    linking = elf.read(Path(shutil.which("ls") or "/bin/ls"))
    assert linking.interpreter == "/lib64/ld-linux-x86-64.so.2"
    assert "libc.so.6" in linking.needed
    assert not linking.static


def test_not_an_elf_file(tmp_path):
    (tmp_path / "script").write_text("#!/bin/sh\n")
    with pytest.raises(elf.NotElf):
        elf.read(tmp_path / "script")


@pytest.mark.parametrize("needed, expected", [
    ((), ("static", ())),
    (("libc.so.6", "libgcc_s.so.1", "libm.so.6"), ("cc", ())),
    (("libssl.so.3", "libcrypto.so.3", "libc.so.6"), ("cc", ())),
    (("libpq.so.5", "libc.so.6"), ("cc", ("libpq.so.5",))),
])
def test_the_stack_from_needed(needed, expected):
    interpreter = "/lib64/ld-linux-x86-64.so.2" if needed else None
    assert elf.stack_for(elf.Linking(interpreter, needed)) == expected


class _Ctx:
    def __init__(self, tree: SourceTree) -> None:
        self.tree = tree


def test_sync_rewrites_only_changed_files_and_removes_deleted_ones(tmp_path):
    app = tmp_path / "app"
    (app / "src").mkdir(parents=True)
    (app / "src" / "main.rs").write_text("fn main() {}\n")
    (app / "src" / "lib.rs").write_text("pub fn a() {}\n")
    (app / "build.sh").write_text("#!/bin/sh\n")
    (app / "build.sh").chmod(0o755)
    dest = tmp_path / "copy"
    files = sorted(SourceTree(app).source_files())
    rust_pack.sync_source(_Ctx(SourceTree(app)), files, dest)  # type: ignore[arg-type]
    assert os.access(dest / "build.sh", os.X_OK)
    past = 1_000_000_000
    for rel in files:
        os.utime(dest / rel, (past, past))

    (app / "src" / "lib.rs").write_text("pub fn b() {}\n")
    (app / "src" / "main.rs").unlink()
    (app / "src" / "bin").mkdir()
    (app / "src" / "bin" / "x.rs").write_text("fn main() {}\n")
    tree = SourceTree(app)
    rust_pack.sync_source(_Ctx(tree), sorted(tree.source_files()), dest)  # type: ignore[arg-type]
    assert (dest / "src" / "lib.rs").read_text() == "pub fn b() {}\n"
    assert (dest / "src" / "lib.rs").stat().st_mtime > past
    assert (dest / "build.sh").stat().st_mtime == past  # untouched: cargo sees no change
    assert not (dest / "src" / "main.rs").exists()
    assert (dest / "src" / "bin" / "x.rs").is_file()


def test_a_developers_target_directory_is_not_source(tmp_path):
    app = tmp_path / "app"
    (app / "src").mkdir(parents=True)
    (app / "target" / "release").mkdir(parents=True)
    (app / "src" / "main.rs").write_text("fn main() {}\n")
    (app / "target" / "release" / "app").write_text("binary")
    assert rust_pack.source_files(SourceTree(app)) == ["src/main.rs"]
