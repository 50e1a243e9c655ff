"""A token-bearing .npmrc is read by the install but never kept in the cache (issue 14
leftover): the full install is renamed into <cache>/packs/node/modules/ with the manifests it
was run beside, and the .npmrc among them held the token."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

from pack_it.detectors.source import SourceTree
from pack_it.lifecycle.cache import Cache
from pack_it.lifecycle.context import BuildContext
from pack_it.packs import node as node_pack

TOKEN = "npm_TOPSECRETtoken1234567890"


def test_the_install_sees_the_npmrc_and_the_cache_keeps_no_copy(tmp_path):
    app = tmp_path / "app"
    app.mkdir()
    (app / "package.json").write_text('{"name": "a", "dependencies": {"left-pad": "1.3.0"}}\n')
    (app / ".npmrc").write_text(f"//registry.example.com/:_authToken={TOKEN}\n")
    cache = Cache(tmp_path / "cache")
    seen: list[str] = []

    def run(argv, env, cwd, what):  # the package manager: reads .npmrc, writes node_modules
        seen.append((Path(cwd) / ".npmrc").read_text())
        (Path(cwd) / "node_modules" / "left-pad").mkdir(parents=True)

    tree = SourceTree(app)
    ctx = SimpleNamespace(tree=tree, work=cache.work_dir(), cache=cache, reporter=SimpleNamespace(step=print), run=run)
    ctx.copy_source = lambda dest, files=None: BuildContext.copy_source(ctx, dest, files)  # type: ignore[arg-type]
    full = cache.pack_dir("node", "modules") / "key"
    node_pack._install_full(ctx, node_pack._manifest_files(tree), full, ["npm"], "npm", None, {})  # type: ignore[arg-type]
    assert seen and TOKEN in seen[0]  # the install read it
    assert (full / "node_modules" / "left-pad").is_dir()
    holding = [p for p in (tmp_path / "cache").rglob("*") if p.is_file() and TOKEN.encode() in p.read_bytes()]
    assert holding == []
