"""Which sonames nothing in the image provides, searched as glibc's loader does."""

from __future__ import annotations

from pack_it.lifecycle.native import search
from pack_it.lifecycle.native.elf import ElfInfo
from pack_it.lifecycle.native.scan import ImageScan, LayerScan


def needs(*names: str, runpath: tuple[str, ...] = (), runpath_kind: bool = True) -> ElfInfo:
    return ElfInfo(tuple(names), runpath, runpath_kind, None, "/lib64/ld-linux-x86-64.so.2")


IMAGE = ImageScan(libraries={"lib/x86_64-linux-gnu/libc.so.6", "usr/lib/x86_64-linux-gnu/libssl.so.3"},
                  packages={"libc6", "libssl3"})
EXT = "layers/python/deps/site-packages/psycopg2/_psycopg.so"


def test_a_soname_the_run_image_has_in_a_default_directory_is_not_missing():
    layer = LayerScan({EXT: needs("libc.so.6", "libssl.so.3")})
    assert search.missing([layer], IMAGE) == {}


def test_a_soname_nothing_provides_is_missing_with_every_file_that_needs_it():
    layer = LayerScan({EXT: needs("libpq.so.5", "libc.so.6"), "layers/x/bin/a": needs("libpq.so.5")})
    assert search.missing([layer], IMAGE) == {"libpq.so.5": ["/" + EXT, "/layers/x/bin/a"]}


def test_a_library_the_layer_ships_next_to_it_through_origin_is_found():
    wheel = LayerScan({EXT: needs("libpq-abc.so.5", runpath=("$ORIGIN/../psycopg2_binary.libs",))},
                      libraries={"layers/python/deps/site-packages/psycopg2_binary.libs/libpq-abc.so.5"})
    assert search.missing([wheel], IMAGE) == {}
    braces = LayerScan({EXT: needs("libpq-abc.so.5", runpath=("${ORIGIN}/../psycopg2_binary.libs",))},
                       libraries=wheel.libraries)
    assert search.missing([braces], IMAGE) == {}


def test_a_library_elsewhere_in_the_image_is_not_found_by_its_name_alone():
    # The loader does not look in some other package's private directory.
    layer = LayerScan({EXT: needs("libpq.so.5")}, libraries={"layers/other/private/libpq.so.5"})
    assert search.missing([layer], IMAGE) == {"libpq.so.5": ["/" + EXT]}


def test_ld_library_path_from_the_layers_env_is_searched():
    layer = LayerScan({"layers/app/bin/a": needs("libfoo.so.1")}, libraries={"layers/app/lib/libfoo.so.1"})
    assert search.missing([layer], IMAGE) == {"libfoo.so.1": ["/layers/app/bin/a"]}
    assert search.missing([layer], IMAGE, ["/layers/app/lib"]) == {}


def test_a_relative_runpath_is_not_trusted():
    layer = LayerScan({"layers/app/bin/a": needs("libfoo.so.1", runpath=("lib",))},
                      libraries={"layers/app/bin/lib/libfoo.so.1"})
    assert search.missing([layer], IMAGE) == {"libfoo.so.1": ["/layers/app/bin/a"]}


def test_merged_usr_aliases_lib_to_usr_lib():
    merged = ImageScan(libraries={"usr/lib/x86_64-linux-gnu/libc.so.6"}, links={"lib": "usr/lib"})
    layer = LayerScan({"layers/app/bin/a": needs("libc.so.6")})
    assert search.missing([layer], merged) == {}
    # Libraries a package installs under /lib are found through the same alias.
    added = ImageScan(libraries={"lib/x86_64-linux-gnu/libc.so.6"}, links={"lib": "usr/lib"})
    assert search.missing([LayerScan({"layers/app/bin/a": needs("libc.so.6")})], added) == {}


def test_a_needed_entry_that_is_a_path_is_not_a_soname():
    layer = LayerScan({"layers/app/bin/a": needs("/opt/lib/libx.so")})
    assert search.missing([layer], IMAGE) == {}


def test_search_order_rpath_before_ld_library_path_runpath_after():
    rpath = needs("libx.so.1", runpath=("/opt/r",), runpath_kind=False)
    runpath = needs("libx.so.1", runpath=("/opt/r",), runpath_kind=True)
    assert search.search_dirs("a/b", rpath, ["/env"])[:2] == ["opt/r", "env"]
    assert search.search_dirs("a/b", runpath, ["/env"])[:2] == ["env", "opt/r"]
