"""Where credentials are found, in order, and that a secret never reaches a message."""

from __future__ import annotations

import base64
import json
import stat

import pytest

from pack_it.errors import PackItError
from pack_it.lifecycle.registry.auth import parse_challenge
from pack_it.lifecycle.registry.credentials import Credentials, lookup, parse_creds

HOST = "registry.example.com:5000"


def auth_file(path, host=HOST, user="alice", password="pw-alice", key=None):
    token = base64.b64encode(f"{user}:{password}".encode()).decode()
    path.write_text(json.dumps({"auths": {key or host: {"auth": token}}}))
    return path


def test_docker_config_auths_in_docker_config_dir(tmp_path):
    auth_file(tmp_path / "config.json", key=f"https://{HOST}")
    found = lookup(HOST, env={"DOCKER_CONFIG": str(tmp_path)})
    assert (found.username, found.password) == ("alice", "pw-alice")


def test_home_docker_config_is_the_default(tmp_path):
    (tmp_path / ".docker").mkdir()
    auth_file(tmp_path / ".docker" / "config.json")
    assert lookup(HOST, env={"HOME": str(tmp_path)}).username == "alice"
    assert lookup("other.example.com", env={"HOME": str(tmp_path)}) is None


def test_the_order_creds_then_env_then_podman_auth_file_then_docker(tmp_path):
    auth_file(tmp_path / "auth.json", user="podman-user")
    (tmp_path / "docker").mkdir()
    auth_file(tmp_path / "docker" / "config.json", user="docker-user")
    env = {"REGISTRY_AUTH_FILE": str(tmp_path / "auth.json"), "DOCKER_CONFIG": str(tmp_path / "docker")}
    assert lookup(HOST, env=env).username == "podman-user"
    assert lookup(HOST, env={"DOCKER_CONFIG": str(tmp_path / "docker")}).username == "docker-user"
    ci = {**env, "PACK_IT_REGISTRY_USERNAME": "ci", "PACK_IT_REGISTRY_PASSWORD": "ci-pw"}
    assert lookup(HOST, env=ci).username == "ci"
    assert lookup(HOST, parse_creds("cli:cli-pw"), env=ci).username == "cli"


def test_creds_store_runs_the_helper(tmp_path):
    helper = tmp_path / "docker-credential-store"
    helper.write_text('#!/bin/sh\nread host\nprintf \'{"Username":"bob","Secret":"pw-bob"}\'\n')
    helper.chmod(helper.stat().st_mode | stat.S_IEXEC)
    (tmp_path / "config.json").write_text(json.dumps({"credsStore": "store"}))
    found = lookup(HOST, env={"DOCKER_CONFIG": str(tmp_path), "PATH": str(tmp_path)})
    assert (found.username, found.password) == ("bob", "pw-bob")


def test_a_helper_that_has_nothing_means_anonymous(tmp_path):
    helper = tmp_path / "docker-credential-none"
    helper.write_text("#!/bin/sh\necho 'credentials not found in native keychain'\nexit 1\n")
    helper.chmod(helper.stat().st_mode | stat.S_IEXEC)
    (tmp_path / "config.json").write_text(json.dumps({"credHelpers": {HOST: "none"}}))
    assert lookup(HOST, env={"DOCKER_CONFIG": str(tmp_path), "PATH": str(tmp_path)}) is None


def test_a_helper_printing_garbage_is_not_echoed(tmp_path):
    helper = tmp_path / "docker-credential-leaky"
    helper.write_text("#!/bin/sh\necho 'Secret=hunter2-leak'\n")
    helper.chmod(helper.stat().st_mode | stat.S_IEXEC)
    (tmp_path / "config.json").write_text(json.dumps({"credHelpers": {HOST: "leaky"}}))
    with pytest.raises(PackItError) as e:
        lookup(HOST, env={"DOCKER_CONFIG": str(tmp_path), "PATH": str(tmp_path)})
    assert "docker-credential-leaky" in e.value.message
    assert "hunter2" not in e.value.message + e.value.hint


def test_a_missing_helper_is_named(tmp_path):
    (tmp_path / "config.json").write_text(json.dumps({"credHelpers": {HOST: "absent"}}))
    with pytest.raises(PackItError) as e:
        lookup(HOST, env={"DOCKER_CONFIG": str(tmp_path), "PATH": str(tmp_path)})
    assert e.value.message == f"The credential helper docker-credential-absent for {HOST} is not on PATH."


def test_a_malformed_auth_entry_names_the_file_not_its_content(tmp_path):
    (tmp_path / "config.json").write_text(json.dumps({"auths": {HOST: {"auth": "bm9jb2xvbg"}}}))  # "nocolon", unpadded
    with pytest.raises(PackItError) as e:
        lookup(HOST, env={"DOCKER_CONFIG": str(tmp_path)})
    assert str(tmp_path / "config.json") in e.value.message and "bm9jb2xvbg" not in e.value.message


def test_credentials_hide_the_password():
    creds = parse_creds("alice:pw:with:colons")
    assert creds.password == "pw:with:colons"
    assert "pw:with" not in repr(creds) and "pw:with" not in str(creds)
    assert Credentials("a", "b") != Credentials("a", "c")
    with pytest.raises(PackItError):
        parse_creds("no-colon")


def test_parse_challenge():
    assert parse_challenge('Bearer realm="https://auth.example.com/token",service="registry",scope="repository:a/b:pull"') == (
        "bearer", {"realm": "https://auth.example.com/token", "service": "registry", "scope": "repository:a/b:pull"})
    assert parse_challenge('Basic realm="x"') == ("basic", {"realm": "x"})
