"""Stack images run in podman: `pack-it stacks build STACK -o tar:FILE`, `podman load`, then
the runtime works as the non-root user. Uses the persistent test cache (the first run
downloads the .debs and a Node.js build once)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

pytestmark = [pytest.mark.engine, pytest.mark.network]

PYTHON_CHECK = "import ssl, sqlite3, zlib, bz2, lzma, ctypes, uuid, decimal, json; print('ok')"


def pack_it(*args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "PACK_IT_LOCK_DIR"}
    return subprocess.run([sys.executable, "-m", "pack_it", *args], capture_output=True, text=True, env=env,
                          timeout=900)


@pytest.fixture
def loaded(podman, stack_cache_dir, tmp_path):
    """Builds a stack into a tarball, loads it; yields its name; removes it afterwards."""
    names = []

    def load(stack: str, *options: str) -> str:
        tar = tmp_path / f"{stack}.tar"
        built = pack_it("stacks", "build", stack, *options, "-o", f"tar:{tar}", "--cache-dir", str(stack_cache_dir))
        assert built.returncode == 0, built.stderr
        assert f"wrote:  tar:{tar}" in built.stdout
        out = subprocess.run([podman, "load", "-i", str(tar)], capture_output=True, text=True)
        assert out.returncode == 0, out.stderr
        loaded_names = [line.split(":", 1)[1].strip() for line in out.stdout.splitlines()
                        if line.startswith("Loaded image")]
        assert len(loaded_names) == 1, out.stdout
        names.append(loaded_names[0])
        return loaded_names[0]

    yield load
    for name in names:
        subprocess.run([podman, "rmi", "-f", name], capture_output=True)


def run(podman: str, image: str, *argv: str) -> str:
    proc = subprocess.run([podman, "run", "--rm", "--network", "none", image, *argv],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


@pytest.mark.parametrize("stack, version", [("python", "3.11"), ("python-debian13", "3.13")])
def test_python_stack_runs_python_as_nonroot(podman, loaded, stack, version):
    reference = stack if "-" in stack else f"{stack}-debian12"
    image = loaded(stack)
    assert image.endswith(f"pack-it-stack-{reference}:latest")
    assert run(podman, image, "python3", "-c", PYTHON_CHECK) == "ok\n"
    assert run(podman, image, "python3", "-c", "import os; print(os.getuid())") == "65532\n"
    assert run(podman, image, "python3", "-c", "import os; print(os.getgid())") == "65532\n"
    assert run(podman, image, "python", "-c", "import sys; print('%d.%d' % sys.version_info[:2])") == f"{version}\n"
    # The CA bundle (through SSL_CERT_FILE) and the time zones are there.
    certs = int(run(podman, image, "python3", "-c",
                    "import ssl; print(len(ssl.create_default_context().get_ca_certs()))"))
    assert certs > 100
    assert run(podman, image, "python3", "-c",
               "import zoneinfo, datetime; print(datetime.datetime(2024, 7, 1, tzinfo=zoneinfo.ZoneInfo("
               "'Europe/Paris')).utcoffset())") == "2:00:00\n"


def test_node_stack_holds_tini_and_no_node(podman, loaded):
    """The node stack is Debian's libraries and tini: Node.js itself is the Node pack's layer."""
    image = loaded("node")
    assert image.endswith("pack-it-stack-node-debian12:latest")
    assert "tini version" in run(podman, image, "/usr/bin/tini", "--version")
    proc = subprocess.run([podman, "run", "--rm", "--network", "none", image, "node", "--version"],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode != 0
