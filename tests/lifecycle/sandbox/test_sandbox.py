"""The sandbox service (lifecycle/sandbox/) on its own: what a step sees and may write, its
environment, its processes, and the one-sentence failures. These run on the host's root
(`--toolchain host`), so they need no build root and no network; tests/security/test_sandbox.py
runs the same protections through a whole build on the build root."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
import time
import uuid
from pathlib import Path

import pytest

from pack_it.errors import NO_SANDBOX, USAGE, PackItError
from pack_it.lifecycle import sandbox as sb
from pack_it.lifecycle.sandbox import Sandbox, Step

REPO = Path(__file__).resolve().parents[3]
needs_bwrap = pytest.mark.skipif(shutil.which("bwrap") is None, reason="bubblewrap is not installed (.ci/run installs it)")


def run(box: Sandbox, script: str, cwd: Path, writable=(), tools=(), env=None) -> subprocess.CompletedProcess:
    step = Step(["sh", "-c", script], {**box.base_env(), **(env or {})}, cwd, tuple(writable), tuple(tools))
    argv, environ, where = box.command(step)
    return subprocess.run(argv, env=environ, cwd=where, capture_output=True, text=True)


@pytest.mark.parametrize("flags", [("bwrap2", "pack-it", "default"), ("bwrap", "docker", "default"),
                                   ("bwrap", "pack-it", "off"), ("none", "pack-it", "none")])
def test_bad_flags_are_usage_errors(flags):
    with pytest.raises(PackItError) as e:
        sb.check_options(*flags)
    assert e.value.exit_code == USAGE and e.value.hint


def test_a_missing_bwrap_is_one_sentence_with_its_exit_code(monkeypatch):
    monkeypatch.setenv("PATH", "/nonexistent")
    with pytest.raises(PackItError) as e:
        sb.find_bwrap()
    assert e.value.exit_code == NO_SANDBOX
    assert "bubblewrap" in e.value.message and "--sandbox none" in e.value.hint


def test_a_step_without_bwrap_is_that_sentence_before_it_runs(tmp_path, monkeypatch):
    """A rebuild checks bubblewrap at its first step (one that reuses every layer runs none)."""
    monkeypatch.setenv("PATH", "/nonexistent")
    with pytest.raises(PackItError) as e:
        Sandbox("bwrap").command(Step(["true"], {}, tmp_path))
    assert e.value.exit_code == NO_SANDBOX and "bubblewrap" in e.value.message


def test_without_bwrap_a_build_root_is_not_downloaded(tmp_path, monkeypatch):
    """With no build root assembled yet, the check comes before its 100 MB of .debs."""
    from pack_it.lifecycle.cache import Cache
    from pack_it.lifecycle.pipeline import BuildOptions, make_sandbox
    from pack_it.lifecycle.plan import Plan
    from pack_it.lifecycle.reporter import Reporter
    from pack_it.lifecycle.stacks import buildroot

    from pack_it.lifecycle.stacks import assemble

    monkeypatch.setattr(assemble, "fetch_debs", lambda *a, **k: pytest.fail("the build root was fetched"))
    monkeypatch.setenv(buildroot.DIR_ENV, str(tmp_path / "buildroots"))  # not the tests' shared ones
    monkeypatch.setenv("PATH", "/nonexistent")
    cache = Cache(tmp_path / "cache")
    plan = Plan(language="go", packs=("go",))
    with pytest.raises(PackItError) as e:
        make_sandbox(BuildOptions(tmp_path), plan, cache, tmp_path / "work", Reporter())
    assert e.value.exit_code == NO_SANDBOX


def test_no_user_namespaces_names_the_sysctl_and_offers_sandbox_none(tmp_path, monkeypatch):
    """What Debian's bwrap prints where unprivileged user namespaces are off."""
    fake = tmp_path / "bwrap"
    fake.write_text("#!/bin/sh\necho 'bwrap: No permissions to creating new namespace, likely because the kernel "
                    "does not allow non-privileged user namespaces.' >&2\nexit 1\n")
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", str(tmp_path))
    sb._probe.cache_clear()
    try:
        with pytest.raises(PackItError) as e:
            sb.find_bwrap()
    finally:
        sb._probe.cache_clear()
    assert e.value.exit_code == NO_SANDBOX
    assert "non-privileged user namespaces" in e.value.message
    assert "kernel.unprivileged_userns_clone" in e.value.hint and "user.max_user_namespaces" in e.value.hint
    assert "--sandbox none" in e.value.hint and "Kubernetes" in e.value.hint


@needs_bwrap
def test_a_step_writes_only_its_directories_and_sees_no_home(tmp_path, monkeypatch):
    home = tmp_path / "home"
    (home / ".ssh").mkdir(parents=True)
    (home / ".ssh" / "id_rsa").write_text("secret")
    monkeypatch.setenv("HOME", str(home))
    work, elsewhere = tmp_path / "work", tmp_path / "elsewhere"
    work.mkdir(), elsewhere.mkdir()
    box = Sandbox("bwrap", None, scratch=(work,))
    host_tmp = Path(f"/tmp/pack-it-sandbox-test-{uuid.uuid4().hex}")
    proc = run(box, f"cat {home}/.ssh/id_rsa; ls /run; echo in > /workspace/a; echo in > {work}/b;"
                    f" echo out > {elsewhere}/c; echo out > {host_tmp}; pwd", work, writable=(work,))
    exists = host_tmp.exists()
    host_tmp.unlink(missing_ok=True)
    assert "secret" not in proc.stdout
    assert (work / "a").read_text() == "in\n" and (work / "b").read_text() == "in\n"
    assert not (elsewhere / "c").exists()
    assert proc.stdout.strip().endswith("/workspace")
    assert not exists


@needs_bwrap
def test_tools_are_read_only_even_inside_a_writable_directory(tmp_path):
    work = tmp_path / "work"
    (work / "toolchain").mkdir(parents=True)
    (work / "toolchain" / "go").write_text("real")
    box = Sandbox("bwrap", None, scratch=(work,))
    run(box, f"echo poisoned > {work}/toolchain/go", work, writable=(work,), tools=(work / "toolchain",))
    assert (work / "toolchain" / "go").read_text() == "real"


@needs_bwrap
def test_the_environment_is_only_the_steps(tmp_path, monkeypatch):
    monkeypatch.setenv("INVOKING_SHELL_ONLY", "leak")
    box = Sandbox("bwrap", None)
    proc = run(box, "env", tmp_path, env={"GIVEN": "yes"})
    names = {line.split("=", 1)[0] for line in proc.stdout.splitlines()}
    assert "INVOKING_SHELL_ONLY" not in names
    assert {"GIVEN", "PATH", "HOME"} <= names
    assert "HOME=/tmp/home" in proc.stdout.splitlines()


@pytest.mark.network  # the shared network it compares with must have more than loopback
@needs_bwrap
def test_network_none_cuts_the_network(tmp_path):
    proc = run(Sandbox("bwrap", None, network=False), "cat /proc/net/dev | tail -n +3 | cut -d: -f1", tmp_path)
    assert [i.strip() for i in proc.stdout.split()] == ["lo"]
    shared = run(Sandbox("bwrap", None), "cat /proc/net/dev | tail -n +3 | cut -d: -f1", tmp_path)
    assert len(shared.stdout.split()) > 1


@needs_bwrap
def test_a_daemon_does_not_outlive_its_step(tmp_path):
    tag = f"{200 + uuid.uuid4().int % 700}.{os.getpid()}"
    try:
        proc = run(Sandbox("bwrap", None), f"setsid sleep {tag} >/dev/null 2>&1 < /dev/null & echo started", tmp_path)
        assert proc.stdout.strip() == "started"
        time.sleep(0.3)
        left = subprocess.run(["pgrep", "-f", f"^sleep {tag}$"], capture_output=True, text=True).stdout.split()
        assert left == []
    finally:
        subprocess.run(["pkill", "-f", f"^sleep {tag}$"], check=False)


@needs_bwrap
def test_the_steps_directory_is_workspace_and_its_paths_are_rewritten(tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    (src / "x").write_text("here\n")
    proc = run(Sandbox("bwrap", None), f"cat {src}/x; echo $WHERE", src, env={"WHERE": f"{src}/sub"})
    assert proc.stdout.split() == ["here", "/workspace/sub"]
    # Not scratch: the step reads it and cannot write it (an app directory, say).
    run(Sandbox("bwrap", None), "echo no > /workspace/y", src)
    assert not (src / "y").exists()


def test_without_the_sandbox_a_step_is_unchanged(tmp_path):
    box = Sandbox("none")
    step = Step(["true"], {"A": "1"}, tmp_path)
    assert box.command(step) == (["true"], {"A": "1"}, tmp_path)
    assert box.base_env() == dict(os.environ)


NONROOT = "pack-it-sandbox-test"


@pytest.fixture(scope="module")
def nonroot_user():
    if os.geteuid() != 0 or shutil.which("useradd") is None or shutil.which("runuser") is None:
        pytest.skip("creating a non-root user needs root, useradd and runuser")
    if subprocess.run(["id", NONROOT], capture_output=True).returncode != 0:
        subprocess.run(["useradd", "--no-create-home", "--shell", "/bin/sh", NONROOT], check=True)
    yield NONROOT
    subprocess.run(["userdel", NONROOT], check=False)


@needs_bwrap
def test_the_sandbox_works_for_a_non_root_user(nonroot_user, tmp_path):
    """Debian's bwrap is not setuid: as a non-root user it needs an unprivileged user namespace."""
    python = shutil.which("python3", path="/usr/bin:/bin")
    if python is None:
        pytest.skip("no system python3 for the non-root user")
    import tempfile

    work = Path(tempfile.mkdtemp(prefix="pack-it-nonroot-"))  # pytest's tmp_path is root's alone
    shutil.chown(work, nonroot_user)
    code = textwrap.dedent(f"""
        import subprocess, sys
        sys.path.insert(0, {str(REPO)!r})
        from pathlib import Path
        from pack_it.lifecycle.sandbox import Sandbox, Step
        box = Sandbox("bwrap", None, scratch=(Path({str(work)!r}),))
        argv, env, cwd = box.command(Step(["sh", "-c", "id -u; echo ok > /workspace/f; touch /usr/x 2>/dev/null || echo read-only"],
                                          box.base_env(), Path({str(work)!r}), (Path({str(work)!r}),)))
        p = subprocess.run(argv, env=env, cwd=cwd, capture_output=True, text=True)
        print(p.returncode, p.stdout, p.stderr)
    """)
    proc = subprocess.run(["runuser", "-u", nonroot_user, "--", python, "-c", code], capture_output=True, text=True,
                          cwd="/")
    assert proc.returncode == 0, proc.stderr
    uid = subprocess.run(["id", "-u", nonroot_user], capture_output=True, text=True).stdout.strip()
    assert proc.stdout.split()[:3] == ["0", uid, "read-only"], proc.stdout  # bwrap's exit code, the step's uid
    assert (work / "f").read_text() == "ok\n"
    shutil.rmtree(work)
