"""Mutation check for the registry and engine protections: each mutant removes one, and the
tests named beside it must fail. From the repository root (commit first: every mutated file
is restored with `git checkout`):

    python3 tests/lifecycle/registry/mutants.py [NAME-FRAGMENT ...]
"""
import os
import subprocess
import sys
from pathlib import Path

ROOT = str(Path(__file__).resolve().parents[3])
ENV = {**os.environ, "PYTHONPATH": ROOT}
MUTANTS = [
    ("TLS verification off", "lifecycle/registry/transport.py",
     "            return context\n", "            context.check_hostname = False\n            context.verify_mode = ssl.CERT_NONE\n            return context\n",
     ["tests/lifecycle/registry/test_client.py::test_the_registry_certificate_is_verified"]),
    ("blob digest not checked on pull", "lifecycle/registry/client.py",
     "if sink.digest != descriptor.digest or sink.size != descriptor.size:", "if False:",
     ["tests/lifecycle/registry/test_client.py::test_a_corrupted_blob_is_refused_and_not_cached"]),
    ("manifest digest not checked on pull", "lifecycle/registry/client.py",
     "if actual != claimed or len(data) > MAX_MANIFEST:", "if False:",
     ["tests/lifecycle/registry/test_client.py::test_a_manifest_not_matching_the_registrys_digest_is_refused"]),
    ("password in the auth error", "lifecycle/registry/client.py",
     'raise self._error(f"The registry {self.ref.host} {e}, for {self.ref.repository}.",',
     'raise self._error(f"The registry {self.ref.host} {e}, for {self.ref.repository} ({self.auth.credentials.password if self.auth.credentials else \'\'}).",',
     ["tests/lifecycle/registry/test_client.py::test_a_wrong_password_is_one_sentence_without_the_password"]),
    ("helper output echoed", "lifecycle/registry/credentials.py",
     'raise export_error(f"The credential helper {program} gave no Username and Secret for {host}.",',
     'raise export_error(f"The credential helper {program} gave no Username and Secret for {host}: {done.stdout!r}.",',
     ["tests/lifecycle/registry/test_credentials.py::test_a_helper_printing_garbage_is_not_echoed"]),
    ("password in Credentials repr", "lifecycle/registry/credentials.py",
     'return f"Credentials(username={self.username!r}, source={self.source!r})"',
     'return f"Credentials(username={self.username!r}, password={self.password!r})"',
     ["tests/lifecycle/registry/test_credentials.py::test_credentials_hide_the_password"]),
    ("no HEAD skip of existing blobs", "lifecycle/registry/client.py",
     "        if self.blob_exists(descriptor.digest):\n", "        if False and self.blob_exists(descriptor.digest):\n",
     ["tests/lifecycle/registry/test_client.py::test_a_second_push_uploads_no_blob"]),
    ("no resume: restart every interrupted chunked upload", "lifecycle/registry/client.py",
     "            if end > 1:\n", "            if False:\n",
     ["tests/lifecycle/registry/test_client.py::test_a_chunk_dropped_after_the_first_resumes_from_the_registry_offset"]),
    ("Retry-After ignored", "lifecycle/registry/transport.py",
     "    if not value:\n        return None\n", "    return None\n",
     ["tests/lifecycle/registry/test_client.py::test_faults_are_retried_and_an_interrupted_chunked_upload_resumes"]),
    ("no retries at all", "lifecycle/registry/transport.py",
     "            if retry and response.status in RETRIED_STATUSES and attempt < self.options.attempts:",
     "            if False:",
     ["tests/lifecycle/registry/test_client.py::test_faults_are_retried_and_an_interrupted_chunked_upload_resumes"]),
    ("plain HTTP to loopback without --insecure-registry", "lifecycle/registry/transport.py",
     'self.scheme = "http" if host in options.insecure_hosts else "https"',
     'self.scheme = "http" if host in options.insecure_hosts or host.startswith("127.0.0.1") else "https"',
     ["tests/lifecycle/registry/test_client.py::test_plain_http_only_for_a_host_named_insecure"]),
    ("Authorization sent on to blob storage", "lifecycle/registry/transport.py",
     'headers = {k: v for k, v in headers.items() if k.lower() != "authorization"}', 'pass',
     ["tests/lifecycle/registry/test_client.py::test_a_redirect_to_blob_storage_does_not_carry_the_credentials"]),
    ("no cross-repository mount", "lifecycle/publish/registry.py",
     "    if origin.host != target.host or origin.repository == target.repository:",
     "    if True:",
     ["tests/lifecycle/registry/test_client.py::test_run_image_layers_are_mounted_from_their_repository"]),
    ("password in the CLI error (through PACK_IT_REGISTRY_PASSWORD)", "lifecycle/registry/auth.py",
     'raise AuthenticationFailed(f"refused the credentials of {self.credentials.username!r} "',
     'raise AuthenticationFailed(f"refused the credentials of {self.credentials.username!r}:{self.credentials.password} "',
     ["tests/lifecycle/publish/test_registry.py::test_a_wrong_password_is_one_sentence_exit_61_and_never_shown"]),
    ("podman socket guessed", "lifecycle/engine.py",
     '    return f"unix://{DEFAULT_SOCKET}" if DEFAULT_SOCKET.exists() else None',
     '    return f"unix://{DEFAULT_SOCKET}" if DEFAULT_SOCKET.exists() else "unix:///run/podman/podman.sock"',
     ["tests/lifecycle/publish/test_engine.py::test_podmans_socket_is_never_guessed"]),
]
only = sys.argv[1:]
for name, path, old, new, tests in MUTANTS:
    if only and not any(o in name for o in only):
        continue
    full = os.path.join(ROOT, path)
    text = open(full).read()
    assert text.count(old) == 1, (name, "anchor not found once")
    open(full, "w").write(text.replace(old, new))
    try:
        r = subprocess.run([sys.executable, "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider", *tests],
                           cwd=ROOT, env=ENV, capture_output=True, text=True)
        last = r.stdout.strip().splitlines()[-1] if r.stdout.strip() else r.stderr[-200:]
        print(f"{'KILLED' if r.returncode != 0 else 'SURVIVED'}  {name}: {last}", flush=True)
    finally:
        subprocess.run(["git", "checkout", "--", path], cwd=ROOT)
