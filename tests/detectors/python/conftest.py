from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def no_standalone_mirror(monkeypatch):
    """Detection never depends on where python-build-standalone is downloaded from."""
    monkeypatch.delenv("PACK_IT_PYTHON_STANDALONE_URL", raising=False)
