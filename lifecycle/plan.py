"""The plan: what the detect phase decided, as plain frozen data. `to_json()` is both the
`pack-it detect --json` output (a documented, public schema) and the snapshot format."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping

from pack_it.detectors.facts import F, Facts, Framework, PackageManager, Process, RunImageChoice, Runtime


@dataclass(frozen=True)
class Plan:
    language: str
    packs: tuple[str, ...]
    runtime: Runtime | None = None
    package_manager: PackageManager | None = None
    framework: Framework | None = None
    run_image: RunImageChoice | None = None
    processes: tuple[Process, ...] = ()
    warnings: tuple[str, ...] = ()
    details: Mapping[str, Facts] = field(default_factory=dict)  # pack id -> that pack's facts
    versions_index: dict | None = None  # {date, digest} of the versions index detection read

    @property
    def default_process(self) -> Process | None:
        return next((p for p in self.processes if p.default), None)

    @property
    def needs_shell(self) -> bool:
        """Some process needs /bin/sh (lifecycle/launch): the image gets one."""
        return any(p.shell for p in self.processes)

    @property
    def needs_launcher(self) -> bool:
        return any(p.runs == "launcher" for p in self.processes)

    def to_json(self) -> dict:
        def named(value, *keys):
            return None if value is None else {k: getattr(value, k) for k in keys}

        return {
            "language": self.language,
            "runtime": named(self.runtime, "name", "version", "source"),
            "package_manager": named(self.package_manager, "name", "source"),
            "framework": named(self.framework, "name", "source"),
            "run_image": named(self.run_image, "name", "source"),
            "processes": [
                {"type": p.type, "command": list(p.command), "default": p.default, "source": p.source,
                 "written": p.written, "runs": p.runs, "shell": p.shell}
                for p in self.processes
            ],
            "packs": list(self.packs),
            "warnings": list(self.warnings),
            "details": {pack_id: facts.to_json() for pack_id, facts in self.details.items()},
            "versions_index": self.versions_index,
        }

    def facts(self, pack_id: str, kind: type[F]) -> F:
        """The facts `pack_id` detected, as its pack's type."""
        found = self.details[pack_id]
        if not isinstance(found, kind):
            raise TypeError(f"the plan's {pack_id} facts are a {type(found).__name__}, not a {kind.__name__}")
        return found

    @classmethod
    def from_json(cls, data: dict, facts_types: Mapping[str, type[Facts]]) -> "Plan":
        """The plan `to_json` wrote; each pack's facts are read back as `facts_types[pack]`."""
        def made(kind, value):
            return None if value is None else kind(**value)

        return cls(
            language=data["language"],
            packs=tuple(data["packs"]),
            runtime=made(Runtime, data["runtime"]),
            package_manager=made(PackageManager, data["package_manager"]),
            framework=made(Framework, data["framework"]),
            run_image=made(RunImageChoice, data["run_image"]),
            processes=tuple(Process(p["type"], tuple(p["command"]), p["source"], p["default"], p["written"],
                                    p["runs"], p["shell"]) for p in data["processes"]),
            warnings=tuple(data["warnings"]),
            details={pack_id: facts_types[pack_id].from_json(facts) for pack_id, facts in data["details"].items()},
            versions_index=data.get("versions_index"),
        )
