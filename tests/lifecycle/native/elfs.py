"""Small ELF files made with the host's gcc (not a test module)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest


def gcc() -> str:
    found = shutil.which("gcc")
    if found is None:
        pytest.fail("gcc is not installed: it makes the test's ELF files (see .ci/run)")
    return found


def library(directory: Path, name: str, soname: str, needs: list[Path] = ()) -> Path:
    """A shared library `name` with DT_SONAME `soname`, linked against `needs`."""
    directory.mkdir(parents=True, exist_ok=True)
    source = directory / f"{name}.c"
    source.write_text(f"int {name.split('.')[0].replace('-', '_')}_value(void) {{ return 42; }}\n")
    out = directory / name
    subprocess.run([gcc(), "-shared", "-fPIC", f"-Wl,-soname,{soname}", "-o", str(out), str(source),
                    *(str(n) for n in needs)], check=True, capture_output=True)
    source.unlink()
    return out


def program(out: Path, libraries: list[Path], flags: list[str] = ()) -> Path:
    """An executable that calls into each of `libraries` (so each is DT_NEEDED)."""
    out.parent.mkdir(parents=True, exist_ok=True)
    source = out.parent / "main.c"
    calls = [p.name.split(".")[0].replace("-", "_") + "_value" for p in libraries]
    source.write_text("".join(f"int {c}(void);\n" for c in calls) +
                      "int main(void) { return 0" + "".join(f" + {c}()" for c in calls) + "; }\n")
    subprocess.run([gcc(), "-o", str(out), str(source), *(str(p) for p in libraries), "-lm", *flags],
                   check=True, capture_output=True)
    source.unlink()
    return out
