"""The detect phase: try the pack groups in order, merge the winners' findings into a Plan."""

from __future__ import annotations

from dataclasses import replace

from pack_it.detectors.facts import Detection, Process
from pack_it.detectors.source import SourceTree
from pack_it.errors import NOTHING_DETECTED, detect_error
from pack_it.lifecycle.plan import Plan
from pack_it.packs import GROUPS, Group


def _run_group(group: Group, tree: SourceTree, env: dict[str, str]) -> list[tuple[str, Detection]] | None:
    found = []
    for member in group.members:
        detection = member.pack.detect(tree, env)
        if detection is None:
            if member.optional:
                continue
            return None
        found.append((member.pack.ID, detection))
    return found


def _merge_processes(found: list[tuple[str, Detection]]) -> tuple[Process, ...]:
    """Later packs override earlier ones by process type (a Procfile's `web` wins); the
    default is `web` if there is one, else what a pack marked default, else the first."""
    by_type: dict[str, Process] = {}
    for _, detection in found:
        for process in detection.processes:
            by_type[process.type] = process
    processes = list(by_type.values())
    default = by_type.get("web") or next((p for p in processes if p.default), None)
    if default is None and processes:
        default = processes[0]
    return tuple(replace(p, default=p is default) for p in processes)


def detect(tree: SourceTree, env: dict[str, str] | None = None, groups: tuple[Group, ...] = GROUPS) -> Plan:
    env = env or {}
    for group in groups:
        found = _run_group(group, tree, env)
        if not found:
            continue
        first = lambda attr: next((getattr(d, attr) for _, d in found if getattr(d, attr)), None)  # noqa: E731
        return Plan(
            language=found[0][1].language,
            packs=tuple(pack_id for pack_id, _ in found),
            runtime=first("runtime"),
            package_manager=first("package_manager"),
            framework=first("framework"),
            run_image=first("run_image"),
            processes=_merge_processes(found),
            warnings=tuple(w for _, d in found for w in d.warnings),
            details={pack_id: d.details for pack_id, d in found if d.details},
        )
    looked_for = sorted({m.pack.LOOKS_FOR for g in groups for m in g.members if not m.optional})
    raise detect_error(
        f"No pack detected an app in {tree.root.name}/: looked for {', '.join(looked_for)}.",
        "Run pack-it on the folder that holds the app's manifest.",
        exit_code=NOTHING_DETECTED,
    )
