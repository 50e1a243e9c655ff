"""Inputs sized to blow up a careless parser: linear time, one sentence, never a hang."""

from __future__ import annotations

import subprocess
import sys
import time

from pack_it.detectors import procfile
from pack_it.detectors.source import SourceTree
from tests.conftest import REPO


def test_a_procfile_with_100k_processes_is_parsed_in_linear_time(tmp_path):
    (tmp_path / "Procfile").write_text("".join(f"p{i}: ./server --name p{i}\n" for i in range(100_000)))
    started = time.monotonic()
    detection = procfile.detect(SourceTree(tmp_path))
    assert len(detection.processes) == 100_000
    assert time.monotonic() - started < 30  # quadratic: 5e9 comparisons, many minutes


def test_a_10_mb_procfile_line_finishes(tmp_path):
    (tmp_path / "Procfile").write_text("web: ./server " + "arg " * 2_500_000 + "\n")
    started = time.monotonic()
    detection = procfile.detect(SourceTree(tmp_path))
    assert len(detection.processes[0].command) == 2_500_001
    assert time.monotonic() - started < 60


def test_a_duplicate_at_the_end_of_a_huge_procfile_is_one_sentence(tmp_path):
    (tmp_path / "Procfile").write_text("".join(f"p{i}: ./x\n" for i in range(50_000)) + "p7: ./y\n")
    (tmp_path / "go.mod").write_text("module x\n\ngo 1.22\n")
    (tmp_path / "main.go").write_text("package main\n\nfunc main() {}\n")
    proc = subprocess.run([sys.executable, "-m", "pack_it", "detect", str(tmp_path)], capture_output=True,
                          text=True, timeout=120, env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin",
                                                       "HOME": str(tmp_path)})
    assert proc.returncode == 21 and "Procfile defines process 'p7' twice" in proc.stderr
    assert "Traceback" not in proc.stderr
