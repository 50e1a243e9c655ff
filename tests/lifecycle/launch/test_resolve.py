"""How a process runs (lifecycle/launch.resolve): directly, through the launcher, or with a
shell, which the plan then warns about, naming the file and line."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

from pack_it.detectors.facts import Process
from pack_it.detectors.source import SourceTree
from pack_it.lifecycle.launch import LAUNCHER, how, resolve
from pack_it.lifecycle.launch.layers import BINARY, shell_level


def tree(tmp_path, files: dict[str, str]) -> SourceTree:
    for rel, text in files.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(text)
    return SourceTree(tmp_path)


def resolved(tmp_path, written: str, files=None, stack="python"):
    t = tree(tmp_path, {"Procfile": f"# the app\nweb: {written}\n", **(files or {})})
    return resolve(Process("web", (), "Procfile", written=written), t, stack)


@pytest.mark.parametrize("written, runs, command", [
    ("gunicorn app:app", "direct", ("gunicorn", "app:app")),
    ("exec node 'my server.js'", "direct", ("node", "my server.js")),
    ("uvicorn main:app --port $PORT", "launcher", (LAUNCHER, "uvicorn main:app --port $PORT")),
    ("NODE_ENV=production node server.js", "launcher", (LAUNCHER, "NODE_ENV=production node server.js")),
    ("cd backend && node index.js", "launcher", (LAUNCHER, "cd backend && node index.js")),
    ("node server.js | cat", "shell", ("/bin/sh", "-c", "node server.js | cat")),
])
def test_how_each_command_runs(tmp_path, written, runs, command):
    process, warnings = resolved(tmp_path, written)
    assert (process.runs, process.command, process.written) == (runs, command, written)
    assert bool(warnings) == (runs == "shell")


def test_a_shell_warning_names_the_file_and_line(tmp_path):
    process, warnings = resolved(tmp_path, "node a.js; node b.js")
    assert process.shell == "it uses several commands (;)"
    assert warnings == ["Procfile line 2: `node a.js; node b.js` needs a shell (it uses several commands (;)): dash is "
                        "added to this image as /bin/sh. Without a shell the image is smaller; `&&`, `cd`, `exec`, "
                        "VAR=value and $VAR need none."]


def test_busybox_on_the_static_stack(tmp_path):
    _, warnings = resolved(tmp_path, "./start.sh", {"start.sh": "#!/bin/sh\nexec ./server\n"}, stack="static")
    assert "busybox-static is added" in warnings[0]


@pytest.mark.parametrize("written, files, shell", [
    ("./start.sh", {"start.sh": "#!/bin/sh\nexec node server.js\n"}, "./start.sh is a sh script"),
    ("cd api && ./run", {"api/run": "#!/usr/bin/env bash\nexec node server.js\n"}, "api/run is a bash script"),
    ("sh start.sh", {"start.sh": "exec node server.js\n"}, "it runs sh start.sh"),
    ("bash bin/run", {"bin/run": "exec node server.js\n"}, "it runs bash bin/run"),
    ("./server", {"server": "#!/usr/bin/env node\n"}, None),  # node runs this one: no shell
    ("./missing.sh", {}, None),
])
def test_shell_scripts_need_a_shell_though_the_launcher_runs_them(tmp_path, written, files, shell):
    process, warnings = resolved(tmp_path, written, files)
    assert process.shell == shell
    assert process.runs in ("direct", "launcher")


def test_a_plain_argv_from_a_detector_runs_directly(tmp_path):
    process, warnings = resolve(Process("web", ("/layers/go/app/bin/hello",), "main.go"), tree(tmp_path, {}), "static")
    assert (process.runs, process.written, warnings) == ("direct", "/layers/go/app/bin/hello", [])


def test_how_is_said(tmp_path):
    process, _ = resolved(tmp_path, "cd api && PORT=${PORT:-3000} exec node 'a b.js'")
    assert how(process.written, process.runs, process.command) == \
        "through pack-it's launcher: cd api; exec PORT=${PORT:-3000} node 'a b.js'"


@pytest.mark.parametrize("reference, level", [
    ("static-debian12", ("busybox", "debian12")), ("python-debian13", ("dash", "debian13")),
    ("node", ("dash", "debian12")), ("cc-debian12", ("dash", "debian12")), ("base", ("busybox", "debian12")),
    ("oci:/tmp/x", None), ("registry.example.com/app:1", None),
])
def test_which_shell_each_run_image_gets(reference, level):
    assert shell_level(reference) == level


# The launcher itself, run on the host (it is a static binary) -----------------------------

def run(text: str, *extra: str, env=None, cwd=None) -> subprocess.CompletedProcess:
    return subprocess.run([str(BINARY), text, *extra], capture_output=True, text=True, cwd=cwd,
                          env={"PATH": os.environ["PATH"], **(env or {})}, timeout=30)


def test_steps_run_in_order_in_the_directory_cd_chose(tmp_path):
    (tmp_path / "api").mkdir()
    got = run(f"echo one && cd api && {sys.executable} -c 'import os; print(os.getcwd(), os.environ[\"A\"])' "
              "&& A=${X:-two} " + sys.executable + " -c 'import os, sys; print(os.environ[\"A\"], sys.argv[1:])' --more",
              "extra", env={"A": "outer"}, cwd=tmp_path)
    assert got.stdout.splitlines() == ["one", f"{tmp_path}/api outer", "two ['--more', 'extra']"]


def test_a_failing_step_stops_the_rest_with_its_exit_code(tmp_path):
    got = run(f"{sys.executable} -c 'raise SystemExit(3)' && echo never")
    assert (got.returncode, got.stdout) == (3, "")


def test_the_last_step_replaces_the_launcher():
    """exec: the app is the process the container's init signals, not a child of the launcher."""
    proc = subprocess.Popen([str(BINARY), f"echo first && {sys.executable} -c 'import os; print(os.getpid())'"],
                            stdout=subprocess.PIPE, text=True)
    out, _ = proc.communicate(timeout=30)
    assert out.splitlines() == ["first", str(proc.pid)]


def test_a_signal_reaches_an_earlier_step(tmp_path):
    """`podman stop` during a migration stops the migration, not only the launcher."""
    marker = tmp_path / "started"
    step = f"{sys.executable} -c 'import pathlib, time; pathlib.Path(\"{marker}\").touch(); time.sleep(60)'"
    proc = subprocess.Popen([str(BINARY), f"{step} && echo never"], stdout=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 30
    while not marker.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    proc.send_signal(signal.SIGTERM)
    out, _ = proc.communicate(timeout=30)
    assert (proc.returncode, out) == (128 + signal.SIGTERM, "")


def test_a_missing_program_is_exit_127():
    got = run("no-such-program-here x")
    assert got.returncode == 127 and "no-such-program-here: command not found" in got.stderr
