from __future__ import annotations

import pytest

from pack_it.detectors.python.version import STANDALONE_ENV


@pytest.fixture(autouse=True)
def no_standalone(monkeypatch):
    """Tests start without python-build-standalone, whatever the machine running them sets."""
    monkeypatch.delenv(STANDALONE_ENV, raising=False)
