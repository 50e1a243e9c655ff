"""A build tool's grandchildren die with pack-it (issue 14 leftover): PR_SET_PDEATHSIG alone
covered only the direct child, so `sh -c 'sleep 300 & ...'` (or go's compiler, npm's scripts)
outlived a SIGKILLed pack-it and could write into scratch the next build removes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from tests.conftest import REPO

# A process calling BuildContext.run the way a pack does; the tool starts a grandchild that
# records its pid and would live 300 s.
CALLER = textwrap.dedent("""
    import sys
    from pathlib import Path
    from pack_it.lifecycle.context import BuildContext
    from tests.faults.test_tool_group import context

    BuildContext.run(context(Path(sys.argv[2])), ["sh", "-c", sys.argv[1]], env={}, cwd=Path(sys.argv[2]),
                     what="a tool")
    print("tool finished", flush=True)
""")


def context(work: Path):
    """What BuildContext.run reads of a context, for a step run on the host (--sandbox none):
    the supervisor is what stops its process group there; under bwrap the step's pid namespace
    does too."""
    from types import SimpleNamespace

    from pack_it.lifecycle.reporter import Reporter
    from pack_it.lifecycle.sandbox import Sandbox

    return SimpleNamespace(reporter=Reporter(), build_env={}, env={}, sandbox=Sandbox(), tools=(), work=work,
                           cache=SimpleNamespace(root=work / "cache"), pack="a-pack")


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(") ", 1)[1][0] != "Z"  # a zombie is dead, only not reaped
    except OSError:
        return False


def _start(tmp_path: Path, script: str) -> tuple[subprocess.Popen, int]:
    pidfile = tmp_path / "grandchild.pid"
    proc = subprocess.Popen([sys.executable, "-c", CALLER, script.replace("PIDFILE", str(pidfile)), str(tmp_path)],
                            env={**os.environ, "PYTHONPATH": str(REPO)}, stdout=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while not (pidfile.is_file() and pidfile.read_text().strip()):
        assert time.monotonic() < deadline and proc.poll() is None, "the tool never started its grandchild"
        time.sleep(0.02)
    return proc, int(pidfile.read_text())


def _gone_soon(pid: int, seconds: float = 10) -> bool:
    deadline = time.monotonic() + seconds
    while _alive(pid):
        if time.monotonic() > deadline:
            os.kill(pid, signal.SIGKILL)  # do not leak it into the next test
            return False
        time.sleep(0.05)
    return True


BACKGROUND = "sleep 300 & echo $! > PIDFILE; wait"


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM, signal.SIGINT], ids=["SIGKILL", "SIGTERM", "SIGINT"])
def test_a_tools_grandchild_dies_with_a_killed_pack_it(tmp_path, sig):
    proc, grandchild = _start(tmp_path, BACKGROUND)
    assert _alive(grandchild)
    proc.send_signal(sig)
    proc.wait(timeout=30)
    assert _gone_soon(grandchild), f"the tool's grandchild outlived a {sig.name}ed caller"


def test_what_a_tool_leaves_running_is_killed_when_it_exits(tmp_path):
    proc, grandchild = _start(tmp_path, "sleep 300 > /dev/null 2>&1 & echo $! > PIDFILE; sleep 0.5")
    out, _ = proc.communicate(timeout=60)
    assert proc.returncode == 0 and "tool finished" in out
    assert _gone_soon(grandchild)


def test_a_tools_exit_code_and_output_are_its_own(tmp_path):
    from pack_it.errors import PackItError
    from pack_it.lifecycle.context import BuildContext

    ctx = context(tmp_path)
    with pytest.raises(PackItError) as err:
        BuildContext.run(ctx, ["sh", "-c", "echo out; echo err >&2; exit 7"], env={}, cwd=tmp_path, what="a tool")  # type: ignore[arg-type]
    assert err.value.message == "a tool failed (exit 7):\nout\nerr"
    with pytest.raises(PackItError) as err:
        BuildContext.run(ctx, ["/nonexistent/tool"], env={}, cwd=tmp_path, what="a tool")  # type: ignore[arg-type]
    assert "exit 127" in err.value.message and "No such file or directory" in err.value.message


def test_a_megabyte_line_in_a_failing_tools_output_is_cut_in_the_error(tmp_path):
    from pack_it.errors import PackItError
    from pack_it.lifecycle.context import TOOL_OUTPUT_LINE_CHARS, BuildContext

    with pytest.raises(PackItError) as err:
        BuildContext.run(context(tmp_path), ["sh", "-c", "printf '%1000000s' '' | tr ' ' x; echo; echo last; exit 3"],  # type: ignore[arg-type]
                         env={}, cwd=tmp_path, what="a bundled tool")
    lines = err.value.message.splitlines()
    assert lines[0] == "a bundled tool failed (exit 3):" and lines[-1] == "last"
    assert lines[1] == "x" * TOOL_OUTPUT_LINE_CHARS + " …"
