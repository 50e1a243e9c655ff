"""One snapshot of the detect plan of every sample app: a change to any detector shows up
here as a diff to review. `UPDATE_SNAPSHOTS=1 pytest tests/test_snapshots.py` rewrites them.

Detection is a function of the tree, pack-it's version and the versions index it ships: the
snapshots are taken with the network cut off, so a detector that asked a registry (and so
would depend on the day) fails here."""

import json
import os
import socket

import pytest

from pack_it.detectors.source import SourceTree
from pack_it.lifecycle.detect import detect
from tests.conftest import REPO, SAMPLE_APPS

SNAPSHOTS = REPO / "tests" / "snapshots"
APPS = sorted(p.name for p in SAMPLE_APPS.iterdir() if p.is_dir())


@pytest.fixture
def offline(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("detection tried to reach the network")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)


@pytest.mark.parametrize("app", APPS)
def test_detect_plan_matches_snapshot(app, offline):
    plan = json.dumps(detect(SourceTree(SAMPLE_APPS / app)).to_json(), indent=2, sort_keys=True) + "\n"
    snapshot = SNAPSHOTS / f"{app}.json"
    if os.environ.get("UPDATE_SNAPSHOTS") == "1":
        snapshot.write_text(plan)
    assert snapshot.is_file(), f"no snapshot for {app}: run with UPDATE_SNAPSHOTS=1 and review it"
    assert plan == snapshot.read_text()


def test_every_snapshot_has_a_sample_app():
    assert sorted(p.stem for p in SNAPSHOTS.glob("*.json")) == APPS


def test_plans_name_the_shipped_versions_index(offline):
    from pack_it.lifecycle import versions

    index = versions.shipped()
    for app in APPS:
        recorded = json.loads((SNAPSHOTS / f"{app}.json").read_text())["versions_index"]
        assert recorded == {"date": index.date, "digest": index.digest}, app
