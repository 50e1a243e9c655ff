"""What a detector finds: plain, frozen data, each decision with the file that decided it."""

from __future__ import annotations

import dataclasses
import types
import typing
from dataclasses import dataclass
from typing import Any, TypeVar, Union

DEFAULT = "default"  # the `source` of a decision no file made
F = TypeVar("F", bound="Facts")


@dataclass(frozen=True)
class Facts:
    """A pack's language-specific facts: a frozen dataclass of JSON-able fields (str, int,
    bool, None, tuples, str-keyed dicts, nested Facts), so the plan can be printed, cached and
    snapshotted, and a pack reads typed attributes, never string keys. Subclasses add fields;
    to_json/from_json come from here."""

    def to_json(self) -> dict:
        return {f.name: _to_json(getattr(self, f.name)) for f in dataclasses.fields(self)}

    @classmethod
    def from_json(cls: type[F], data: dict) -> F:
        if not isinstance(data, dict):
            raise TypeError(f"{cls.__name__} facts must be an object, not {type(data).__name__}")
        hints = typing.get_type_hints(cls)
        return cls(**{f.name: _from_json(hints[f.name], data[f.name])
                      for f in dataclasses.fields(cls) if f.name in data})


def _to_json(value: Any) -> Any:
    if isinstance(value, Facts):
        return value.to_json()
    if isinstance(value, (tuple, list)):
        return [_to_json(v) for v in value]
    if isinstance(value, dict):
        return {k: _to_json(v) for k, v in value.items()}
    return value


def _from_json(hint: Any, value: Any) -> Any:
    """`value` read back as the field's declared type (tuples and nested Facts rebuilt)."""
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in (Union, types.UnionType):
        if value is None:
            return None
        inner = [a for a in args if a is not type(None)]
        return _from_json(inner[0], value) if len(inner) == 1 else value
    if isinstance(hint, type) and issubclass(hint, Facts):
        return hint.from_json(value)
    if origin is tuple:
        item = args[0] if args else Any
        return tuple(_from_json(item, v) for v in value)
    if origin is dict and len(args) == 2:
        return {k: _from_json(args[1], v) for k, v in value.items()}
    return value


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
    """A process the image can run. A detector gives either `command`, a plain argv it made
    (`gunicorn app:app`), or `written`, the command as the app writes it (a Procfile line, a
    package.json script); the detect phase (lifecycle/launch) then fills in `command`, the
    argv the image runs, `runs` (direct, launcher or shell) and `shell` (why the image needs
    one, or None)."""

    type: str
    command: tuple[str, ...]
    source: str
    default: bool = False
    written: str = ""
    runs: str = ""
    shell: str | None = None


@dataclass(frozen=True)
class Detection:
    """One detector's findings. `facts` are the language-specific facts its pack builds from."""

    language: str
    runtime: Runtime | None = None
    package_manager: PackageManager | None = None
    framework: Framework | None = None
    run_image: RunImageChoice | None = None
    processes: tuple[Process, ...] = ()
    warnings: tuple[str, ...] = ()
    facts: Facts | None = None
