"""Push and pull costs against a local TLS registry (docker-registry + htpasswd, the tests'
servers): a first push of go-hello, an unchanged re-push, and a build on a run image pulled
into a cold cache with its layers mounted. Needs docker-registry, htpasswd, openssl, go.

    python3 bench/registry_bench.py
"""
import os
import pathlib
import subprocess
import sys
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from tests.lifecycle.registry.servers import start_proxy, start_registry  # noqa: E402
d = pathlib.Path(tempfile.mkdtemp())
r = start_registry(d); p, s = start_proxy(r)
def run(*args):
    t = time.monotonic()
    proc = subprocess.run([sys.executable, "-m", "pack_it", *map(str, args)], capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
    return time.monotonic() - t, proc
run("build", ROOT / "sample_apps/go-hello", "--run-image", "base", "--cache-dir", d / "cache", "-o", f"tar:{d / 'warm.tar'}")
common = ["--run-image", "base", "--cache-dir", d / "cache", "--registry-ca", r.ca, "--creds", r.creds]
for label in ("first push", "unchanged re-push"):
    p.requests.clear()
    t, proc = run("build", ROOT / "sample_apps/go-hello", "--publish", "-t", f"{p.host}/m/go-hello:1", *common)
    assert proc.returncode == 0, proc.stderr
    print(f"{label}: {t:.2f}s wall (incl. no-op build), {len(p.requests)} requests, {len(p.blob_writes())} blob-upload requests;",
          [l.strip() for l in proc.stderr.splitlines() if "pushed" in l][0])
p.requests.clear()
t, proc = run("build", ROOT / "sample_apps/go-hello", "--run-image", f"{p.host}/m/go-hello:1", "--cache-dir", d / "cold",
              "--registry-ca", r.ca, "--creds", r.creds, "--output", f"registry:{p.host}/m/layered:1")
print(f"pull run image into a cold cache + build + push with mount: {t:.2f}s, {len(p.requests)} requests;", [l.strip() for l in proc.stderr.splitlines() if "pushed" in l or "pulled" in l])
t, proc = run("build", ROOT / "sample_apps/go-hello", "--run-image", "base", "--cache-dir", d / "cache", "-o", f"tar:{d / 'm.tar'}")
print(f"same no-op build to tar: {t:.2f}s")
r.process.terminate()
