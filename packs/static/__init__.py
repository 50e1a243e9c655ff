"""Static pack: a site's files served by Debian's nginx, on the `nginx` stack, as non-root.

    detect  detectors/static: a plain site (Staticfile, index.html, web files only) or a
            front-end build (package.json's build script runs vite, react-scripts, ng build,
            astro, next with output: 'export', ...), SPA or multi-page, the folder served
    build   a front-end build runs exactly as the Node pack runs one (build.py reuses
            packs/node: the versions index's Node, the app's package manager, frozen, the
            install kept in the cache by the lockfile); Node never reaches the image.
            site    the site's files at /layers/static/site/www (links inside it copied as
                    files, links leading out and dot paths left out) and nginx.conf beside it
            server  start.sh (server.py), the entrypoint, run by /bin/dash
"""

from __future__ import annotations

import os
import shutil
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from pack_it.detectors import static as static_detector
from pack_it.detectors.facts import Detection, Process
from pack_it.detectors.source import SourceTree
from pack_it.detectors.static.facts import StaticFacts
from pack_it.detectors.static.routing import NOT_FOUND
from pack_it.lifecycle.contract import ReleaseFetchers
from pack_it.lifecycle.layers import Layer
from pack_it.lifecycle.reporter import Reporter
from pack_it.lifecycle.versions import VersionsIndex
from pack_it.packs.node import runtime as node_runtime
from pack_it.packs.static import server

if TYPE_CHECKING:  # annotations only: importing the build machinery is left to the build
    from pack_it.lifecycle.context import BuildContext

ID = "static"
VERSION = "0.1.0"
LOOKS_FOR = "a Staticfile, an index.html (root, public/, site/, www/, dist/, _site/) or a front-end build script"
FACTS = StaticFacts
RELEASES: ReleaseFetchers = {}
WWW = "www"  # the served folder inside the site layer (nginx.conf sits beside it, never served)


def detect(tree: SourceTree, env: dict[str, str], index: VersionsIndex) -> Detection | None:
    detection = static_detector.detect(tree, env, lambda: index.versions(node_runtime.INDEX_RUNTIME))
    if detection is None:
        return None
    facts = detection.facts
    assert isinstance(facts, StaticFacts)
    web = Process("web", server.START, f"{facts.root_source} (nginx, {'SPA' if facts.spa else 'multi-page'})",
                  default=True)
    return replace(detection, processes=(web,))


def build(ctx: BuildContext) -> list[Layer]:
    facts = ctx.plan.facts(ID, StaticFacts)
    if facts.front_end is None:
        prefix = "" if facts.root == "." else facts.root + "/"
        files = [f for f in ctx.tree.source_files() if f.startswith(prefix)]
        inputs: dict[str, object] = {"root": facts.root, "files": ctx.tree.digest(files)}

        def fill(layer: Path) -> None:
            staged = ctx.copy_source(ctx.work / "site-src", files)
            _site(ctx.reporter, staged / facts.root, layer, facts, conf_cache=ctx.cache_dir("nginx-conf"))
    else:
        from pack_it.packs.static import frontend  # Node's machinery only for builds

        front = facts.front_end
        source = ctx.tree.source_files()
        inputs = {"build": frontend.inputs(ctx, front), "source": ctx.tree.digest(source),
                  "root": facts.root}

        def fill(layer: Path) -> None:
            built = frontend.run_build(ctx, front, source)
            _site(ctx.reporter, built / facts.root, layer, facts, facts.root_source, ctx.cache_dir("nginx-conf"))

    inputs.update(spa=facts.spa, headers=facts.headers, template=server.template_digest())
    site = ctx.layer("site", inputs, fill, unchanged="site unchanged")
    start = server.start_script()
    launcher = ctx.layer("server", {"start.sh": start},
                         lambda layer: _write(layer / "start.sh", start), unchanged="start script unchanged")
    return [site, launcher]


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def _site(reporter: Reporter, root: Path, layer: Path, facts: StaticFacts, where: str | None = None,
          conf_cache: Path | None = None) -> None:
    """The served folder: `root`'s files, without dot paths (but .well-known/), links inside it
    copied as the files they name, links leading out (or to folders) left out; nginx.conf beside it."""
    from pack_it.errors import BUILD_FAILED, build_error

    if not root.is_dir():
        raise build_error(f"The build wrote no {facts.root}/ folder ({where or facts.root_source} names it).",
                          "Build into that folder, or set --env PACK_IT_STATIC_ROOT=<folder>.",
                          exit_code=BUILD_FAILED)
    www = layer / WWW
    real_root = root.resolve()
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root)
        if any(part.startswith(".") for part in rel.parts) and rel.parts[0] != ".well-known":
            continue
        if path.is_symlink():
            target = path.resolve()
            if not target.is_file() or not target.is_relative_to(real_root):
                reporter.warn(f"{facts.root}/{rel.as_posix()} is a link leading out of the site (or to a folder): "
                              "not served.")
                continue
        elif not path.is_file():
            continue
        (www / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, www / rel)  # a link inside the site becomes the file it names
    www.mkdir(parents=True, exist_ok=True)
    has_404 = (www / NOT_FOUND).is_file() and not facts.spa
    _write(layer / "nginx.conf", server.nginx_conf(facts, has_404, VERSION, conf_cache))
    os.chmod(layer / "nginx.conf", 0o644)
