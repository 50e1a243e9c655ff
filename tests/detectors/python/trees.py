"""Fixture trees (tests/fixtures/python/) and small tmp_path trees for the detector's tests."""

from __future__ import annotations

from pathlib import Path

from pack_it.detectors.source import SourceTree
from tests.detectors.trees import write_tree  # noqa: F401  (re-exported for the tests here)

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "python"
FLASK_APP = "from flask import Flask\n\napp = Flask(__name__)\n"
FASTAPI_APP = "from fastapi import FastAPI\n\napp = FastAPI()\n"


def fixture(name: str) -> SourceTree:
    return SourceTree(FIXTURES / name)


