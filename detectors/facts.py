"""What a detector finds: plain, frozen data, each decision with the file that decided it."""

from __future__ import annotations

from dataclasses import dataclass, field

DEFAULT = "default"  # the `source` of a decision no file made


@dataclass(frozen=True)
class Runtime:
    name: str
    version: str
    source: str


@dataclass(frozen=True)
class PackageManager:
    name: str
    source: str


@dataclass(frozen=True)
class Framework:
    name: str
    source: str


@dataclass(frozen=True)
class RunImageChoice:
    """The stack the app needs at run time (`static`, `cc`, `python`, `node`)."""

    name: str
    source: str


@dataclass(frozen=True)
class Process:
    type: str
    command: tuple[str, ...]
    source: str
    default: bool = False


@dataclass(frozen=True)
class Detection:
    """One detector's findings. `details` holds language-specific facts a pack builds from
    (JSON-able values only, so the plan can be printed and snapshotted)."""

    language: str
    runtime: Runtime | None = None
    package_manager: PackageManager | None = None
    framework: Framework | None = None
    run_image: RunImageChoice | None = None
    processes: tuple[Process, ...] = ()
    warnings: tuple[str, ...] = ()
    details: dict = field(default_factory=dict)
