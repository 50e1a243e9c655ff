"""Launching: how each process of the plan runs in the image.

- `direct`: a plain argv (`gunicorn app:app`): the image's entrypoint is the program itself;
- `launcher`: a command with $VAR expansions, VAR=value prefixes, &&-joined steps, `cd` or
  `exec` (`uvicorn main:app --port ${PORT:-8000}`): the entrypoint is pack-it's launcher
  (launcher/main.go, a small static binary added as a layer) given the command as written;
- `shell`: a command only a shell runs (a pipe, a redirection, `;`, `||`): `/bin/sh -c`.

A command that needs a shell, or runs a shell script (`./start.sh` whose first line is
`#!/bin/sh`, `sh start.sh`, `bash bin/run`), gets the smallest shell Debian packages added to
that image alone (dash; busybox-static on the libc-less static stack), and the plan warns,
naming the file and line. Language-free: the packs' detectors say what was written, and where.
"""

from __future__ import annotations

import posixpath
import re
import shlex
from dataclasses import replace

from pack_it.detectors.facts import Process
from pack_it.detectors.source import SourceTree
from pack_it.lifecycle.launch.command import NeedsShell, Step, literal, parse, shown

LAYER_PACK = "lifecycle"
LAYER_NAME = "launcher"
LAUNCHER = f"/layers/{LAYER_PACK}/{LAYER_NAME}/launcher"  # where the launcher layer puts it
SHELL = "/bin/sh"
SHELLS = ("sh", "bash", "dash")
SHEBANG = re.compile(rb"#!\s*(\S+)(?:[ \t]+(\S+))?")

DIRECT, LAUNCHED, SHELLED = "direct", "launcher", "shell"


def _shell_script(tree: SourceTree, cwd: str, program: str) -> str | None:
    """Which shell runs `program` when it is a script in the tree (`./start.sh`, `bin/run`)."""
    if "/" not in program:
        return None
    rel = posixpath.normpath(posixpath.join(cwd, program))
    if rel.startswith("../") or rel.startswith("/") or not tree.has_file(rel):
        return None
    match = SHEBANG.match(tree.read_bytes(rel)[:256])
    if not match:
        return None
    interpreter = match.group(1).decode(errors="replace")
    if posixpath.basename(interpreter) == "env" and match.group(2):
        interpreter = match.group(2).decode(errors="replace")
    name = posixpath.basename(interpreter)
    return name if name in SHELLS else None


def _scripts(tree: SourceTree, steps: tuple[Step, ...]) -> str | None:
    """Why the command needs a shell although the launcher can run it: it starts one."""
    cwd = ""
    for step in steps:
        program = literal(step.argv[0])
        if program is None:
            continue
        if step.is_cd:
            target = literal(step.argv[1])
            if target is not None:
                cwd = posixpath.normpath(posixpath.join(cwd, target))
            continue
        if program in SHELLS:
            script = literal(step.argv[1]) if len(step.argv) > 1 else None
            return f"it runs {program}{f' {script}' if script else ''}"
        if shell := _shell_script(tree, cwd, program):
            return f"{posixpath.normpath(posixpath.join(cwd, program)) if cwd else program} is a {shell} script"
    return None


def _line(tree: SourceTree, source: str, written: str) -> str:
    """`source`, with the line of its file that holds the command (`Procfile line 2`)."""
    file = source.split(" (", 1)[0]
    if not tree.has_file(file):
        return source
    needles = (written, written.replace('"', '\\"'))
    for number, text in enumerate(tree.read_text(file).splitlines(), start=1):
        if any(n in text for n in needles):
            return f"{file} line {number}{source[len(file):]}"
    return source


def resolve(process: Process, tree: SourceTree, stack: str | None = None) -> tuple[Process, list[str]]:
    """How `process` runs (its `command`, `runs` and `shell` filled in from `written`), and the
    warnings the plan shows for it. A process with nothing written is a plain argv already."""
    process = replace(process, written=process.written or shlex.join(process.command))
    text = process.written
    shell: str | None = None
    command: tuple[str, ...]
    try:
        steps = parse(text)
    except NeedsShell as e:
        command, runs, shell = (SHELL, "-c", text), SHELLED, f"it uses {e}"
    else:
        shell = _scripts(tree, steps)
        plain = [literal(w) for w in steps[0].argv]
        if len(steps) == 1 and not steps[0].assigns and not steps[0].is_cd and None not in plain:
            command, runs = tuple(p for p in plain if p is not None), DIRECT
        else:
            command, runs = (LAUNCHER, text), LAUNCHED
    warnings = []
    if shell:
        which = _shell_package(stack or "")
        warnings.append(f"{_line(tree, process.source, text)}: `{text}` needs a shell ({shell}): {which} is added to "
                        f"this image as /bin/sh. Without a shell the image is smaller; `&&`, `cd`, `exec`, "
                        "VAR=value and $VAR need none.")
    return replace(process, command=command, runs=runs, shell=shell), warnings


def _shell_package(stack: str) -> str:
    """The Debian package that gives `stack`'s images a /bin/sh: dash where the stack has a
    libc, busybox-static where it has none."""
    from pack_it.lifecycle.launch.layers import has_libc
    from pack_it.lifecycle.stacks.definitions import DEFAULT_RELEASE, STACKS

    name, _, release = stack.partition("-")
    return "dash" if name not in STACKS or has_libc(name, release or DEFAULT_RELEASE) else "busybox-static"


def how(written: str, runs: str, command: list[str] | tuple[str, ...]) -> str:
    """How a process runs, in words, for `detect` and `inspect`."""
    if runs == LAUNCHED:
        try:
            steps = parse(written)
        except NeedsShell:  # not pack-it's plan: say what the image holds
            return f"through the launcher: {shlex.join(command)}"
        lines = []
        for n, step in enumerate(steps):
            verb = "cd" if step.is_cd else ("exec" if n == len(steps) - 1 else "run")
            words = step.argv[1:] if step.is_cd else step.argv
            env = " ".join(f"{name}={shown(value)}" for name, value in step.assigns)
            lines.append(" ".join(x for x in (verb, env, " ".join(shown(w) for w in words)) if x))
        return "through pack-it's launcher: " + "; ".join(lines)
    if runs == SHELLED:
        return f"with a shell: {shlex.join(command)}"
    return f"directly: {shlex.join(command)}"
