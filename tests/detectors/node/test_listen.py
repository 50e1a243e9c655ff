"""HOST=0.0.0.0 in every Node image (HOSTNAME too for Next.js), unless the start command sets it."""

from __future__ import annotations

from tests.detectors.node.helpers import app, fixture, run


def test_every_node_app_listens_on_all_interfaces(tmp_path):
    facts = run(app(tmp_path, {"name": "x", "scripts": {"start": "node server.js"}})).facts
    assert facts.launch_env == {"HOST": "0.0.0.0"}
    assert "listen on localhost only" in facts.launch_env_reason


def test_a_server_js_without_package_json_too(tmp_path):
    (tmp_path / "server.js").write_text("require('http').createServer().listen(3000);\n")
    from pack_it.detectors.source import SourceTree

    assert run(SourceTree(tmp_path)).facts.launch_env == {"HOST": "0.0.0.0"}


def test_next_reads_hostname():
    facts = run(fixture("next-default")).facts
    assert facts.launch_env == {"HOST": "0.0.0.0", "HOSTNAME": "0.0.0.0"}
    assert "Next.js's server reads HOSTNAME" in facts.launch_env_reason


def test_the_start_commands_own_host_wins(tmp_path):
    facts = run(app(tmp_path, {"name": "x", "scripts": {"start": "HOST=127.0.0.1 node server.js"}})).facts
    assert facts.env == {"HOST": "127.0.0.1"}
    assert facts.launch_env == {}
    assert "(HOST set by the start command instead)" in facts.launch_env_reason
