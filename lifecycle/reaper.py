"""Runs a build tool so that neither it nor anything it starts outlives pack-it: a tool's
grandchild (go's compiler, npm's lifecycle scripts, a build script's background job) must not
go on writing into a scratch directory the next build removes as abandoned.

The tool runs under a small supervisor that leads a new process group; the tool and every
process it starts inherit the group. The supervisor asks the kernel for SIGTERM when pack-it
dies (PR_SET_PDEATHSIG, which works even when pack-it is SIGKILLed and cannot clean up) and
then kills the whole group; when pack-it stops normally (an error, Ctrl-C, SIGTERM) it kills
the group itself. When the tool exits, whatever it left running in the group is killed too.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from typing import Any

# Run with `python -I -S -c`: no site, no pack-it import, a few milliseconds.
SUPERVISOR = r"""
import ctypes, os, signal, sys
parent, argv = int(sys.argv[1]), sys.argv[2:]
def stop(signum, frame):
    os.killpg(0, signal.SIGKILL)  # the tool and all it started (and this supervisor)
signal.signal(signal.SIGTERM, stop)
try:
    ctypes.CDLL(None).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
except (OSError, AttributeError):
    pass
if os.getppid() != parent:  # pack-it died before the request above
    stop(0, None)
pid = os.fork()
if pid == 0:
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    try:
        os.execvp(argv[0], argv)
    except OSError as e:
        sys.stderr.write(f"{argv[0]}: {e.strerror}\n")
        os._exit(127)
_, status = os.waitpid(pid, 0)
code = os.waitstatus_to_exitcode(status)
signal.signal(signal.SIGTERM, signal.SIG_IGN)
try:
    # what the tool left running in the group goes with it (not this process: it reports)
    for entry in os.listdir("/proc"):
        if entry.isdigit() and int(entry) != os.getpid():
            try:
                if os.getpgid(int(entry)) == os.getpgrp():
                    os.kill(int(entry), signal.SIGKILL)
            except OSError:
                pass
except OSError:
    pass
sys.exit(code if code >= 0 else 128 - code)
"""


def supervised(argv: list[str]) -> list[str]:
    """`argv` under the supervisor."""
    return [sys.executable, "-I", "-S", "-c", SUPERVISOR, str(os.getpid()), *argv]


def run(argv: list[str], **kwargs: Any) -> subprocess.CompletedProcess:
    """subprocess.run(argv, **kwargs) with the tool's whole process group killed when the run is
    interrupted (an exception, KeyboardInterrupt, pack-it's SIGTERM) or pack-it dies."""
    proc = subprocess.Popen(supervised(argv), start_new_session=True, **kwargs)
    try:
        stdout, stderr = proc.communicate()
    except BaseException:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except OSError:
            pass
        proc.wait()
        raise
    return subprocess.CompletedProcess(argv, proc.returncode, stdout, stderr)
