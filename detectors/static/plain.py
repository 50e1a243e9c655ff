"""Plain sites, served as they are: a Staticfile (its `root:` and `pushstate:` lines, the Cloud
Foundry convention), else an index.html at the root or in public/, site/, www/, dist/, _site/,
else a tree of web files only. Never when another language's manifest is there: that app is
not a folder of files."""

from __future__ import annotations

import posixpath
import re

from pack_it.detectors.source import SourceTree
from pack_it.errors import detect_error

STATICFILE = "Staticfile"
ROOTS = (".", "public", "site", "www", "dist", "_site")
# Another language's manifest: the app is built by its own pack (or by none), never served as files.
MANIFESTS = ("package.json", "go.mod", "go.work", "requirements.txt", "pyproject.toml", "setup.py", "Pipfile",
             "Gemfile", "composer.json", "Cargo.toml", "pom.xml", "build.gradle", "build.gradle.kts", "mix.exs",
             "deno.json", "Procfile", "main.go", "main.py", "app.py", "server.py")
WEB_FILES = re.compile(r"\.(html?|css|js|mjs|map|json|txt|xml|svg|png|jpe?g|gif|webp|avif|ico|bmp|"
                       r"woff2?|ttf|otf|eot|webmanifest|wasm|mp4|webm|mp3|ogg|wav|pdf|gz|br|md)$", re.IGNORECASE)
IGNORED = ("README", "LICENSE", "LICENCE", "CNAME", ".nojekyll", "Staticfile", "pack-it-test.json",
           ".dockerignore", ".pack-itignore", ".gitignore")
LINE = re.compile(r"^\s*([A-Za-z_]+)\s*:\s*(.*?)\s*$")
TRUE = ("enabled", "true", "yes", "on", "1")
FALSE = ("disabled", "false", "no", "off", "0")


def manifest(tree: SourceTree, but: tuple[str, ...] = ()) -> str | None:
    """The first manifest of MANIFESTS in the tree (leaving out `but`), or None."""
    return next((rel for rel in MANIFESTS if rel not in but and tree.has_file(rel)), None)


def staticfile(tree: SourceTree) -> dict[str, tuple[str, int]]:
    """The Staticfile's `key: value` lines: key -> (value, line number). Unknown keys are kept
    for the caller to warn about; a line of another shape is an error naming it."""
    if not tree.has_file(STATICFILE):
        return {}
    found = {}
    for number, line in enumerate(tree.read_text(STATICFILE).splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        match = LINE.match(line)
        if match is None:
            raise detect_error(f"{STATICFILE}, line {number}: {line.strip()[:60]!r} is not a `key: value` line.",
                               "Write lines such as `root: public` or `pushstate: enabled`.")
        found[match.group(1).lower()] = (match.group(2).strip("'\""), number)
    return found


def flag(value: str, where: str) -> bool:
    if value.lower() in TRUE:
        return True
    if value.lower() in FALSE:
        return False
    raise detect_error(f"{where} is {value!r}, not enabled or disabled.", "Write enabled or disabled (true/false).")


def folder(tree: SourceTree, value: str, where: str) -> str:
    """A folder of the tree named by configuration, checked."""
    rel = posixpath.normpath(value.strip().strip("/") or ".")
    if value.strip().startswith("/") or rel == ".." or rel.startswith("../"):
        raise detect_error(f"{where} names {value!r}, which is not a folder inside the app.",
                           "Name a folder of the app, such as public.")
    return rel


def files_under(tree: SourceTree, root: str) -> list[str]:
    prefix = "" if root == "." else root + "/"
    return [f[len(prefix):] for f in tree.source_files() if f.startswith(prefix)]


def index_root(tree: SourceTree) -> str | None:
    """The first of ROOTS holding an index.html."""
    return next((root for root in ROOTS if tree.has_file(posixpath.join(root, "index.html")
                                                         if root != "." else "index.html")), None)


def only_web_files(tree: SourceTree) -> bool:
    """A tree of web files only (at least one HTML page): a site with no index.html."""
    files = [f for f in tree.source_files() if posixpath.basename(f).split(".")[0] not in IGNORED
             and posixpath.basename(f) not in IGNORED]
    return any(f.lower().endswith((".html", ".htm")) for f in files) and all(WEB_FILES.search(f) for f in files)
