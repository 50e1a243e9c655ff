"""The read-only view of an app's source tree that every detector and pack reads through.

It applies the ignore rules (.git, .dockerignore, .pack-itignore), refuses links that leave
the tree, leaves secret-looking files (`secret_reason`) out of the source, and turns unparseable
manifests into one clear error naming the file.
"""

from __future__ import annotations

import fnmatch
import hashlib
import json
import os
import re
from functools import cached_property
from pathlib import Path, PurePosixPath
from typing import Callable, Iterator

import tomli

from pack_it.errors import detect_error

# Version control, and node_modules: packs install dependencies afresh from the lockfile, so
# a developer's local node_modules is never read or copied (and walking it would be slow).
ALWAYS_IGNORED = (".git", ".hg", ".svn", ".pack-it", "node_modules")
# Never source in any ecosystem: caches, virtual environments and build tools' scratch. The
# one list every pack's source copy (and source digest) leaves out; a directory holding a
# pyvenv.cfg is a virtual environment whatever its name.
NOT_SOURCE_DIRS = frozenset({
    "__pycache__", ".venv", "venv", ".tox", ".nox", ".pytest_cache", ".mypy_cache", ".ruff_cache", ".eggs",
    "node_modules", ".next", ".nuxt", ".output", ".svelte-kit", ".turbo", ".cache", ".parcel-cache",
})
NOT_SOURCE_SUFFIXES = (".pyc", ".pyo")
# The ignore files, both in .dockerignore's syntax; pack-it's own is read after .dockerignore,
# so its rules (a `!` exception included) win.
IGNORE_FILES = (".dockerignore", ".pack-itignore")
# Files that hold secrets by their name (or, for the ones a pattern can't tell apart from
# harmless files, by their content): left out of the source, hence of every layer, with a
# warning naming each, unless a `!` exception in an ignore file keeps it. A .npmrc holding a
# credential is still read by the install step (it may name the registry), never copied
# into a layer.
SECRET_NAMES = {
    ".env": "an environment file", "id_rsa": "an SSH private key", "id_dsa": "an SSH private key",
    "id_ecdsa": "an SSH private key", "id_ed25519": "an SSH private key", ".netrc": "login credentials",
    "_netrc": "login credentials", ".git-credentials": "git credentials", ".htpasswd": "password hashes",
}
SECRET_PATHS = {".aws/credentials": "AWS credentials", ".docker/config.json": "registry credentials",
                ".kube/config": "Kubernetes credentials"}
SECRET_SUFFIXES = {".key": "a private key", ".p12": "a PKCS#12 key store", ".pfx": "a PKCS#12 key store"}
# Name -> (the content that makes it a secret, why); read up to SNIFF_BYTES.
SECRET_CONTENT = {
    ".pem": (re.compile(rb"-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----"), "a private key (PEM)"),
    ".npmrc": (re.compile(rb"(?m)^[^#;\n]*_(authToken|auth|password)\s*=\s*(?!\$\{)\S"), "an npm auth token"),
    ".pypirc": (re.compile(rb"(?m)^\s*password\s*[=:]\s*\S"), "a PyPI password or token"),
}
INSTALL_CONFIG = frozenset({".npmrc"})  # read by the install even when it holds a credential
SNIFF_BYTES = 1 << 20
MAX_DEPTH = 200  # directories; a build copies the tree below paths ~150 bytes long, PATH_MAX is 4096


def secret_reason(rel: str, read: Callable[[], bytes]) -> str | None:
    """Why the file at `rel` looks like a secret (None when it does not); `read` gives its
    first bytes, asked for only when the name alone cannot tell."""
    path = PurePosixPath(rel)
    name = path.name
    if name in SECRET_NAMES:
        return SECRET_NAMES[name]
    if name.startswith(".env."):
        return "an environment file"
    if "/".join(path.parts[-2:]) in SECRET_PATHS:
        return SECRET_PATHS["/".join(path.parts[-2:])]
    if path.suffix in SECRET_SUFFIXES:
        return SECRET_SUFFIXES[path.suffix]
    content = SECRET_CONTENT.get(path.suffix) or SECRET_CONTENT.get(name)
    if content is None:
        return None
    try:
        head = read()
    except OSError:
        return content[1] + " (unreadable, so not checked)"
    return content[1] if content[0].search(head) else None


def _pattern_regex(pattern: str, below: bool = False) -> re.Pattern[str]:
    """A .dockerignore pattern (Go filepath.Match plus `**`) as a regex on a relative path;
    with `below`, it also matches everything under a directory it names."""
    out = []
    i = 0
    while i < len(pattern):
        if pattern.startswith("**", i):
            out.append(".*")
            i += 2
            if pattern.startswith("/", i):
                out[-1] = "(?:.*/)?"
                i += 1
        elif pattern[i] == "*":
            out.append("[^/]*")
            i += 1
        elif pattern[i] == "?":
            out.append("[^/]")
            i += 1
        elif pattern[i] == "[":
            end = pattern.find("]", i)
            if end == -1:
                out.append(re.escape(pattern[i]))
                i += 1
            else:
                out.append(fnmatch.translate(pattern[i : end + 1])[4:-3])
                i = end + 1
        else:
            out.append(re.escape(pattern[i]))
            i += 1
    return re.compile("".join(out) + ("(?:/.*)?" if below else ""))


class IgnoreRules:
    def __init__(self, lines: list[str]) -> None:
        self.rules: list[tuple[bool, re.Pattern[str]]] = []
        for line in lines:
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            negated = line.startswith("!")
            pattern = os.path.normpath(line.lstrip("!").strip()).lstrip("/")
            if pattern in ("", "."):
                continue
            self.rules.append((negated, _pattern_regex(pattern, below=True)))

    @property
    def has_exceptions(self) -> bool:
        """A `!` rule can bring back a file inside an ignored directory, so such a directory
        must still be walked."""
        return any(negated for negated, _ in self.rules)

    def ignores(self, rel: str) -> bool:
        ignored = False
        for negated, regex in self.rules:
            if regex.fullmatch(rel):
                ignored = not negated
        return ignored

    def keeps(self, rel: str) -> bool:
        """Whether a `!` exception is the last rule naming `rel`: the user asked for it."""
        kept = False
        for negated, regex in self.rules:
            if regex.fullmatch(rel):
                kept = negated
        return kept


def unreadable(rel: str, e: OSError) -> Exception:
    return detect_error(f"{rel} cannot be read: {e.strerror or e}.",
                        f"Make {rel} readable by the user running pack-it, or list it in .pack-itignore.")


def walk(top: Path, onerror: Callable[[OSError], None]) -> Iterator[tuple[str, list[str], list[str]]]:
    """os.walk(top, onerror=onerror), top-down (prune `dirnames` in place), without recursion:
    os.walk recurses once per level, so a tree 2000 directories deep was a RecursionError."""
    stack = [str(top)]
    while stack:
        path = stack.pop()
        try:
            with os.scandir(path) as it:
                entries = list(it)
        except OSError as e:
            onerror(e)
            continue
        dirnames: list[str] = []
        filenames: list[str] = []
        for entry in entries:
            try:
                is_dir = entry.is_dir()  # links to directories are listed as directories, as os.walk does
            except OSError:
                is_dir = False
            (dirnames if is_dir else filenames).append(entry.name)
        yield path, dirnames, filenames
        stack.extend(os.path.join(path, name) for name in reversed(dirnames))


def _check_name(rel: str) -> None:
    """A file name must be UTF-8: layers' tar headers, plans and messages carry it as text."""
    try:
        rel.encode("utf-8")
    except UnicodeEncodeError:
        shown = os.fsencode(rel).decode("utf-8", "backslashreplace")
        raise detect_error(f"{shown} has a file name that is not UTF-8.",
                           "Rename it, or list it in .pack-itignore.") from None


def _why(e: Exception) -> str:
    """A parser's refusal that is not a syntax error, in a few words."""
    if isinstance(e, RecursionError):
        return "it is nested too deeply"
    if "digits" in str(e):
        return "it holds a number too long to read"
    return str(e).rstrip(".")[:100]


class SourceTree:
    """An app directory, read only. Paths given and returned are relative, with `/`."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root).resolve()
        if not self.root.is_dir():
            raise detect_error(
                f"{root} is not a directory.", "Pass the path of the app's source folder."
            )
        lines = []
        for name in IGNORE_FILES:
            if (self.root / name).is_file():
                lines += (self.root / name).read_text(errors="replace").splitlines()
        self.ignore = IgnoreRules(lines)
        self._hashes: dict[str, bytes] = {}

    def _inside(self, path: Path) -> bool:
        try:
            path.resolve().relative_to(self.root)
            return True
        except (ValueError, RuntimeError, OSError):  # outside; a link loop (RuntimeError); too long
            return False

    def inside(self, rel: str) -> bool:
        """Whether `rel` resolves (links followed) to a path in the tree."""
        return self._inside(self.root / rel)

    def path(self, rel: str) -> Path:
        """The absolute path of `rel`, refusing anything that resolves outside the tree."""
        full = self.root / rel
        if not self._inside(full):
            raise detect_error(
                f"{rel} points outside the app directory.",
                "Replace the link with the file itself, or list it in .dockerignore.",
            )
        return full

    def _walkable_link(self, link: Path) -> bool:
        """Whether the files under a directory link are listed at the link's path, as a file
        link inside the tree reads its target: the link resolves to a directory in the tree
        that is neither ignored, nor never source (NOT_SOURCE_DIRS), nor one of the link's own
        ancestors (a loop). Links found under a link are not walked (`_walked`), so no chain of
        links can loop."""
        try:
            target = link.resolve(strict=True)
            rel = target.relative_to(self.root)
        except (ValueError, RuntimeError, OSError):  # outside, a loop, dangling
            return False
        parent = link.parent.resolve()
        never = ALWAYS_IGNORED + tuple(NOT_SOURCE_DIRS)  # a virtualenv's lib64 -> lib is not walked twice
        return (target.is_dir() and not any(part in never for part in (*rel.parts, *link.relative_to(self.root).parts))
                and not self.ignore.ignores(rel.as_posix()) and parent != target and target not in parent.parents)

    @cached_property
    def _walked(self) -> tuple[str, ...]:
        found = []

        def unreadable_dir(e: OSError) -> None:  # os.walk would leave the directory out silently
            rel = Path(e.filename).relative_to(self.root).as_posix() if e.filename else "a directory"
            raise unreadable(rel + "/", e)

        through_links: list[str] = []  # the in-tree directory links walked through, "link/"
        for dirpath, dirnames, filenames in walk(self.root, unreadable_dir):
            rel_dir = Path(dirpath).relative_to(self.root).as_posix()
            prefix = "" if rel_dir == "." else rel_dir + "/"
            if prefix.count("/") > MAX_DEPTH:  # its files' paths in a layer would pass PATH_MAX
                raise detect_error(f"{rel_dir[:40]}... is nested more than {MAX_DEPTH} directories deep.",
                                   "Flatten it, or list it in .pack-itignore.")
            kept = []
            for name in dirnames:
                rel = prefix + name
                full = Path(dirpath, name)
                if name in ALWAYS_IGNORED:
                    continue
                if full.is_symlink():
                    if prefix.startswith(tuple(through_links)) or not self._walkable_link(full):
                        continue
                    through_links.append(rel + "/")
                if self.ignore.ignores(rel) and not self.ignore.has_exceptions:
                    continue
                kept.append(name)
            dirnames[:] = sorted(kept)
            for name in filenames:
                rel = prefix + name
                full = Path(dirpath, name)
                if self.ignore.ignores(rel):
                    continue
                _check_name(rel)
                if full.is_symlink() and not (self._inside(full) and full.is_file()):
                    continue
                if full.is_file():
                    found.append(rel)
        return tuple(sorted(found))

    @cached_property
    def _secrets(self) -> dict[str, str]:
        def head(rel: str) -> Callable[[], bytes]:
            def read() -> bytes:
                with self.path(rel).open("rb") as f:
                    return f.read(SNIFF_BYTES)
            return read

        return {rel: why for rel in self._walked
                if not self.ignore.keeps(rel) and (why := secret_reason(rel, head(rel)))}

    def secret_files(self) -> dict[str, str]:
        """The files left out of the source because they look like secrets (`secret_reason`),
        each with the reason, sorted; a `!` exception in an ignore file keeps a file."""
        return dict(self._secrets)

    @cached_property
    def _files(self) -> tuple[str, ...]:
        return tuple(f for f in self._walked
                     if f not in self._secrets or PurePosixPath(f).name in INSTALL_CONFIG)

    def files(self) -> tuple[str, ...]:
        """Every regular file that is not ignored and not a secret (a credential-holding
        .npmrc stays, for the install to read; it is not a source file), sorted."""
        return self._files

    @cached_property
    def _source_files(self) -> tuple[str, ...]:
        venvs = tuple(str(PurePosixPath(f).parent) + "/" for f in self._files
                      if PurePosixPath(f).name == "pyvenv.cfg")
        return tuple(f for f in self._files
                     if not any(part in NOT_SOURCE_DIRS for part in PurePosixPath(f).parts[:-1])
                     and not f.endswith(NOT_SOURCE_SUFFIXES) and not f.startswith(venvs)
                     and f not in self._secrets)

    def source_files(self) -> tuple[str, ...]:
        """The files that are the app's source: `files()` without NOT_SOURCE_DIRS, virtual
        environments, bytecode and secret files."""
        return self._source_files

    def has_file(self, rel: str) -> bool:
        return rel in self._file_set

    @cached_property
    def _file_set(self) -> frozenset[str]:
        return frozenset(self._files)

    def has_dir(self, rel: str) -> bool:
        prefix = rel.rstrip("/") + "/"
        return any(f.startswith(prefix) for f in self._files)

    def glob(self, pattern: str) -> list[str]:
        regex = _pattern_regex(pattern)
        return [f for f in self._files if regex.fullmatch(f)]

    def read_bytes(self, rel: str) -> bytes:
        try:
            return self.path(rel).read_bytes()
        except OSError as e:  # unreadable (chmod 000), replaced by a directory while we read
            raise unreadable(rel, e) from None

    def read_text(self, rel: str) -> str:
        try:
            return self.read_bytes(rel).decode("utf-8")
        except UnicodeDecodeError as e:
            raise detect_error(f"{rel} is not valid UTF-8 (byte {e.start}).", "Save it as UTF-8.")

    def read_json(self, rel: str) -> object:
        text = self.read_text(rel)
        try:
            return json.loads(text)
        except json.JSONDecodeError as e:
            raise detect_error(
                f"{rel} is not valid JSON: {e.msg} at line {e.lineno}, column {e.colno}.",
                f"Fix the syntax of {rel}.",
            )
        except (RecursionError, ValueError) as e:  # nesting too deep; a number over 4300 digits
            raise detect_error(f"{rel} cannot be read as JSON: {_why(e)}.", f"Fix {rel}.") from None

    def read_toml(self, rel: str) -> dict:
        text = self.read_text(rel)
        try:
            return tomli.loads(text)
        except tomli.TOMLDecodeError as e:
            raise detect_error(f"{rel} is not valid TOML: {e}.", f"Fix the syntax of {rel}.")
        except (RecursionError, ValueError) as e:  # nesting too deep; an integer over 4300 digits
            raise detect_error(f"{rel} cannot be read as TOML: {_why(e)}.", f"Fix {rel}.") from None

    def digest(self, paths: list[str] | tuple[str, ...] | None = None) -> str:
        """A sha256 over the names and contents of `paths` (default: every file): a cache key
        input that changes exactly when the content does, never with timestamps."""
        h = hashlib.sha256()
        for rel in sorted(self._files if paths is None else paths):
            h.update(rel.encode() + b"\0")
            h.update(self._file_hash(rel))
        return h.hexdigest()

    def _file_hash(self, rel: str) -> bytes:
        """Each file is read and hashed once per tree, however many keys include it."""
        if rel not in self._hashes:
            full = self.path(rel)
            mode = b"x" if os.access(full, os.X_OK) else b"-"
            self._hashes[rel] = mode + hashlib.sha256(self.read_bytes(rel)).digest()
        return self._hashes[rel]
