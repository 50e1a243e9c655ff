"""Running the CLI as a user does, and waiting for a container's HTTP answer."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request


def pack_it(*args, env=None, cwd=None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pack_it", *map(str, args)], capture_output=True, text=True,
                          cwd=cwd, env={**os.environ, **(env or {})})


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http_get(url: str, timeout: float = 30) -> str:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                return response.read().decode()
        except (urllib.error.URLError, ConnectionError, OSError):
            if time.monotonic() > deadline:
                raise
            time.sleep(0.3)


def run_and_get(podman: str, image: str, path: str = "/") -> str:
    """Runs the image detached with its port 8080 published, and GETs `path`."""
    port = free_port()
    name = f"pack-it-test-{port}"
    run = subprocess.run([podman, "run", "-d", "--name", name, "-p", f"127.0.0.1:{port}:8080", image],
                         capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    try:
        return http_get(f"http://127.0.0.1:{port}{path}")
    finally:
        subprocess.run([podman, "rm", "-f", name], capture_output=True)
