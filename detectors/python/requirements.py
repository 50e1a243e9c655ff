"""requirements.txt as pip reads it: -r includes and -c constraints (followed, relative to the
including file, never outside the tree), markers, URLs, editables and hashes, parsed by
pip-requirements-parser."""

from __future__ import annotations

import optparse
import shlex

import posixpath
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

from packaging.markers import Marker

from pack_it.detectors.source import SourceTree
from pack_it.errors import INVALID_INPUT, UNSUPPORTED, detect_error

REQUIREMENTS = "requirements.txt"
REMOTE = ("http://", "https://", "file:", "ftp://")

MAX_BYTES = 2_000_000  # the largest lock exported to requirements seen in the wild is ~1 MB


def _pip_parser():
    """Imported on first use: it costs start-up time every command would pay."""
    import pip_requirements_parser as pip_parser

    if pip_parser.get_line_parser is not _line_parser:
        pip_parser.get_line_parser = _line_parser
    return pip_parser


def _line_parser():
    """pip's line parser, built once instead of once per line (11 optparse options each time:
    5 ms a line, so a 10 MB requirements.txt took minutes). Each line still starts from its own
    copy of the defaults (their lists too), which is why pip built a new parser (append options accumulate)."""
    import pip_requirements_parser as pip_parser

    parser = pip_parser.build_parser()
    pristine = parser.get_default_values()

    def parse_line(line: str):
        args_str, options_str = pip_parser.break_args_options(line)
        defaults = optparse.Values({k: list(v) if isinstance(v, list) else v for k, v in vars(pristine).items()})
        opts, arguments = parser.parse_args(shlex.split(options_str), defaults)
        return args_str, opts, arguments

    return parse_line



@dataclass(frozen=True)
class Requirement:
    name: str | None  # None for a bare URL or path: its name is only known once built
    marker: Marker | None
    source: str  # file and line, for messages


@dataclass(frozen=True)
class Requirements:
    files: tuple[str, ...]  # the top file, then every file it includes, in the order pip reads them
    requirements: tuple[Requirement, ...]  # what is installed; constraints only restrict versions


def _included(rel: str, line: int, target: str, tree: SourceTree) -> str:
    if target.startswith(REMOTE):
        raise detect_error(f"{rel} line {line} includes {target}, a remote file pack-it does not fetch.",
                           "Copy that file into the app and include it by its relative path.",
                           exit_code=UNSUPPORTED)
    path = posixpath.normpath(posixpath.join(posixpath.dirname(rel), target))
    if posixpath.isabs(path) or path.split("/")[0] == ".." or not tree.inside(path):
        raise detect_error(f"{rel} line {line} includes {target}, which is outside the app.",
                           "Copy that file into the app and include it by its relative path.")
    if not tree.has_file(path):
        raise detect_error(f"{rel} line {line} includes {target}, which is not in the app.",
                           f"Add {path}, or remove that line.")
    return path


def _local_target(target: str) -> str | None:
    """The file-system path a requirement or option names (a path or a file: URL), else None."""
    if target.startswith("file:"):
        parts = urlsplit(target)
        return unquote(parts.path) if parts.netloc in ("", "localhost") else "//" + parts.netloc
    if "://" in target:
        return None
    return target


def _check_inside(rel: str, line: int, target: str, tree: SourceTree) -> None:
    """Refuses a wheel, sdist or directory outside the app: the installer would put a host
    file into the image. Relative paths are checked from the file's directory and from the
    app's root (pip resolves them from its working directory, uv from the file)."""
    path = _local_target(target.split("#", 1)[0])
    if path is None:
        return
    for base in dict.fromkeys((posixpath.dirname(rel), "")):
        joined = posixpath.normpath(posixpath.join(base, path))
        if posixpath.isabs(joined) or joined.split("/")[0] == ".." or not tree.inside(joined):
            raise detect_error(f"{rel} line {line} installs {target}, which is outside the app.",
                               "Copy the package into the app and name it by a relative path, or "
                               "publish it to an index.", exit_code=UNSUPPORTED)


def _check_local_paths(rel: str, parsed, tree: SourceTree) -> None:
    for req in parsed.requirements:
        if req.link is not None and (req.is_local_path or req.link.is_file):
            _check_inside(rel, req.line_number, req.link.url, tree)
    for option in parsed.options:
        for target in option.options.get("find_links", []):
            _check_inside(rel, option.requirement_line.line_number, target, tree)
        for key in ("index_url", "extra_index_urls"):
            urls = option.options.get(key) or []
            for target in [urls] if isinstance(urls, str) else urls:
                if target.startswith("file:"):
                    _check_inside(rel, option.requirement_line.line_number, target, tree)


def _read(tree: SourceTree, rel: str, constraint: bool, seen: set[tuple[str, bool]],
          files: list[str], found: list[Requirement]) -> None:
    seen.add((rel, constraint))
    if rel not in files:
        files.append(rel)
    text = tree.read_text(rel)  # a clear error for a file that is not UTF-8
    if len(text) > MAX_BYTES:  # pip's parser takes about 1 ms a line: 10 MB would be minutes
        raise detect_error(f"{rel} is {len(text) / 1e6:.1f} MB; pack-it reads requirements files up to "
                           f"{MAX_BYTES // 1_000_000} MB.", f"Trim {rel} to the app's dependencies.",
                           exit_code=INVALID_INPUT)
    parsed = _pip_parser().RequirementsFile.from_file(str(tree.path(rel)), include_nested=False)
    for invalid in parsed.invalid_lines:
        line = invalid.requirement_line
        raise detect_error(f"{rel} line {line.line_number} cannot be parsed: {line.line.strip()!r:.80}.",
                           f"Fix or remove that line; pip would refuse it too "
                           f"({invalid.error_message.splitlines()[0].strip()}).",
                           exit_code=INVALID_INPUT)
    _check_local_paths(rel, parsed, tree)
    if not constraint:
        for req in parsed.requirements:
            found.append(Requirement(req.name, req.marker, f"{rel} line {req.line_number}"))
    for option in parsed.options:
        line = option.requirement_line.line_number
        for key, is_constraint in (("requirements", constraint), ("constraints", True)):
            for target in option.options.get(key, []):
                path = _included(rel, line, target, tree)
                if (path, is_constraint) not in seen:  # an include cycle is read once
                    _read(tree, path, is_constraint, seen, files, found)


def read(tree: SourceTree, rel: str = REQUIREMENTS) -> Requirements:
    files: list[str] = []
    found: list[Requirement] = []
    _read(tree, rel, False, set(), files, found)
    return Requirements(tuple(files), tuple(found))
