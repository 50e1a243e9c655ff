"""The shape a parsed manifest (TOML or JSON) must have where pack-it reads it, checked once,
right after parsing: a value of the wrong type (`project = "x"`, `requires-python = 3.11`,
Pipfile `packages = "x"`) is one sentence naming the file and the key, never a traceback
from deep inside a detector. Keys a schema does not name are not checked (pack-it does not
read them)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Mapping, Union

from pack_it.errors import INVALID_INPUT, PackItError, detect_error


@dataclass(frozen=True)
class Table:
    """A table (JSON object) whose named keys, when present, have these shapes."""

    fields: Mapping[str, Schema]


@dataclass(frozen=True)
class Each:
    """A table whose every value has this shape (`[packages]`, `scripts`)."""

    value: Schema


@dataclass(frozen=True)
class Array:
    item: Schema


@dataclass(frozen=True)
class AnyOf:
    options: tuple[Schema, ...]


Schema = Union[type, Table, Each, Array, AnyOf]


def _json_file(source: str) -> bool:
    return source.endswith(".json") or source == "Pipfile.lock"


def describe(schema: Schema, json_words: bool) -> str:
    table = "an object" if json_words else "a table"
    if isinstance(schema, (Table, Each)):
        return table
    if isinstance(schema, Array):
        return f"an array of {_plural(schema.item, json_words)}"
    if isinstance(schema, AnyOf):
        return " or ".join(describe(s, json_words) for s in schema.options)
    return {str: "a string", bool: "a boolean", int: "an integer", float: "a number"}.get(schema, schema.__name__)


def _plural(schema: Schema, json_words: bool) -> str:
    words = describe(schema, json_words).split(" or ")
    return " or ".join(w.split(" ", 1)[1] + "s" for w in words)


def kind(value: object, json_words: bool) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, dict):
        return "an object" if json_words else "a table"
    if isinstance(value, list):
        return "an array"
    if value is None:
        return "null"
    return {str: "a string", int: "an integer", float: "a number"}.get(type(value), type(value).__name__)


def _fits(value: object, schema: Schema) -> bool:
    if isinstance(schema, (Table, Each)):
        return isinstance(value, dict)
    if isinstance(schema, Array):
        return isinstance(value, list)
    if isinstance(schema, AnyOf):
        return any(_fits(value, s) for s in schema.options)
    if schema is int:
        return isinstance(value, int) and not isinstance(value, bool)
    return isinstance(value, schema)


def _walk(value: object, schema: Schema, path: str, source: str, json_words: bool) -> None:
    if isinstance(schema, AnyOf):
        fitting = next((s for s in schema.options if _fits(value, s)), None)
        if fitting is None:
            raise _wrong(path, schema, value, source, json_words)
        _walk(value, fitting, path, source, json_words)
        return
    if not _fits(value, schema):
        raise _wrong(path, schema, value, source, json_words)
    if isinstance(schema, Table):
        assert isinstance(value, dict)
        for key, sub in schema.fields.items():
            if key in value:
                _walk(value[key], sub, f"{path}.{key}" if path else key, source, json_words)
    elif isinstance(schema, Each):
        assert isinstance(value, dict)
        for key, item in value.items():
            _walk(item, schema.value, f"{path}.{key}" if path else str(key), source, json_words)
    elif isinstance(schema, Array):
        assert isinstance(value, list)
        for i, item in enumerate(value):
            _walk(item, schema.item, f"{path}[{i}]", source, json_words)


def _wrong(path: str, schema: Schema, value: object, source: str, json_words: bool) -> PackItError:
    shown = json.dumps(value, default=str)
    shown = shown if len(shown) <= 40 else shown[:37] + "..."
    where = f"`{path}`" if path else "the whole file"
    return detect_error(
        f"{source}: {where} must be {describe(schema, json_words)}, not {kind(value, json_words)} ({shown}).",
        f"Fix {where} in {source}." if path else f"Rewrite {source} (or regenerate it with its tool).",
        exit_code=INVALID_INPUT,
    )


def check(data: object, schema: Schema, source: str) -> None:
    """Raises an error naming `source` and the key at fault unless `data` has `schema`'s shape."""
    _walk(data, schema, "", source, _json_file(source))
