"""What every hostile-input test asserts about pack-it's answer: the CLI run in this process
(so a traceback is an exception escaping `main`, not text to grep for), an exit code the README
documents, at most one `error:` sentence naming the file at fault and one `hint:`, and nothing
written anywhere but the cache (the app, the working directory and HOME are compared before
and after)."""

from __future__ import annotations

import os
import re
import stat
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from pack_it import cli
from pack_it.errors import BUILD_FAILED, EXIT_CODES

SIGTERM_EXIT = 143
DOCUMENTED = set(EXIT_CODES) | {SIGTERM_EXIT}


@dataclass(frozen=True)
class Answer:
    code: int
    stdout: str
    stderr: str

    @property
    def error(self) -> str:
        lines = [line for line in self.stderr.splitlines() if line.startswith("error: ")]
        return lines[0].removeprefix("error: ") if lines else ""


def snapshot(*roots: Path) -> dict[str, tuple]:
    """Every path under `roots` with its type, size and mtime (links not followed)."""
    seen: dict[str, tuple] = {}
    stack = [str(root) for root in roots if os.path.lexists(root)]  # not os.walk: it recurses
    while stack:
        directory = stack.pop()
        try:
            names = os.listdir(directory)
        except OSError:
            continue
        for name in names:
            full = os.path.join(directory, name)
            try:
                st = os.lstat(full)
            except OSError:
                continue
            is_dir = stat.S_ISDIR(st.st_mode)
            seen[full] = (stat.S_IFMT(st.st_mode), 0 if is_dir else st.st_size, 0 if is_dir else st.st_mtime_ns)
            if is_dir:
                stack.append(full)
    return seen


def run_cli(monkeypatch, capsys, argv: list[str], *, watch: tuple[Path, ...] = (), cache: Path | None = None,
            allowed: tuple[Path, ...] = ()) -> Answer:
    """`pack-it ARGV` in this process: its exit code and output. Fails the test on an exception
    that is not the CLI's own exit (a traceback), and if anything under `watch` (the app, the
    working directory, HOME outside the cache) but the `allowed` outputs changed."""
    monkeypatch.setattr(sys, "argv", ["pack-it", *argv])
    home = Path(os.environ["HOME"])
    cache = cache or home / ".cache" / "pack-it"
    before = snapshot(*watch, home)
    code: int | str | None = 0
    try:
        cli.main()
    except SystemExit as e:
        code = e.code
    out, err = capsys.readouterr()
    after = snapshot(*watch, home)
    changed = sorted(p for p in set(before) | set(after)
                     if before.get(p) != after.get(p) and not p.startswith(str(cache) + os.sep) and p != str(cache)
                     and not p.startswith(str(home / ".cache") + os.sep) and p != str(home / ".cache")
                     and p not in map(str, allowed))
    assert changed == [], f"written outside the cache: {changed[:5]}"
    assert isinstance(code, int), f"exit with {code!r}"
    return Answer(code, out, err)


def assert_one_sentence(answer: Answer, names: tuple[str, ...], code: int | None = None) -> None:
    """A documented exit code; on failure one `error:` line naming one of `names`, a hint, and
    nothing else on stderr but warnings."""
    assert answer.code in DOCUMENTED, (answer.code, answer.stderr)
    assert "Traceback" not in answer.stderr
    if code is not None:
        assert answer.code == code, (answer.code, answer.stderr[-2000:])
    if answer.code == 0:
        return
    lines = [line for line in answer.stderr.splitlines() if not line.startswith("warning: ")]
    if answer.code == BUILD_FAILED:  # the error quotes the failing tool's output, then the hint
        lines = [lines[0], lines[-1]]
    assert len(lines) in (1, 2) and lines[0].startswith("error: "), answer.stderr[-2000:]
    assert len(lines) == 1 or lines[1].startswith("hint: "), answer.stderr[-2000:]
    assert any(name in answer.error for name in names), (names, answer.error)
    assert len(answer.error) < 600, answer.error  # one sentence, not a dump of the input
    assert answer.code == BUILD_FAILED or re.search(r"[.?!):]$", answer.error.rstrip("'\"`")), answer.error


def need_non_root() -> None:
    if os.geteuid() == 0:
        pytest.skip("root reads any file: chmod 000 protects nothing")
