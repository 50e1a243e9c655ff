"""The cache: damaged blobs are never reused, records are checked, failed writes leave nothing,
scratch of dead builds is swept (file locks, not age), directories are placed once."""

import errno
import hashlib
import json
import os
import subprocess
import sys
import textwrap

import pytest

from pack_it.errors import EXPORT_FAILED, PackItError
from pack_it.lifecycle import cache as cache_module
from pack_it.lifecycle.cache import Cache, atomic_file, sweep_partials
from tests.conftest import REPO


def _blob(cache: Cache, data: bytes) -> str:
    with cache.new_blob() as (f, holder):
        f.write(data)
        holder.append("sha256:" + hashlib.sha256(data).hexdigest())
    return holder[0]


def _with_record(cache: Cache, data: bytes = b"layer bytes" * 1000) -> str:
    digest = _blob(cache, data)
    cache.save_layer_record("go", "app", "key", 1, {"digest": digest, "size": len(data), "diff_id": digest,
                                                    "uncompressed_size": len(data)})
    return digest


def leftovers(root) -> list[str]:
    """Partial files and scratch anywhere in the cache (locks/ is where per-key locks live)."""
    found = []
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            if name.startswith(".partial-") or (os.path.basename(dirpath) == "tmp" and os.path.samefile(
                    os.path.dirname(dirpath), root)):
                found.append(os.path.relpath(os.path.join(dirpath, name), root))
    return sorted(found)


@pytest.mark.parametrize("damage", ["truncate", "empty", "alter", "alter-same-mtime", "delete"])
def test_a_damaged_blob_is_not_reused_and_is_deleted_with_its_record(tmp_path, damage):
    cache = Cache(tmp_path)
    digest = _with_record(cache)
    assert cache.layer_record("go", "app", "key", 1)["digest"] == digest
    path = cache.blob_path(digest)
    data, st = path.read_bytes(), path.stat()
    if damage == "truncate":
        path.write_bytes(data[:100])
    elif damage == "empty":
        path.write_bytes(b"")
    elif damage == "delete":
        path.unlink()
    else:
        path.write_bytes(data[:-1] + b"!")
        if damage == "alter-same-mtime":  # same size, same mtime: only the rehash can tell
            os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert cache.layer_record("go", "app", "key", 1) is None
    assert not path.exists()
    assert list((tmp_path / "layers").iterdir()) == []
    # Rebuilt, it is reused again.
    _with_record(cache)
    assert cache.layer_record("go", "app", "key", 1)["digest"] == digest


def test_an_unchanged_blob_is_not_rehashed_on_reuse_and_a_touched_one_is(tmp_path, monkeypatch):
    cache = Cache(tmp_path)
    digest = _with_record(cache)
    calls = []
    real = cache_module.Path.open
    blob = cache.blob_path(digest)
    monkeypatch.setattr(cache_module.Path, "open", lambda self, *a, **k: (calls.append(1) if self == blob else None)
                        or real(self, *a, **k))
    for _ in range(3):
        assert cache.layer_record("go", "app", "key", 1) is not None
    assert calls == []  # a no-op build reads no blob
    os.utime(cache.blob_path(digest))  # identity changed (same content)
    assert cache.layer_record("go", "app", "key", 1) is not None
    assert len(calls) == 1
    assert cache.layer_record("go", "app", "key", 1) is not None
    assert len(calls) == 1  # recorded again after the rehash


def test_a_blob_copied_in_by_hand_is_rehashed_once(tmp_path):
    cache = Cache(tmp_path)
    data = b"x" * 5000
    digest = "sha256:" + hashlib.sha256(data).hexdigest()
    cache.blob_path(digest).write_bytes(data)  # no identity recorded
    assert cache.verify_blob(digest, len(data))
    assert (tmp_path / "blobs" / "checked" / digest.removeprefix("sha256:")).is_file()
    assert not cache.verify_blob(digest, len(data) + 1)  # wrong size: refused, deleted
    assert not cache.blob_path(digest).exists()


@pytest.mark.parametrize("content", [b"", b"not json", b"[]", b'"x"', b'{"digest": 5}', b'{"digest": "sha256:00"}',
                                     b'{"digest": "sha256:' + b"0" * 64 + b'", "size": "12"}',
                                     b"[" * 100_000, b"\xff\xfe", b"{" + b" " * (2 << 20) + b"}"])
def test_a_corrupt_record_is_a_miss_not_a_traceback(tmp_path, content):
    cache = Cache(tmp_path)
    _with_record(cache)
    record = next((tmp_path / "layers").iterdir())
    record.write_bytes(content)
    assert cache.layer_record("go", "app", "key", 1) is None
    assert not record.exists()


def test_a_failed_blob_write_leaves_no_partial_file(tmp_path):
    cache = Cache(tmp_path)
    with pytest.raises(RuntimeError):
        with cache.new_blob() as (f, holder):
            f.write(b"half a layer")
            raise RuntimeError("the layer writer failed")
    assert leftovers(tmp_path) == [p for p in leftovers(tmp_path) if p.startswith("tmp/staging-")]
    assert [p for p in leftovers(tmp_path) if ".partial-" in p] == []
    assert list((tmp_path / "blobs" / "sha256").iterdir()) == []


def test_a_full_disk_is_one_sentence_and_leaves_no_partial(tmp_path, monkeypatch):
    cache = Cache(tmp_path)

    class Full:
        def __init__(self, f):
            self.f = f

        def write(self, data):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    with pytest.raises(PackItError) as err:
        with cache.new_blob() as (f, holder):
            Full(f).write(b"x")
    assert err.value.exit_code == EXPORT_FAILED
    assert str(tmp_path) in err.value.message and "No space left on device" in err.value.message
    assert "Free some space" in err.value.hint
    for writer in (lambda: cache.put_bytes(b"config"),
                   lambda: cache.save_layer_record("go", "app", "k", 1, {"digest": "x"})):
        monkeypatch.setattr(cache_module.os, "replace",
                            lambda *a: (_ for _ in ()).throw(OSError(errno.ENOSPC, "No space left on device")))
        with pytest.raises(PackItError) as err:
            writer()
        assert err.value.exit_code == EXPORT_FAILED and "No space left" in err.value.message
        monkeypatch.undo()
    assert [p for p in leftovers(tmp_path) if ".partial-" in p] == []
    # The cache is still usable.
    assert cache.verify_blob(cache.put_bytes(b"config"))


@pytest.fixture
def small_tmpfs(tmp_path):
    mnt = tmp_path / "small"
    mnt.mkdir()
    if os.geteuid() != 0 or subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(mnt)],
                                           capture_output=True).returncode != 0:
        pytest.skip("mounting a 1 MB tmpfs needs root")
    yield mnt
    subprocess.run(["umount", "-l", str(mnt)], check=False)


def test_a_real_full_filesystem_under_the_cache(small_tmpfs):
    cache = Cache(small_tmpfs / "cache")
    with pytest.raises(PackItError) as err:
        _blob(cache, os.urandom(2 << 20))
    assert err.value.exit_code == EXPORT_FAILED and "No space left on device" in err.value.message
    assert [p for p in leftovers(cache.root) if ".partial-" in p] == []
    digest = _with_record(cache, b"small")  # room again once the partial is gone
    assert cache.layer_record("go", "app", "key", 1)["digest"] == digest


# Scratch of dead builds --------------------------------------------------------------------

HOLD = textwrap.dedent("""
    import os, sys, time
    from pack_it.lifecycle.cache import Cache
    cache = Cache(sys.argv[1])
    work = cache.work_dir()
    (work / "big").write_bytes(b"x" * 1000)
    with cache.new_blob() as (f, holder):
        f.write(b"partial")
        print(work, flush=True)
        time.sleep(60)
""")


def _holder(root):
    proc = subprocess.Popen([sys.executable, "-c", HOLD, str(root)], stdout=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONPATH": str(REPO)})
    work = proc.stdout.readline().strip()
    assert work, "the holder did not start"
    return proc, work


def test_scratch_of_a_killed_build_is_removed_by_the_next_and_a_live_ones_is_kept(tmp_path):
    live, live_work = _holder(tmp_path)
    dead, dead_work = _holder(tmp_path)
    try:
        dead.kill()
        dead.wait()
        assert os.path.isdir(dead_work)
        Cache(tmp_path)  # the next build
        assert not os.path.exists(dead_work) and not os.path.exists(dead_work + ".lock")
        assert os.path.isdir(live_work)  # its lock is held: a build still running
        names = os.listdir(tmp_path / "tmp")
        assert sorted(n.split("-")[0] for n in names) == ["build", "build", "staging", "staging"]
    finally:
        live.kill()
        live.wait()
    Cache(tmp_path).close()
    assert os.listdir(tmp_path / "tmp") == []


def test_a_finished_build_leaves_no_scratch(tmp_path):
    cache = Cache(tmp_path)
    work = cache.work_dir()
    _with_record(cache)
    cache.release(work)
    cache.close()
    assert os.listdir(tmp_path / "tmp") == []


def test_dead_partials_beside_an_output_are_swept_live_ones_kept(tmp_path):
    (tmp_path / ".partial-dead").write_bytes(b"x")
    (tmp_path / "other").write_bytes(b"y")
    with atomic_file(tmp_path / "out.tar") as f:
        f.write(b"z")
        live = [n for n in os.listdir(tmp_path) if n.startswith(".partial-") and n != ".partial-dead"]
        sweep_partials(tmp_path)  # another pack-it, while this one writes
        assert sorted(os.listdir(tmp_path)) == sorted([*live, "other"])
    assert sorted(os.listdir(tmp_path)) == ["other", "out.tar"]


# Directories renamed into place --------------------------------------------------------------

def test_place_dir_onto_an_existing_directory_keeps_it(tmp_path):
    cache = Cache(tmp_path / "cache")
    final = cache.pack_dir("python", "installed") / "key"
    for n in range(2):
        staging = tmp_path / f"staging{n}"
        (staging / "site-packages").mkdir(parents=True)
        (staging / "site-packages" / "mod.py").write_text(f"build {n}")
        cache.place_dir(staging, final)  # the second would be ENOTEMPTY with os.replace
        assert not staging.exists()
    assert (final / "site-packages" / "mod.py").read_text() == "build 0"


def test_place_dir_replaces_an_incomplete_directory(tmp_path):
    cache = Cache(tmp_path / "cache")
    final = cache.pack_dir("node", "modules") / "key"
    final.mkdir()
    (final / "junk").write_text("from a killed build")
    staging = tmp_path / "staging"
    (staging / "node_modules").mkdir(parents=True)
    cache.place_dir(staging, final, ready=final / "node_modules")
    assert sorted(os.listdir(final)) == ["node_modules"]


PLACE = textwrap.dedent("""
    import os, sys, time
    from pathlib import Path
    from pack_it.lifecycle.cache import Cache
    cache = Cache(sys.argv[1])
    final = Path(sys.argv[1]) / "packs" / "x" / "shared"
    for round in range(30):
        staging = Path(cache.staging_dir()) / f"s{round}"
        (staging / "node_modules").mkdir(parents=True)
        (staging / "node_modules" / "who").write_text(sys.argv[2])
        target = Path(f"{final}{round}")
        cache.place_dir(staging, target, ready=target / "node_modules")
        assert (target / "node_modules" / "who").read_text() in ("a", "b", "c", "d")
""")


def test_four_processes_placing_the_same_directories(tmp_path):
    procs = [subprocess.Popen([sys.executable, "-c", PLACE, str(tmp_path), name], stderr=subprocess.PIPE, text=True,
                              env={**os.environ, "PYTHONPATH": str(REPO)}) for name in "abcd"]
    for proc in procs:
        assert proc.wait(60) == 0, proc.stderr.read()
    for round in range(30):
        assert os.listdir(tmp_path / "packs" / "x" / f"shared{round}") == ["node_modules"]


def test_records_deferred_until_committed(tmp_path):
    cache = Cache(tmp_path)
    cache.defer_records()
    digest = _with_record(cache)
    assert cache.layer_record("go", "app", "key", 1)["digest"] == digest  # seen in this build
    assert list((tmp_path / "layers").iterdir()) == []
    cache.discard_records()
    assert cache.layer_record("go", "app", "key", 1) is None
    cache.defer_records()
    _with_record(cache)
    cache.commit_records()
    assert json.loads(next((tmp_path / "layers").iterdir()).read_text())["digest"] == digest


def test_a_relative_cache_dir_is_made_absolute(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    cache = Cache("rel-cache")  # tools (go's GOPATH) run elsewhere and refuse relative paths
    assert cache.root == tmp_path / "rel-cache" and cache.pack_dir("go", "x").is_absolute()


PLACE_ONE = textwrap.dedent("""
    import sys
    from pathlib import Path
    from pack_it.lifecycle.cache import Cache
    cache = Cache(sys.argv[1])
    staging = Path(cache.staging_dir()) / "s"
    (staging / "node_modules").mkdir(parents=True)
    cache.place_dir(staging, Path(sys.argv[2]), ready=Path(sys.argv[2]) / "node_modules")
""")


def test_place_dir_waits_for_the_key_lock_another_build_holds(tmp_path):
    cache = Cache(tmp_path / "cache")
    final = cache.pack_dir("node", "modules") / "key"
    with cache.lock(str(final)):  # another build is checking or renaming this key
        proc = subprocess.Popen([sys.executable, "-c", PLACE_ONE, str(cache.root), str(final)],
                                env={**os.environ, "PYTHONPATH": str(REPO)})
        with pytest.raises(subprocess.TimeoutExpired):
            proc.wait(3)
        assert not final.exists()
    assert proc.wait(30) == 0
    assert os.listdir(final) == ["node_modules"]
