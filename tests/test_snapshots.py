"""One snapshot of the detect plan of every sample app: a change to any detector shows up
here as a diff to review. `UPDATE_SNAPSHOTS=1 pytest tests/test_snapshots.py` rewrites them."""

import json
import os

import pytest

from pack_it.detectors.source import SourceTree
from pack_it.lifecycle.detect import detect
from tests.conftest import REPO, SAMPLE_APPS

SNAPSHOTS = REPO / "tests" / "snapshots"
APPS = sorted(p.name for p in SAMPLE_APPS.iterdir() if p.is_dir())


@pytest.mark.parametrize("app", APPS)
def test_detect_plan_matches_snapshot(app):
    plan = json.dumps(detect(SourceTree(SAMPLE_APPS / app)).to_json(), indent=2, sort_keys=True) + "\n"
    snapshot = SNAPSHOTS / f"{app}.json"
    if os.environ.get("UPDATE_SNAPSHOTS") == "1":
        snapshot.write_text(plan)
    assert snapshot.is_file(), f"no snapshot for {app}: run with UPDATE_SNAPSHOTS=1 and review it"
    assert plan == snapshot.read_text()


def test_every_snapshot_has_a_sample_app():
    assert sorted(p.stem for p in SNAPSHOTS.glob("*.json")) == APPS
