"""What a pack's build sees: the source tree, the plan, the user's --env values, the env of
earlier packs' build layers, a scratch directory and the cache."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Mapping

from pack_it.detectors.source import SourceTree
from pack_it.errors import BUILD_FAILED, build_error
from pack_it.lifecycle.archive import ROOT, LayerBlob
from pack_it.lifecycle.cache import Cache
from pack_it.lifecycle.layers import Layer, layer_key, owner_of
from pack_it.lifecycle import reaper
from pack_it.lifecycle.plan import Plan
from pack_it.lifecycle.reporter import Reporter
from pack_it.lifecycle.sandbox import Sandbox, Step
from pack_it.lifecycle.versions import VersionsIndex, shipped

TOOL_OUTPUT_LINES = 30  # how much of a failing tool's output the error shows
# ... and of each line: a bundled tool's stack trace can quote a line of minified code that is
# megabytes long (yarn berry's does).
TOOL_OUTPUT_LINE_CHARS = 400
SLOW_STEP_SECONDS = 2.0


@dataclass
class BuildContext:
    pack: str
    tree: SourceTree
    plan: Plan
    env: dict[str, str]  # --env values from the user
    cache: Cache
    work: Path  # scratch space, removed after the build
    reporter: Reporter
    epoch: int  # the layers' fixed mtime
    build_env: dict[str, str] = field(default_factory=dict)  # from earlier packs' build layers
    index: VersionsIndex = field(default_factory=shipped)  # the one the plan was made with
    pack_version: str = ""  # part of every key the pack's layers get
    sandbox: Sandbox = field(default_factory=Sandbox)  # how run() runs tools (default: on the host)
    tools: list[Path] = field(default_factory=list)  # bound read-only into every step (bind_tools)

    def bind_tools(self, *paths: Path) -> None:
        """Directories (or files) the pack's tools live in outside the build root (a fetched Go,
        Node.js, npm, uv): every later step sees them read-only at their own paths."""
        for path in paths:
            if Path(path) not in self.tools:
                self.tools.append(Path(path))

    @property
    def provided_toolchains(self) -> bool:
        """Whether the pack must run the toolchains pack-it provides (fetched and checked, run on
        the build root), not whatever the host has: every build but `--toolchain host`."""
        return self.sandbox.toolchain == "pack-it"

    def key(self, **inputs: object) -> str:
        """A cache key for what this pack makes from `inputs` (content digests, versions,
        flags: JSON-able values, never timestamps). The --env values are always part of it:
        the build's tools see them, so they can change what a layer holds (a digest of them,
        never the values, which may be secrets)."""
        env = hashlib.sha256(json.dumps(sorted(self.env.items())).encode()).hexdigest()
        return layer_key(pack=self.pack, pack_version=self.pack_version, build_env=env, **inputs)

    def layer(self, name: str, inputs: Mapping[str, object], fill: Callable[[Path], Path | None], *,
              at: str | None = None, env: Mapping[str, str] | None = None,
              unchanged: str = "inputs unchanged") -> Layer:
        """A launch layer made from `inputs`: the one built earlier from the same inputs when
        the cache has it (reported as reused, `unchanged` saying why), else `fill(directory)`
        fills a fresh directory (or returns another directory holding the contents). The
        exporter records it under its key, so the next build reuses it."""
        # who owns the files is part of what the layer is (lifecycle/layers.py: the app's directory)
        key = self.key(**inputs, **({"owner": owner_of(at)} if owner_of(at) != ROOT else {}))
        reused = self.reuse(name, key, at)
        if reused is not None:
            self.reporter.step(f"  reusing layer {name} ({unchanged})")
            return reused
        directory = self.layer_dir(name)
        filled = fill(directory) or directory
        return Layer(self.pack, name, key, path=filled, launch=True, env=dict(env or {}), at=at)

    def reuse(self, name: str, key: str, at: str | None = None) -> Layer | None:
        """The layer built earlier from the same inputs, if the cache still has it."""
        record = self.cache.layer_record(self.pack, name, key, self.epoch)
        if record is None:
            return None
        blob = LayerBlob(record["digest"], record["size"], record["diff_id"], record["uncompressed_size"])
        return Layer(self.pack, name, key, launch=True, env=record.get("env", {}), blob=blob,
                     has_bin=record.get("has_bin", False), reused=True, at=at)

    def layer_dir(self, name: str) -> Path:
        path = self.work / "layers" / self.pack / name
        path.mkdir(parents=True, exist_ok=True)
        return path

    def copy_source(self, dest: Path, files: list[str] | tuple[str, ...] | None = None) -> Path:
        """A copy of the tree's source files (default: `tree.source_files()`, without build
        outputs and caches) at `dest`: what a tool reads instead of the app directory, where a
        link can lead to any host file, and what goes into an app layer. Copies, not hard
        links: the app's file could change while the tool reads it."""
        for rel in self.tree.source_files() if files is None else files:
            (dest / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(self.tree.path(rel), dest / rel)
            shutil.copymode(self.tree.path(rel), dest / rel)
        return dest

    def tool_path(self, *dirs: Path) -> str:
        """PATH for a step's tools: `dirs` first, then what earlier packs' build layers put on
        PATH, else the sandbox's own (the build root's /usr/bin, where `sh` is)."""
        rest = self.build_env.get("PATH") or self.sandbox.base_env().get("PATH", "")
        return os.pathsep.join([*map(str, dirs), rest])

    def cache_dir(self, name: str) -> Path:
        return self.cache.pack_dir(self.pack, name)

    def run(self, argv: list[str], env: dict[str, str], cwd: Path, what: str,
            tools: tuple[Path, ...] | list[Path] = ()) -> None:
        """Runs a tool in the build sandbox (lifecycle/sandbox/); on failure, a build error
        quoting the end of its output. `tools` are the directories (or files) the tool's
        programs live in outside the build root: a fetched Go, Node.js, npm; they are bound
        read-only at their own paths. The step may write only into the build's scratch and the
        pack's cache directory."""
        self.reporter.detail("$ " + " ".join(argv))
        # The user's --env values reach every tool (a registry token, say); the reporter and
        # errors mask them (lifecycle/secrets.py). The pack's own settings win.
        full_env = {**self.sandbox.base_env(), **self.build_env, **self.env, **env}
        step = Step(list(argv), full_env, cwd, writable=(self.work, self.cache.root / "packs" / self.pack),
                    tools=(*self.tools, *(Path(t) for t in tools)))
        argv, full_env, cwd = self.sandbox.command(step)
        started = time.monotonic()
        # reaper: neither the tool nor anything it starts outlives pack-it, even a SIGKILLed one
        proc = reaper.run(argv, cwd=cwd, env=full_env, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True, errors="replace")
        for line in proc.stdout.splitlines():
            self.reporter.detail("  " + line)
        elapsed = time.monotonic() - started
        if elapsed > SLOW_STEP_SECONDS:
            self.reporter.step(f"  {what}: {elapsed:.1f}s")
        else:  # with -v every step's time (bench/static_bench.py reads the build script's)
            self.reporter.detail(f"  {what}: {elapsed:.2f}s")
        if proc.returncode != 0:
            tail = "\n".join(line if len(line) <= TOOL_OUTPUT_LINE_CHARS else line[:TOOL_OUTPUT_LINE_CHARS] + " …"
                             for line in proc.stdout.strip().splitlines()[-TOOL_OUTPUT_LINES:])
            raise build_error(
                f"{what} failed (exit {proc.returncode}):\n{tail}",
                "Fix the error above; the same command works outside pack-it"
                + (" (it ran in the build sandbox: --sandbox none runs it on the host)." if self.sandbox.enabled else "."),
                exit_code=BUILD_FAILED,
            )
