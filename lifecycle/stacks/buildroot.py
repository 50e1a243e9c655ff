"""Build roots: for each Debian release, the directory tree the sandbox binds read-only as a
build step's / (lifecycle/sandbox/). Locked like the run stacks (InRelease verified with gpgv,
Packages checked against it, every .deb against the lock's sha256: the same pipeline as
assemble.py) and assembled once per lock into the cache as a directory, content-addressed by
the lock, so every app of every release's stack shares one:

    <cache>/buildroots/<release>-<key>/{usr,etc,bin,...}

Maintainer scripts are never run; what they or update-alternatives would have made is in the
definition's `links`. Files are written by reading the .debs (deb.py's checks: no absolute
paths, `..`, links leaving the root, devices), never through a link that leaves the tree.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import tomli

from pack_it.errors import EXPORT_FAILED, PackItError, export_error
from pack_it.lifecycle.archive import Entry, file_entry
from pack_it.lifecycle.cache import Cache
from pack_it.lifecycle.reporter import Reporter
from pack_it.lifecycle.stacks import lockfile
from pack_it.lifecycle.stacks.debian import Package, release_index, resolve
from pack_it.lifecycle.stacks.definitions import DEFINITIONS, Release, releases

NAME = "buildroot"  # its lock: locks/buildroot-<release>-amd64.json
DEFINITION = DEFINITIONS / "build" / f"{NAME}.toml"
FORMAT = "2"  # bump when what goes into a build root changes (2: the bytecode of `bytecode`)
READY = ".pack-it-buildroot"  # written last: a directory without it is incomplete
# Files the sandbox binds over (they must exist to be mount points on a read-only root), and
# what a build expects of /etc without a package's maintainer script to write it.
HOSTS = b"127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n"
PASSWD = b"root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n"
GROUP = b"root:x:0:\nnogroup:x:65534:\n"


@dataclass(frozen=True)
class BuildRootDefinition:
    release: Release
    description: str
    packages: tuple[str, ...]
    exclude: frozenset[str]
    links: dict[str, str]
    # (interpreter, directories): the modules an interpreter package's postinst would byte-compile
    # (py3compile), compiled at assembly. Without their bytecode every step of that language in the
    # sandbox compiles each library module it imports from source, every time: compileall's
    # worker pool took 0.65 s for one file instead of 0.17 s.
    bytecode: tuple[str, tuple[str, ...]] | None = None


def definition(release_id: str) -> BuildRootDefinition:
    release = releases()[release_id]
    data = tomli.loads(DEFINITION.read_text())
    data.update(data.get("release", {}).get(release_id, {}))
    subst = lambda s: s.format(**release.vars)  # noqa: E731
    bytecode = data.get("bytecode")
    return BuildRootDefinition(release, data["description"], tuple(subst(p) for p in data["packages"]),
                               frozenset(data.get("exclude", [])),
                               {subst(k): subst(v) for k, v in data.get("links", {}).items()},
                               (subst(bytecode["interpreter"]), tuple(subst(d) for d in bytecode["dirs"]))
                               if bytecode else None)


# Locking -------------------------------------------------------------------------------

def lock(release_id: str, directory: Path | None = None, reporter: Reporter = Reporter()) -> list[str]:
    """Re-resolves the release's build root from the signed index and rewrites its lock;
    returns what changed (lockfile.changes lines)."""
    spec = definition(release_id)
    resolved = resolve(list(spec.packages), release_index(spec.release, reporter, "build root"), set(spec.exclude))
    try:
        old = lockfile.read(NAME, release_id, directory)
    except PackItError:
        old = []
    lockfile.write(NAME, release_id, None, resolved, directory)
    return lockfile.changes(old, resolved)


# Assembling ----------------------------------------------------------------------------

def key(release_id: str, packages: list[Package]) -> str:
    spec = definition(release_id)
    return hashlib.sha256(json.dumps({
        "format": FORMAT, "release": release_id, "links": spec.links, "bytecode": spec.bytecode,
        "packages": [[p.name, p.version, p.sha256] for p in packages],
    }, sort_keys=True).encode()).hexdigest()


DIR_ENV = "PACK_IT_BUILDROOTS"  # another directory for build roots (several caches share them)


def path(cache: Cache, release_id: str) -> Path:
    """Where the release's build root is (or goes): <cache>/buildroots, or $PACK_IT_BUILDROOTS."""
    packages = lockfile.read(NAME, release_id)
    base = Path(os.environ[DIR_ENV]) if os.environ.get(DIR_ENV) else cache.root / "buildroots"
    return base / f"{release_id}-{key(release_id, packages)[:32]}"


def _write(root: Path, entry: Entry) -> None:
    target = root / entry.path
    # A package's directory may be a link (merged /usr); it must resolve inside the root.
    parent = Path(os.path.realpath(target.parent))
    if parent != root and root not in parent.parents:
        raise export_error(f"A build root file, {entry.path}, would be written outside the build root "
                           f"(through a link to {parent}); refusing it.",
                           "The package lock is malformed: regenerate it with `pack-it stacks lock`.",
                           exit_code=EXPORT_FAILED)
    parent.mkdir(parents=True, exist_ok=True)
    target = parent / target.name
    if entry.kind == "dir":
        if target.is_symlink():
            return  # merged-/usr alias already made: the directory is its target
        target.mkdir(exist_ok=True)
        target.chmod(entry.mode & 0o1777 or 0o755)
        return
    if target.is_symlink() or target.is_file():
        target.unlink()
    if entry.kind == "symlink":
        os.symlink(entry.target, target)
    else:
        assert entry.data is not None  # read_deb's files carry their content inline
        target.write_bytes(entry.data)
        # No setuid/setgid bits: nothing in a build step needs them, and the tree is on the host.
        target.chmod(entry.mode & 0o777)


def entries(release_id: str, packages: list[Package], cache: Cache) -> list[Entry]:
    """The packages' files (untrimmed: compilers need headers and docs cost nothing here), their
    dpkg status, the CA bundle, and the links and /etc files no maintainer script made."""
    from pack_it.lifecycle.stacks.assemble import CA_BUNDLE, CA_DIR, MERGED_USR_LINKS
    from pack_it.lifecycle.stacks.deb import read_deb

    spec = definition(release_id)
    found: list[Entry] = []
    if spec.release.merged_usr:
        found += [Entry(k, "symlink", 0o777, target=v) for k, v in sorted(MERGED_USR_LINKS.items())]
    certificates: dict[str, bytes] = {}
    status = []
    for package in packages:
        contents = read_deb(cache.blob_path("sha256:" + package.sha256))
        for entry in contents.entries:
            if entry.path.startswith(CA_DIR) and entry.path.endswith(".crt") and entry.kind == "file":
                assert entry.data is not None
                certificates[entry.path] = entry.data
            found.append(entry)
        status.append(contents.control.rstrip("\n") + "\nStatus: install ok installed\n")
        if contents.md5sums:
            found.append(file_entry(f"var/lib/dpkg/info/{package.name}.md5sums", contents.md5sums.encode()))
    found.append(file_entry("var/lib/dpkg/status", "\n".join(status).encode()))
    if certificates:
        found.append(file_entry(CA_BUNDLE, b"".join(certificates[p].rstrip(b"\n") + b"\n" for p in sorted(certificates))))
    found += [file_entry("etc/passwd", PASSWD), file_entry("etc/group", GROUP), file_entry("etc/hosts", HOSTS),
              file_entry("etc/resolv.conf", b""), file_entry("etc/hostname", b"pack-it\n")]
    present = {e.path for e in found}
    found += [Entry(k, "symlink", 0o777, target=v) for k, v in sorted(spec.links.items()) if k not in present]
    for directory in ("tmp", "workspace", "root", "proc", "dev", "run", "home"):
        found.append(Entry(directory, "dir", 0o1777 if directory == "tmp" else 0o755))
    return found


def _compile_bytecode(root: Path, interpreter: str, directories: tuple[str, ...]) -> None:
    """The root's own interpreter byte-compiles its modules, inside the root (bubblewrap: the
    staging tree as /, no network), as the package's postinst would have: unchecked-hash
    .pyc files, which an import never re-validates (the root is read-only and keyed by its
    lock) and which are the same bytes on every machine."""
    from pack_it.lifecycle.sandbox import find_bwrap

    argv = [find_bwrap(), "--die-with-parent", "--unshare-all", "--bind", str(root), "/", "--proc", "/proc",
            "--dev", "/dev", "--tmpfs", "/tmp", "--clearenv", "--setenv", "PATH", "/usr/bin:/bin",
            "--setenv", "PYTHONHASHSEED", "0", "--", f"/{interpreter}", "-m", "compileall", "-q", "-j", "0",
            "--invalidation-mode", "unchecked-hash", *(f"/{d}" for d in directories)]
    proc = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, errors="replace")
    # compileall exits 1 when a module does not compile (the stdlib's test data has some on
    # purpose); the others are compiled. Anything else is a root that cannot run its interpreter.
    if proc.returncode not in (0, 1):
        last = (proc.stdout.strip().splitlines() or [f"exit {proc.returncode}"])[-1]
        raise export_error(f"The build root's {interpreter} could not compile its modules ({last[:400]}).",
                           "Re-lock the build root with `pack-it stacks lock`.", exit_code=EXPORT_FAILED)


def ensure(release_id: str, cache: Cache, reporter: Reporter = Reporter()) -> Path:
    """The release's build root, assembled into the cache from its lock the first time: the
    .debs are fetched (and checked) as for a stack, written into a staging directory, and the
    directory is renamed into place complete; a build reading it never sees a partial tree."""
    final = path(cache, release_id)
    if (final / READY).is_file():
        return final
    from pack_it.lifecycle.sandbox import find_bwrap
    from pack_it.lifecycle.stacks.assemble import fetch_debs  # (12 ms of import a rebuild skips)

    # A build root serves bubblewrap's steps, and its bytecode is compiled under bwrap: a machine
    # that cannot run it is told so before the download, not after.
    find_bwrap()
    packages = lockfile.read(NAME, release_id)
    if gone := fetch_debs(packages, cache, reporter):
        raise export_error(f"{gone[0].name} {gone[0].version}, locked for the {release_id} build root, is gone from "
                           "the Debian archive and from every retention mirror.",
                           "Re-lock it with `pack-it stacks lock`, or set PACK_IT_DEBIAN_RETENTION_MIRRORS.",
                           exit_code=EXPORT_FAILED)
    reporter.step(f"assembling the {release_id} build root ({len(packages)} packages)")
    final.parent.mkdir(parents=True, exist_ok=True)
    # In the cache: its staging directory, swept after a killed build. A shared $PACK_IT_BUILDROOTS
    # may be another file system: staged beside the final directory.
    shared = cache.root not in final.parents
    staging = Path(tempfile.mkdtemp(dir=final.parent if shared else cache.staging_dir(), prefix=".partial-"))
    try:
        root = staging.resolve()
        for entry in sorted(entries(release_id, packages, cache), key=lambda e: e.path):
            _write(root, entry)
        if spec_bytecode := definition(release_id).bytecode:
            _compile_bytecode(root, *spec_bytecode)
        (root / READY).write_text(key(release_id, packages) + "\n")
        cache.place_dir(staging, final, ready=final / READY)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return final
