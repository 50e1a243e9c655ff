"""The source repository and revision of an app in a git checkout, read from .git's files
(no git binary needed), for the org.opencontainers.image.source/revision labels.

The app is untrusted and labels are published, so nothing from .git reaches a label unless
it is what a label should hold: the revision is a 40/64-hex object name read from a ref
whose name git itself would accept, through regular files only (a symlink could point at
any host file); the source URL loses its credentials, query and fragment.
"""

from __future__ import annotations

import os
import re
import stat
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

OBJECT_NAME = re.compile(r"[0-9a-f]{40}|[0-9a-f]{64}")  # SHA-1 or SHA-256 repositories
MAX_GIT_FILE = 1 << 20  # a ref or HEAD is tens of bytes; packed-refs and config stay small
MAX_SYMREF_DEPTH = 5  # git's own limit is 5 levels of symbolic refs
# Characters git check-ref-format refuses anywhere in a ref name (besides control chars).
REF_FORBIDDEN = set(" ~^:?*[\\")
CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def valid_ref_name(ref: str) -> bool:
    """git check-ref-format's rules, for a ref HEAD may point at (always under refs/)."""
    if not ref.startswith("refs/") or ref.endswith(("/", ".")) or "@{" in ref or ".." in ref:
        return False
    if CONTROL.search(ref) or REF_FORBIDDEN.intersection(ref):
        return False
    components = ref.split("/")
    return all(c and not c.startswith(".") and not c.endswith(".lock") for c in components)


def _read_regular(base: Path, rel: str) -> str | None:
    """The text of `base/rel` if every component below `base` is a real directory and the
    last a regular file: never a symlink, which could lead out of the git dir."""
    path = base
    parts = rel.split("/")
    for i, part in enumerate(parts):
        path = path / part
        try:
            mode = os.lstat(path).st_mode
        except OSError:
            return None
        last = i == len(parts) - 1
        if not (stat.S_ISREG(mode) if last else stat.S_ISDIR(mode)):
            return None
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    except OSError:
        return None
    with os.fdopen(fd, "rb") as f:
        data = f.read(MAX_GIT_FILE + 1)
    if len(data) > MAX_GIT_FILE:
        return None
    return data.decode("utf-8", errors="replace")


def _linked_git_dir(dot_git: Path) -> Path | None:
    """The git dir a worktree's or submodule's `.git` file names (`gitdir: <path>`). A linked
    worktree's git dir names that `.git` file back (its `gitdir` file), as git checks."""
    text = _read_regular(dot_git.parent, dot_git.name)
    match = re.fullmatch(r"gitdir: *([^\x00-\x1f]+)\n?", text or "")
    if not match:
        return None
    git = (dot_git.parent / match.group(1)).resolve()
    if not git.is_dir():
        return None
    if (git / "commondir").exists():
        back = _read_regular(git, "gitdir")
        if back is None or (git / back.strip()).resolve() != dot_git.resolve():
            return None
    return git


def _git_dir(app: Path) -> Path | None:
    for directory in (app, *app.parents):
        dot_git = directory / ".git"
        if dot_git.is_symlink():
            return None
        if dot_git.is_dir():
            return dot_git
        if dot_git.is_file():
            return _linked_git_dir(dot_git)
    return None


def _common_dir(git: Path) -> Path:
    """Where a linked worktree's branches live (its `commondir`); else the git dir itself."""
    common = _read_regular(git, "commondir")
    if common is None or CONTROL.search(common.strip()):
        return git
    path = (git / common.strip()).resolve()
    return path if path.is_dir() else git


def _packed_ref(base: Path, ref: str) -> str | None:
    for line in (_read_regular(base, "packed-refs") or "").splitlines():
        parts = line.split(" ")
        if len(parts) == 2 and parts[1] == ref:
            return parts[0]
    return None


def _resolve(git: Path, value: str, depth: int = 0) -> str | None:
    """The object name HEAD's (or a ref's) content leads to, or None for anything else."""
    value = value.strip()
    if OBJECT_NAME.fullmatch(value):
        return value
    ref = value.removeprefix("ref: ")
    if ref == value or depth >= MAX_SYMREF_DEPTH or not valid_ref_name(ref):
        return None
    for base in dict.fromkeys((git, _common_dir(git))):
        loose = _read_regular(base, ref)
        if loose is not None:
            return _resolve(git, loose, depth + 1)
        packed = _packed_ref(base, ref)
        if packed is not None:
            return packed if OBJECT_NAME.fullmatch(packed) else None
    return None  # a repository with no commit yet


def revision(app: Path) -> str | None:
    git = _git_dir(app)
    if git is None:
        return None
    head = _read_regular(git, "HEAD")
    return _resolve(git, head) if head is not None else None


def clean_url(url: str) -> str | None:
    """`url` without userinfo, query or fragment, in any of git's URL forms; None if it holds
    control characters (a newline would forge another label or line)."""
    if CONTROL.search(url):
        return None
    if re.match(r"[A-Za-z][A-Za-z0-9+.-]*://", url):
        try:
            parts = urlsplit(url)
        except ValueError:  # e.g. a malformed IPv6 host
            return None
        host = parts.netloc.rsplit("@", 1)[-1]
        return urlunsplit((parts.scheme, host, parts.path, "", ""))
    url = re.split(r"[?#]", url, maxsplit=1)[0]
    # scp-like `[user[:password]@]host:path`: the userinfo ends at the last @ before the path.
    authority, slash, path = url.partition("/")
    return authority.rsplit("@", 1)[-1] + slash + path


def source_url(app: Path) -> str | None:
    """The `origin` remote's URL, without any credentials in it."""
    git = _git_dir(app)
    text = None
    for base in dict.fromkeys((git, _common_dir(git))) if git else ():
        text = _read_regular(base, "config")
        if text is not None:
            break
    if text is None:
        return None
    import configparser  # only for an app in a git checkout (4 ms of every build's start-up)

    config = configparser.ConfigParser(strict=False, interpolation=None)
    try:
        config.read_string(text)
    except configparser.Error:
        return None
    url = config.get('remote "origin"', "url", fallback="").strip()
    return (clean_url(url) or None) if url else None
