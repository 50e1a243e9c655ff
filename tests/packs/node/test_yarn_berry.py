"""Yarn berry's prune: Yarn 2/3 without `workspaces focus`, and a prune that never writes
through the hard links into the cached full install."""

from __future__ import annotations

import os

from pack_it.packs import node as node_pack
from pack_it.packs.node import tools


def test_yarn_2_and_3_prune_by_installing_without_dev_dependencies():
    assert tools.prune_argv("yarn-berry", "3.2.4") == ["install"]
    assert tools.prune_env("yarn-berry", "2.4.3") == {"YARN_ENABLE_IMMUTABLE_INSTALLS": "false"}
    assert tools.prune_argv("yarn-berry", "4.9.2") == ["workspaces", "focus", "--all", "--production"]
    assert tools.prune_argv("yarn-berry", None) == ["workspaces", "focus", "--all", "--production"]  # pack-it's 4.x
    assert tools.prune_env("yarn", "1.22.22") == {}


def test_the_files_a_prune_rewrites_are_no_longer_shared_with_the_cache(tmp_path):
    full = tmp_path / "full"
    files = ["package.json", "yarn.lock", ".yarn/install-state.gz", "node_modules/.yarn-state.yml",
             "node_modules/koa/package.json"]
    for rel in files:
        (full / rel).parent.mkdir(parents=True, exist_ok=True)
        (full / rel).write_text(f"full install: {rel}\n")
    work = tmp_path / "work"
    node_pack._link_tree(full, work)
    node_pack._unshare(work)
    for rel in files[:4]:
        assert not os.path.samefile(full / rel, work / rel), rel
        (work / rel).write_text("production\n")  # as yarn writes them, in place
        assert (full / rel).read_text() == f"full install: {rel}\n"
        assert (work / rel).read_text() == "production\n"
    assert os.path.samefile(full / files[4], work / files[4])  # the packages themselves stay linked (fast)
