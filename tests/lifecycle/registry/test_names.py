import pytest

from pack_it.errors import PackItError
from pack_it.lifecycle.publish import reference as refs
from pack_it.lifecycle.registry.names import RegistryRef, names_registry, parse


@pytest.mark.parametrize("value, expected", [
    ("127.0.0.1:5000/app", RegistryRef("127.0.0.1:5000", "app", "latest")),
    ("registry:ghcr.io/team/app:1.2", RegistryRef("ghcr.io", "team/app", "1.2")),
    ("localhost/app:x", RegistryRef("localhost", "app", "x")),
    ("docker.io/nginx", RegistryRef("docker.io", "library/nginx", "latest")),
    ("reg.example.com/a@sha256:" + "0" * 64, RegistryRef("reg.example.com", "a", "latest", "sha256:" + "0" * 64)),
])
def test_parse(value, expected):
    assert parse(value) == expected


@pytest.mark.parametrize("value", ["app:1", "team/app", "ghcr.io/Team/app", "reg.example.com/a@sha256:abc"])
def test_not_a_registry_reference(value):
    with pytest.raises(PackItError):
        parse(value)


def test_local_names_are_not_registries():
    assert not names_registry("go-hello:latest") and not names_registry("team/app")
    assert names_registry("127.0.0.1:5000/app:1") and names_registry("ghcr.io/a/b")


def test_an_image_name_may_carry_a_registry_host():
    assert str(refs.parse("127.0.0.1:5000/team/app:1")) == "127.0.0.1:5000/team/app:1"
    assert refs.parse("127.0.0.1:5000/team/app").tag == "latest"
