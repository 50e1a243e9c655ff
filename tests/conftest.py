"""Shared fixtures. Tests that need a container engine or an image tool skip with a reason
on a machine without one; with PACK_IT_REQUIRE_ENGINE=1 (CI sets it) they fail instead.

Every test runs hermetically: pack-it's own settings (PACK_IT_*), SOURCE_DATE_EPOCH and the
tools' registry settings are cleared, and HOME and the XDG directories point at a fresh
temporary directory, so no test reads the invoking user's cache, config or credentials."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from hypothesis import settings

# Property tests draw the same examples on every run (derandomize) and keep no example
# database: a run's result depends on the commit, never on the day or an earlier run. To
# explore new examples: pytest --hypothesis-seed=N (or the "explore" profile below).
settings.register_profile("pack-it", derandomize=True, database=None)
settings.register_profile("explore", derandomize=False, database=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "pack-it"))

REPO = Path(__file__).resolve().parent.parent
SAMPLE_APPS = REPO / "sample_apps"
REQUIRED = os.environ.get("PACK_IT_REQUIRE_ENGINE") == "1"
# The test harness's own switches survive the clean-up; everything else PACK_IT_* is pack-it's.
HARNESS = {"PACK_IT_REQUIRE_ENGINE", "PACK_IT_REQUIRE_NETWORK", "PACK_IT_TEST_CACHE"}
CLEARED = ("SOURCE_DATE_EPOCH", "XDG_CACHE_HOME", "XDG_CONFIG_HOME", "XDG_DATA_HOME", "DOCKER_CONFIG",
           "DOCKER_HOST", "REGISTRY_AUTH_FILE", "npm_config_registry", "NPM_CONFIG_REGISTRY",
           "npm_config_cache", "UV_INDEX_URL", "PIP_INDEX_URL", "GOFLAGS", "GOPROXY", "GOTOOLCHAIN")


# What `network` tests reach: the package registries pack-it downloads from.
REGISTRIES = (("registry.npmjs.org", 443), ("pypi.org", 443), ("files.pythonhosted.org", 443),
              ("deb.debian.org", 80), ("proxy.golang.org", 443), ("index.crates.io", 443), ("static.crates.io", 443),
              ("repo.maven.apache.org", 443))
# rustup keeps its toolchains under the invoking user's home; the tests' fresh HOME must still
# find them (its proxies read RUSTUP_HOME, else ~/.rustup).
RUSTUP_HOME = os.environ.get("RUSTUP_HOME") or str(Path.home() / ".rustup")
NETWORK_REQUIRED = os.environ.get("PACK_IT_REQUIRE_NETWORK") == "1"


def _unreachable_registry() -> str | None:
    """The first registry that does not accept a connection, or None when all do."""
    import socket

    for host, port in REGISTRIES:
        try:
            socket.create_connection((host, port), timeout=5).close()
        except OSError as e:
            return f"{host}:{port} ({e})"
    return None


# The `network` marker is declared in pyproject.toml, beside `engine`.


# Known failures: a test id (or its prefix) and why it fails, skipped with that reason until
# fixed; each is listed in the issues' notes. Empty: every one is fixed.
KNOWN_FAILING = {
}

# Tests that take minutes (cold builds) or 10 MB inputs: `pytest -m slow` runs them; CI runs
# `-m "not slow"` to stay under its 30 minutes. Every end-to-end sample app not listed in
# E2E_IN_CI is slow.
SLOW = ("tests/security/test_hostile_manifests.py::test_a_hostile_manifest_is_one_sentence_naming_it[",
        "tests/lifecycle/stacks/test_cli_stacks.py::test_lock_writes_the_release_locks",
        "tests/faults/test_concurrency.py::test_four_builds_sharing_a_cache[python]",
        "tests/packs/java/test_build.py::test_full_runtime",
        "tests/lifecycle/test_cacheimage.py::test_an_unchanged_cache_image_pushes_no_layer_again",
        "tests/lifecycle/test_cacheimage.py::test_a_fresh_worker_builds_go_modules_offline",
        "tests/lifecycle/test_cacheimage.py::test_a_missing_cache_image_is_a_warning",
        "tests/lifecycle/sandbox/test_toolchains.py::test_the_sandbox_does_not_change_the_image[node-express]",
        "tests/e2e/test_start_commands.py", "tests/e2e/test_static_http.py")
SLOW_10MB = (":10MB]", ":10MB-line]")
E2E_IN_CI = ("go-hello", "python-flask", "node-express", "static-vite-react", "rust-workspace", "java-maven-jar",
             "node-host-env",  # tiny: no dependencies, the Node layer node-express fetched
             "rust-axum",  # 43 crates on Debian's rustc: about a minute cold
             # Yarn 1, Yarn berry 3.2.4 (pinned tarball, Node 16) and a plain site: 25 s together
             "node-koa-yarn", "node-yarn3", "static-html")


TREES = "tests/security/test_hostile_trees.py::test_a_hostile_tree_builds_without_host_content["
TREES_IN_CI = ("link-to-host-file]", "python-version-link-to-host]", "link-to-host-dir]", "link-to-etc-passwd]", "link-loop-pair]", "fifo]",
               "char-device]", "setuid-file]", "non-utf8-name]", "2000-deep]", "git-head-to-host]",
               "git-ref-link-to-host]", "node-modules-link-to-host]", "go-mod-link-to-host]")


def _slow(nodeid: str) -> bool:
    if nodeid.startswith(SLOW[0]):
        return nodeid.endswith(SLOW_10MB)
    if nodeid.startswith(TREES):  # each is a build: a representative third runs in CI
        return not nodeid.endswith(TREES_IN_CI)
    if nodeid.startswith(SLOW[1:]):
        return True
    if nodeid.startswith("tests/e2e/test_sample_apps.py::"):
        return not any(nodeid.endswith(f"[{app}]") for app in E2E_IN_CI)
    return False


def pytest_collection_modifyitems(config, items):
    for item in items:
        reason = next((why for prefix, why in KNOWN_FAILING.items() if item.nodeid.startswith(prefix)), None)
        if reason:
            item.add_marker(pytest.mark.skip(reason=f"known failing: {reason}"))
        if _slow(item.nodeid):
            item.add_marker(pytest.mark.slow)
    if not any(item.get_closest_marker("network") for item in items) or NETWORK_REQUIRED:
        return
    unreachable = _unreachable_registry()
    if unreachable:
        skip = pytest.mark.skip(reason=f"offline: cannot reach {unreachable}; PACK_IT_REQUIRE_NETWORK=1 "
                                       "makes network tests mandatory")
        for item in items:
            if item.get_closest_marker("network"):
                item.add_marker(skip)


@pytest.fixture(autouse=True)
def hermetic_environment(monkeypatch, tmp_path_factory):
    for name in list(os.environ):
        if (name.startswith("PACK_IT_") and name not in HARNESS) or name in CLEARED:
            monkeypatch.delenv(name)
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("HOME", str(home))
    if Path(RUSTUP_HOME).is_dir():
        monkeypatch.setenv("RUSTUP_HOME", RUSTUP_HOME)
    # The sandbox's build roots (546 MB each) are shared by every test's cache, as the stack
    # tests share their .debs; PACK_IT_TEST_CACHE keeps them across runs.
    monkeypatch.setenv("PACK_IT_BUILDROOTS", str(_buildroots(tmp_path_factory)))
    yield home
    # A HOME may hold a whole pack-it cache (gigabytes); kept for 2,000 tests they filled the
    # disk of a CI run. tmp_path of a passed test goes too (tmp_path_retention_policy).
    _remove_tree(home)


def _remove_tree(root: Path) -> None:
    def writable_then_retry(function, path, _exc_info):
        # The Go module cache is read-only by design; a non-root run cannot unlink inside it.
        os.chmod(os.path.dirname(path), 0o700)
        function(path)
    if root.exists():
        shutil.rmtree(root, onerror=writable_then_retry)


_BUILDROOTS: list[Path] = []


@pytest.fixture(scope="session")
def shared_buildroots(tmp_path_factory) -> Path:
    """The build roots' directory every test shares (PACK_IT_BUILDROOTS), for session fixtures
    that build before any test's hermetic environment is set up."""
    return _buildroots(tmp_path_factory)


def _buildroots(tmp_path_factory) -> Path:
    if not _BUILDROOTS:
        keep = os.environ.get("PACK_IT_TEST_CACHE")
        _BUILDROOTS.append(Path(keep) / "buildroots" if keep else tmp_path_factory.mktemp("buildroots"))
    return _BUILDROOTS[0]


def need(tool: str, probe: list[str] | None = None) -> str:
    """The tool's path, or a skip (a failure where the engine tests are mandatory)."""
    path = shutil.which(tool)
    ok = path is not None
    if ok and probe:
        ok = subprocess.run([path, *probe], capture_output=True).returncode == 0
    if not ok:
        reason = f"{tool} is not installed or not working here (see .ci/run for the set-up)"
        if REQUIRED:
            pytest.fail(reason + "; PACK_IT_REQUIRE_ENGINE=1 makes it mandatory")
        pytest.skip(reason)
    return path


@pytest.fixture(scope="session")
def podman() -> str:
    return need("podman", ["info"])


@pytest.fixture(scope="session")
def skopeo() -> str:
    return need("skopeo", ["--version"])


@pytest.fixture(scope="session")
def umoci() -> str:
    return need("umoci", ["--version"])


@pytest.fixture(scope="session")
def go_tool() -> str:
    return need("go", ["version"])


@pytest.fixture(scope="session")
def shared_cache(tmp_path_factory) -> Path:
    """One cache for the whole session, so the Go standard library compiles once (and, with
    PACK_IT_TEST_CACHE, for the sessions of one CI run: .ci/run starts it empty)."""
    keep = os.environ.get("PACK_IT_TEST_CACHE")
    if keep:
        (Path(keep) / "cache").mkdir(parents=True, exist_ok=True)
        return Path(keep) / "cache"
    return tmp_path_factory.mktemp("pack-it-cache")


@pytest.fixture
def app_copy(tmp_path):
    """Copies a sample app into a fresh directory (tests never touch sample_apps/)."""

    def copy(name: str, dest: Path | None = None) -> Path:
        target = dest or tmp_path / name
        shutil.copytree(SAMPLE_APPS / name, target)
        return target

    return copy
