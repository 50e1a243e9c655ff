import pytest

from pack_it.errors import USAGE, PackItError
from pack_it.lifecycle import config
from pack_it.lifecycle.stacks.debian import mirror


@pytest.fixture(autouse=True)
def fresh(monkeypatch, tmp_path):
    config._read.cache_clear()
    monkeypatch.delenv("PACK_IT_DEBIAN_MIRROR", raising=False)
    monkeypatch.setenv("PACK_IT_CONFIG", str(tmp_path / "config.toml"))
    yield
    config._read.cache_clear()


def test_default_mirror_without_config():
    assert mirror("debian") == "http://deb.debian.org/debian"


def test_the_config_file_sets_the_mirror_and_the_environment_wins(tmp_path, monkeypatch):
    (tmp_path / "config.toml").write_text('[debian]\nmirror = "http://mirror.example/debian/"\n')
    assert mirror("debian") == "http://mirror.example/debian"
    assert mirror("debian-security") == "http://deb.debian.org/debian-security"
    monkeypatch.setenv("PACK_IT_DEBIAN_MIRROR", "http://127.0.0.1:9/debian")
    assert mirror("debian") == "http://127.0.0.1:9/debian"


def test_a_broken_config_file_is_one_clear_error(tmp_path):
    (tmp_path / "config.toml").write_text("[debian\n")
    with pytest.raises(PackItError) as err:
        mirror("debian")
    assert err.value.exit_code == USAGE and "config.toml" in err.value.message
