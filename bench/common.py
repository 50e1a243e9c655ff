"""What the benchmarks share: the pack-it command, sample apps, commands that must succeed,
clean-up of read-only trees, and median [min-max] figures."""

from __future__ import annotations

import json
import os
import shutil
import stat
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SAMPLE_APPS = ROOT / "sample_apps"


class CommandFailed(Exception):
    pass


def run(argv: list[str], what: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    proc = subprocess.run(argv, capture_output=True, text=True, env=env)
    if proc.returncode != 0:
        raise CommandFailed(f"{what} failed (exit code {proc.returncode}): {' '.join(argv)}\n"
                            f"--- stderr ---\n{proc.stderr.rstrip()}\n"
                            f"--- stdout ---\n{proc.stdout.rstrip()}")
    return proc


def pack_it_command() -> list[str]:
    exe = shutil.which("pack-it")
    if exe is None:
        sys.exit("error: `pack-it` is not on PATH; install it with `pip install -e .` first.")
    return [exe]


def detect(pack_it: list[str], app_dir: Path) -> dict | None:
    """The plan `pack-it detect --json` prints, or None if no pack accepts the directory."""
    proc = subprocess.run(pack_it + ["detect", "--json", str(app_dir)], capture_output=True, text=True)
    return json.loads(proc.stdout) if proc.returncode == 0 else None


def app_list(value: str, parser) -> list[str]:
    """The --apps value as names, each a directory of sample_apps/."""
    apps = [a.strip() for a in value.split(",") if a.strip()]
    unknown = [a for a in apps if not (SAMPLE_APPS / a).is_dir()]
    if unknown:
        parser.error(f"no such sample app: {', '.join(unknown)} (in {SAMPLE_APPS})")
    return apps


def remove_tree(path: Path) -> None:
    """rmtree that also removes read-only trees (Go's module cache is read-only)."""
    def make_writable_and_retry(func, p, _exc):
        os.chmod(os.path.dirname(p), stat.S_IRWXU)
        if os.path.exists(p) and not os.path.islink(p):
            os.chmod(p, stat.S_IRWXU)
        func(p)

    if not path.exists():
        return
    for dirpath, dirnames, _ in os.walk(path):
        for d in dirnames:
            full = os.path.join(dirpath, d)
            if not os.path.islink(full):
                os.chmod(full, os.stat(full).st_mode | stat.S_IRWXU)
    shutil.rmtree(path, onerror=make_writable_and_retry)


def progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def summary(times: list[float]) -> dict:
    return {"median": statistics.median(times), "min": min(times), "max": max(times), "runs": times}


def cell(times: list[float]) -> str:
    return f"{statistics.median(times):.2f} [{min(times):.2f}-{max(times):.2f}]"
