"""The source repository and revision of an app in a git checkout, read from .git's files
(no git binary needed), for the org.opencontainers.image.source/revision labels."""

from __future__ import annotations

import configparser
import re
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit


def _git_dir(app: Path) -> Path | None:
    for directory in (app, *app.parents):
        dot_git = directory / ".git"
        if dot_git.is_dir():
            return dot_git
        if dot_git.is_file():  # a worktree or submodule: "gitdir: <path>"
            match = re.match(r"gitdir:\s*(.+)", dot_git.read_text().strip())
            if match:
                return (directory / match.group(1)).resolve()
    return None


def revision(app: Path) -> str | None:
    git = _git_dir(app)
    if git is None or not (git / "HEAD").is_file():
        return None
    head = (git / "HEAD").read_text().strip()
    if not head.startswith("ref: "):
        return head if re.fullmatch(r"[0-9a-f]{40,64}", head) else None
    ref = head[5:]
    common = Path(git / "commondir").read_text().strip() if (git / "commondir").is_file() else "."
    for base in (git, (git / common).resolve()):
        if (base / ref).is_file():
            return (base / ref).read_text().strip()
        packed = base / "packed-refs"
        if packed.is_file():
            for line in packed.read_text().splitlines():
                parts = line.split()
                if len(parts) == 2 and parts[1] == ref:
                    return parts[0]
    return None  # a repository with no commit yet


def source_url(app: Path) -> str | None:
    """The `origin` remote's URL, without any credentials in it."""
    git = _git_dir(app)
    if git is None:
        return None
    config = configparser.ConfigParser(strict=False, interpolation=None)
    try:
        config.read(git / "config")
    except configparser.Error:
        return None
    url = config.get('remote "origin"', "url", fallback=None)
    if not url:
        return None
    parts = urlsplit(url)
    if parts.scheme and "@" in parts.netloc:
        parts = parts._replace(netloc=parts.netloc.rsplit("@", 1)[1])
    return urlunsplit(parts) if parts.scheme else url
