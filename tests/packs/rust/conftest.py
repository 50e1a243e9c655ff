from __future__ import annotations

import pytest

from tests.conftest import need


@pytest.fixture
def rustc() -> str:
    """The host's rustc, for the `--toolchain host` tests (a skip, or a failure under
    PACK_IT_REQUIRE_ENGINE=1, without one); every other build runs Debian's, which pack-it fetches.
    rustup's proxies find their toolchains from the tests' fresh HOME through RUSTUP_HOME,
    which tests/conftest.py keeps."""
    return need("rustc", ["--version"])
