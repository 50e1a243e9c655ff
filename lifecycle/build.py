"""The build phase: each pack of the plan, in order, turns the source into layers. The
env of a pack's build layers (their bin/ on PATH) is visible to the packs after it."""

from __future__ import annotations

import os
from pathlib import Path

from pack_it.detectors.source import SourceTree
from pack_it.lifecycle.cache import Cache
from pack_it.lifecycle.context import BuildContext
from pack_it.lifecycle.layers import Layer
from pack_it.lifecycle.plan import Plan
from pack_it.lifecycle.reporter import Reporter
from pack_it.lifecycle.sandbox import Sandbox
from pack_it.lifecycle.versions import VersionsIndex
from pack_it.lifecycle.contract import PackRegistry


def build(plan: Plan, packs: PackRegistry, tree: SourceTree, env: dict[str, str], cache: Cache, work: Path,
          epoch: int, reporter: Reporter, index: VersionsIndex, sandbox: Sandbox = Sandbox()) -> list[Layer]:
    layers: list[Layer] = []
    build_env: dict[str, str] = {}
    for pack_id in plan.packs:
        pack = packs.by_id(pack_id)
        reporter.step(f"{pack_id} {pack.VERSION}")
        ctx = BuildContext(pack_id, tree, plan, env, cache, work, reporter, epoch, dict(build_env), index,
                           pack_version=pack.VERSION, sandbox=sandbox)
        for layer in pack.build(ctx):
            layers.append(layer)
            if layer.build and layer.path is not None:
                if (layer.path / "bin").is_dir():
                    build_env["PATH"] = f"{layer.path / 'bin'}{os.pathsep}{build_env.get('PATH', sandbox.base_env().get('PATH', ''))}"
                build_env.update(layer.env)
    return layers
