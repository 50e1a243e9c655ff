"""What a SIGKILLed download or unpack leaves in the cache is swept by the next build (issue 14
leftover): the Go toolchain, Bun, Node.js and the package-manager tools staged in `.partial-*`
directories beside their results, and Debian and CPython downloads wrote `.partial-*` files
beside the blob, none of which the cache's lock-based sweep knew of. Now they stage in
`scratch_dir` (a locked directory under tmp/) or the cache's locked staging directory."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from pack_it.lifecycle.cache import Cache
from tests.conftest import REPO

CHILD = {
    "scratch_dir": """
        from pack_it.lifecycle.cache import scratch_dir
        with scratch_dir(root, "go-toolchain-") as d:
            (d / "go1.99.zip").write_bytes(b"x" * 1000)
            print(d, flush=True)
            time.sleep(300)
    """,
    "download-staging": """
        from pack_it.lifecycle.cache import Cache, atomic_file
        cache = Cache(root)
        with atomic_file(cache.blob_path("sha256:" + "a" * 64), cache.staging_dir()) as f:
            f.write(b"half a .deb")
            f.flush()
            print(cache.staging_dir(), flush=True)
            time.sleep(300)
    """,
}


@pytest.mark.parametrize("what", list(CHILD))
def test_a_killed_writers_scratch_is_swept_by_the_next_cache(tmp_path, what):
    root = tmp_path / "cache"
    code = "import sys, time\nfrom pathlib import Path\nroot = Path(sys.argv[1])\n" + textwrap.dedent(CHILD[what])
    proc = subprocess.Popen([sys.executable, "-c", code, str(root)], stdout=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONPATH": str(REPO)})
    staged = Path(proc.stdout.readline().strip())  # type: ignore[union-attr]
    assert staged.is_dir() and staged.is_relative_to(root / "tmp") and any(staged.iterdir())
    Cache(root).close()  # a live writer's scratch is left alone
    assert staged.is_dir()
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert staged.is_dir()  # SIGKILL: nothing cleaned up
    Cache(root).close()
    assert not staged.exists() and not Path(f"{staged}.lock").exists()
    assert not [p for p in root.rglob("*") if p.name.startswith(".partial-")]
