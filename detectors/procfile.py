"""Procfile: `type: command` lines naming the app's processes, as Heroku defined them. Each
command is kept as written: the detect phase decides how the image runs it (lifecycle/launch:
directly, through pack-it's launcher, or with a shell added for it)."""

from __future__ import annotations

import re
import shlex

from pack_it.errors import detect_error
from pack_it.detectors.facts import Detection, Process
from pack_it.detectors.source import SourceTree

PROCFILE = "Procfile"
LINE = re.compile(r"^([A-Za-z0-9_-]+)\s*:\s*(.*)$")


def detect(tree: SourceTree) -> Detection | None:
    if not tree.has_file(PROCFILE):
        return None
    processes: list[Process] = []
    seen: set[str] = set()  # a set, not a scan of `processes`: a huge Procfile stays linear
    for number, raw in enumerate(tree.read_text(PROCFILE).splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        match = LINE.match(line)
        if not match or not match.group(2).strip():
            raise detect_error(
                f"Procfile line {number} is not of the form `type: command`: {line!r:.80}.",
                "Write one process per line, e.g. `web: ./server`.",
            )
        ptype, command = match.group(1), match.group(2).strip()
        try:
            argv = shlex.split(command, comments=True)
        except ValueError as e:
            raise detect_error(f"Procfile line {number} cannot be split into words: {e}.",
                               "Balance the quotes in that command.")
        if not argv:
            raise detect_error(f"Procfile process {ptype!r:.80} has no command.", "Write the command after the colon.")
        if ptype in seen:
            raise detect_error(f"Procfile defines process {ptype!r:.80} twice.", "Keep one of them.")
        seen.add(ptype)
        processes.append(Process(type=ptype, command=tuple(argv), source=PROCFILE, written=command))
    if not processes:
        return None
    return Detection(language="procfile", processes=tuple(processes))
