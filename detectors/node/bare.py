"""A Node.js server with no package.json at all: a `server.js` (or `app.js`, `index.js`) at the
root that needs nothing but Node's built-in modules. It runs as `node server.js` with nothing
installed; one that requires a package has nowhere to install it from, and is refused.

Node's own fallback files (start.py's FALLBACK_FILES), in its order."""

from __future__ import annotations

import re

from pack_it.detectors.node.start import FALLBACK_FILES
from pack_it.detectors.source import SourceTree
from pack_it.errors import UNSUPPORTED, detect_error

# A browser script beside an index.html is a static site's, not a server.
STATIC_PAGE = "index.html"
# require("x"), import ... from "x", import("x"), import "x": the module specifier.
_SPECIFIER = re.compile(r"""(?:\brequire\s*\(\s*|\bimport\s*\(\s*|\bfrom\s+|^\s*import\s+)(['"])([^'"\n]+)\1""",
                        re.MULTILINE)
_COMMENT = re.compile(r"/\*.*?\*/|(?<![:'\"\\])//[^\n]*", re.DOTALL)
# node -p "require('module').builtinModules" (Node 18-24), without the internal _ ones.
BUILTINS = frozenset("""
assert async_hooks buffer child_process cluster console constants crypto dgram diagnostics_channel dns domain
events fs http http2 https inspector module net os path perf_hooks process punycode querystring readline repl
stream string_decoder sys timers tls trace_events tty url util v8 vm wasi worker_threads zlib test sqlite sea
""".split())


def entry(tree: SourceTree) -> str | None:
    """The file a package.json-less app starts from, or None when this is not one."""
    if tree.has_file("package.json") or tree.has_file(STATIC_PAGE):
        return None
    return next((rel for rel in FALLBACK_FILES if tree.has_file(rel)), None)


def packages_required(text: str) -> list[str]:
    """The npm packages a file requires or imports (relative paths and built-ins left out)."""
    found = []
    for match in _SPECIFIER.finditer(_COMMENT.sub("", text)):
        spec = match.group(2)
        if spec.startswith((".", "/")):
            continue
        name = spec.removeprefix("node:")
        top = "/".join(name.split("/")[:2]) if name.startswith("@") else name.split("/")[0]
        if spec.startswith("node:") or top in BUILTINS:
            continue
        if top not in found:
            found.append(top)
    return found


def check(tree: SourceTree, rel: str) -> None:
    """Refuses an entry file that needs packages: with no package.json nothing installs them."""
    lines = tree.read_text(rel).splitlines()
    for number, line in enumerate(lines, 1):
        needed = packages_required(line)
        if needed:
            raise detect_error(
                f"{rel} line {number} requires {needed[0]}, and there is no package.json to install it from.",
                f"Add a package.json listing it (`npm init -y && npm install {needed[0]}`), and commit the lockfile.",
                exit_code=UNSUPPORTED,
            )
