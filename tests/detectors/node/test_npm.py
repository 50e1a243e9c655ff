"""The npm that runs under the app's Node.js (detectors/node/npm.py): the line that Node bundles,
at the newest release whose engines.node accepts it; never the host's."""

import pytest

from pack_it.detectors.node import npm
from pack_it.lifecycle.versions import shipped

RELEASES = {
    "6.14.18": {"node": "6 >=6.2.0 || 8 || >=9.3.0"},
    "8.19.4": {"node": "^12.13.0 || ^14.15.0 || >=16.0.0"},
    "9.9.4": {"node": "^14.17.0 || ^16.13.0 || >=18.0.0"},
    "10.9.2": {"node": "^18.17.0 || >=20.5.0"},
    "11.6.2": {"node": "^20.17.0 || >=22.9.0"},
    "12.0.0-pre.1": {"node": ">=22"},
}


@pytest.mark.parametrize("node, expected", [
    ("14.21.3", "6.14.18"),  # Node 14 bundles npm 6; npm 9 would accept it, npm 11 refuses it
    ("16.20.2", "8.19.4"),
    ("18.0.0", "9.9.4"),  # npm 10 wants ^18.17.0: the newest of the line that runs on 18.0.0
    ("18.20.5", "10.9.2"),
    ("22.12.0", "10.9.2"),  # npm 11 accepts Node 22, but Node 22 bundles npm 10
    ("24.1.0", "11.6.2"),
    ("99.0.0", "11.6.2"),  # a line newer than the table: the newest npm that accepts it
])
def test_the_npm_line_of_the_node_release(node, expected):
    assert npm.choose(node, RELEASES).version == expected


def test_the_reason_names_the_line_and_the_engines_range():
    choice = npm.choose("14.21.3", RELEASES)
    assert choice.reason == ("Node.js 14 bundles npm 6, npm 6.14.18 is the newest release of that line in the versions "
                             "index whose engines.node (6 >=6.2.0 || 8 || >=9.3.0) accepts Node.js 14.21.3")


def test_no_release_fits():
    assert npm.choose("0.10.48", RELEASES).version is None


def test_the_shipped_index_gives_node_14_its_npm_6():
    assert npm.choose("14.21.3", shipped().releases(npm.INDEX_RUNTIME)).version == "6.14.18"
    assert npm.choose("22.12.0", shipped().releases(npm.INDEX_RUNTIME)).version.startswith("10.")
