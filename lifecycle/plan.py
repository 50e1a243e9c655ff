"""The plan: what the detect phase decided, as plain frozen data. `to_json()` is both the
`pack-it detect --json` output (a documented, public schema) and the snapshot format."""

from __future__ import annotations

from dataclasses import dataclass, field

from pack_it.detectors.facts import Framework, PackageManager, Process, RunImageChoice, Runtime


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
    details: dict = field(default_factory=dict)  # pack id -> that pack's facts
    versions_index: dict | None = None  # {date, digest} of the versions index detection read

    @property
    def default_process(self) -> Process | None:
        return next((p for p in self.processes if p.default), None)

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
                {"type": p.type, "command": list(p.command), "default": p.default, "source": p.source}
                for p in self.processes
            ],
            "packs": list(self.packs),
            "warnings": list(self.warnings),
            "details": self.details,
            "versions_index": self.versions_index,
        }

    @classmethod
    def from_json(cls, data: dict) -> "Plan":
        def made(kind, value):
            return None if value is None else kind(**value)

        return cls(
            language=data["language"],
            packs=tuple(data["packs"]),
            runtime=made(Runtime, data["runtime"]),
            package_manager=made(PackageManager, data["package_manager"]),
            framework=made(Framework, data["framework"]),
            run_image=made(RunImageChoice, data["run_image"]),
            processes=tuple(Process(p["type"], tuple(p["command"]), p["source"], p["default"])
                            for p in data["processes"]),
            warnings=tuple(data["warnings"]),
            details=data["details"],
            versions_index=data.get("versions_index"),
        )
