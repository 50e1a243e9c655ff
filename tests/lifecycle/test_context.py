"""BuildContext: the keys every pack's layers get."""

from __future__ import annotations

from pack_it.lifecycle.context import BuildContext


def _ctx(env: dict[str, str], version: str = "1.0") -> BuildContext:
    # key() reads the pack, its version and the --env values only.
    return BuildContext("demo", None, None, env, None, None, None, 0, pack_version=version)  # type: ignore[arg-type]


def test_a_layer_key_changes_with_the_env_values_the_build_tools_see():
    assert _ctx({"API_URL": "a"}).key(source="x") != _ctx({"API_URL": "b"}).key(source="x")
    assert _ctx({}).key(source="x") != _ctx({"API_URL": "a"}).key(source="x")
    assert _ctx({"A": "1", "B": "2"}).key(source="x") == _ctx({"B": "2", "A": "1"}).key(source="x")


def test_a_layer_key_holds_no_env_value_and_changes_with_the_pack_version():
    key = _ctx({"TOKEN": "s3cr3t-value"}).key(source="x")
    assert "s3cr3t" not in key
    assert _ctx({}, "1.0").key(source="x") != _ctx({}, "1.1").key(source="x")
