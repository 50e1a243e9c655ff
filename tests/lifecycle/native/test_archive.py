"""Contents lines to sonames, and the choice of a package for a soname (pure parts)."""

from __future__ import annotations

from pack_it.lifecycle.native.archive import library_paths
from pack_it.lifecycle.native.resolve import choose
from pack_it.lifecycle.stacks.debian import Index, Package

CONTENTS = b"""\
usr/lib/x86_64-linux-gnu/libpq.so.5                     libs/libpq5
usr/lib/x86_64-linux-gnu/libpq.so.5.15                  libs/libpq5
usr/lib/x86_64-linux-gnu/libpq.so                       libdevel/libpq-dev
lib/x86_64-linux-gnu/libc.so.6                          libs/libc6
usr/lib/x86_64-linux-gnu/libGL.so.1                     libs/libgl1,non-free/libs/libgl1-nvidia-glvnd-glx
usr/lib/python3/dist-packages/_cffi_backend.so.1        python/python3-cffi-backend
usr/share/doc/libpq5/libpq.so.5.txt                     doc/libpq5
usr/lib/x86_64-linux-gnu/libpq.so.5.pc                  libs/weird
usr/lib/x86_64-linux-gnu/odd name.so.1                  libs/spaced
"""


def test_only_libraries_in_directories_the_loader_searches_are_kept():
    found = library_paths(CONTENTS.splitlines(keepends=True))
    assert found["libpq.so.5"] == ["libpq5"]
    assert found["libc.so.6"] == ["libc6"]
    assert found["libGL.so.1"] == ["libgl1", "libgl1-nvidia-glvnd-glx"]
    assert found["odd name.so.1"] == ["spaced"]
    assert "_cffi_backend.so.1" not in found  # a Python module directory: not searched by the loader
    assert "libpq.so.5.txt" not in found and "libpq.so.5.pc" not in found


def pkg(name: str) -> Package:
    return Package(name, "1.0", "amd64", f"pool/{name}.deb", "0" * 64, 1, "debian")


def test_choose_a_library_package_that_the_release_has():
    index = Index([pkg("libgl1"), pkg("libgl1-nvidia-glvnd-glx"), pkg("aaa-tool")])
    assert choose("libGL.so.1", ["libgl1-nvidia-glvnd-glx", "libgl1"], index) == "libgl1"
    assert choose("libx.so.1", ["aaa-tool", "libgl1"], index) == "libgl1"
    assert choose("libx.so.1", ["not-in-packages"], index) is None
    assert choose("libx.so.1", [], index) is None


PACKAGES = """\
Package: libpq5
Version: 15.20-0+deb12u1
Architecture: amd64
Depends: libc6 (>= 2.34), libgssapi-krb5-2 (>= 1.17), libldap-2.5-0 (>= 2.5.4), libssl3 (>= 3.0.0)
Description: PostgreSQL C client library
 libpq is a C library that enables user programs to communicate with
 Package: not-a-field
Filename: pool/main/p/postgresql-15/libpq5_15.20-0+deb12u1_amd64.deb
Size: 192000
SHA256: abc

Package: tzdata
Version: 2025b-0+deb12u1
Architecture: all
Filename: pool/main/t/tzdata/tzdata_2025b-0+deb12u1_all.deb
Size: 1
SHA256: def
Provides: tzdata-bookworm
"""


def test_packages_paragraphs_keep_the_fields_resolving_needs_and_skip_continuation_lines():
    from pack_it.lifecycle.native.archive import paragraphs

    first, second = list(paragraphs(PACKAGES))
    assert first["Package"] == "libpq5" and first["Filename"].endswith("_amd64.deb") and first["Size"] == "192000"
    assert first["Depends"].startswith("libc6 (>= 2.34), ") and "Description" not in first
    assert second == {"Package": "tzdata", "Version": "2025b-0+deb12u1", "Architecture": "all",
                      "Filename": "pool/main/t/tzdata/tzdata_2025b-0+deb12u1_all.deb", "Size": "1", "SHA256": "def",
                      "Provides": "tzdata-bookworm"}
