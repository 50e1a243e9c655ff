"""The detect phase: try the pack groups in order, merge the winners' findings into a Plan."""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import replace
from pathlib import Path

from pack_it.detectors.facts import Detection, Process
from pack_it.detectors.source import SourceTree
from pack_it.errors import NOTHING_DETECTED, detect_error
from pack_it.lifecycle.cache import atomic_file
from pack_it.lifecycle.plan import Plan
from pack_it.lifecycle.versions import VersionsIndex, shipped
from pack_it.lifecycle.contract import Group, PackRegistry


def _run_group(group: Group, tree: SourceTree, env: dict[str, str],
               index: VersionsIndex) -> list[tuple[str, Detection]] | None:
    found = []
    for member in group.members:
        detection = member.pack.detect(tree, env, index)
        if detection is None:
            if member.optional:
                continue
            return None
        found.append((member.id, detection))
    return found


def _merge_processes(found: list[tuple[str, Detection]]) -> tuple[Process, ...]:
    """Later packs override earlier ones by process type (a Procfile's `web` wins); the
    default is `web` if there is one, else what a pack marked default, else the first."""
    by_type: dict[str, Process] = {}
    for _, detection in found:
        for process in detection.processes:
            earlier = by_type.get(process.type)
            # An earlier pack that read this very line (the same type from the same file) and
            # rewrote it into what the image can run (`go run .` -> the built binary) keeps it.
            if earlier is not None and earlier.source == process.source:
                continue
            by_type[process.type] = process
    processes = list(by_type.values())
    default = by_type.get("web") or next((p for p in processes if p.default), None)
    if default is None and processes:
        default = processes[0]
    return tuple(replace(p, default=p is default) for p in processes)


def detect(tree: SourceTree, packs: PackRegistry, env: dict[str, str] | None = None,
           index: VersionsIndex | None = None) -> Plan:
    """The plan: a function of the tree, the --env values and the versions index (by default
    the one shipped with pack-it), never of what a registry serves on the day."""
    from pack_it.lifecycle import launch  # here, not above: a no-op rebuild reads its plan from the cache

    env = env or {}
    index = index or shipped()
    groups = packs.groups
    for group in groups:
        found = _run_group(group, tree, env, index)
        if not found:
            continue
        first = lambda attr: next((getattr(d, attr) for _, d in found if getattr(d, attr)), None)  # noqa: E731
        run_image = first("run_image")
        processes, launch_warnings = [], []
        for process in _merge_processes(found):
            resolved, said = launch.resolve(process, tree, run_image.name if run_image else None)
            processes.append(resolved)
            launch_warnings += said
        return Plan(
            language=found[0][1].language,
            packs=tuple(pack_id for pack_id, _ in found),
            runtime=first("runtime"),
            package_manager=first("package_manager"),
            framework=first("framework"),
            run_image=run_image,
            processes=tuple(processes),
            warnings=tuple(w for _, d in found for w in d.warnings) + tuple(launch_warnings),
            details={pack_id: d.facts for pack_id, d in found if d.facts is not None},
            versions_index=index.to_json(),
        )
    looked_for = [m.pack.LOOKS_FOR for g in groups for m in g.members if not m.optional]

    raise detect_error(
        f"No pack detected an app in {tree.root.name}/: looked for {', '.join(looked_for)}.",
        "Run pack-it on the folder that holds the app's manifest.",
        exit_code=NOTHING_DETECTED,
    )


def _plan_key(tree: SourceTree, env: dict[str, str], index: VersionsIndex) -> str:
    """Detection is a function of the tree's content, the --env values, the versions index and
    pack-it's own settings: the same inputs give the same plan, so a no-op rebuild need not
    detect again."""
    from pack_it import __version__

    settings = {k: v for k, v in os.environ.items() if k.startswith("PACK_IT_")}
    return hashlib.sha256(json.dumps([__version__, tree.digest(), env, settings, index.digest],
                                     sort_keys=True).encode()).hexdigest()


def detect_cached(tree: SourceTree, packs: PackRegistry, env: dict[str, str], cache_dir: Path,
                  index: VersionsIndex) -> Plan:
    path = cache_dir / "plans" / f"{_plan_key(tree, env, index)}.json"
    try:
        data = json.loads(path.read_text())
        return Plan.from_json(data, packs.facts_types(tuple(data["packs"])))
    except (OSError, ValueError, KeyError, TypeError):
        pass
    plan = detect(tree, packs, env, index=index)
    with atomic_file(path, cache_dir / "tmp") as f:
        f.write(json.dumps(plan.to_json(), sort_keys=True).encode())
    return plan
