"""A conda environment.yml builds from PyPI; a package PyPI does not have is one error naming
the environment file, and nothing enters the cache."""

from __future__ import annotations

import pytest

from pack_it.errors import BUILD_FAILED, PackItError
from pack_it.lifecycle.pipeline import BuildOptions, build
from pack_it.packs import REGISTRY

pytestmark = pytest.mark.network  # PyPI

ENV = "name: x\ndependencies:\n  - python=3.11\n  - pip:\n    - {}\n"


def test_a_package_pypi_does_not_have_names_the_environment_file(tmp_path, shared_cache):
    app = tmp_path / "app"
    app.mkdir()
    (app / "environment.yml").write_text(ENV.format("pack-it-no-such-package-on-pypi==1.0"))
    (app / "main.py").write_text("print('hello')\n")
    with pytest.raises(PackItError) as err:
        build(BuildOptions(app, output=f"tar:{tmp_path / 'x.tar'}", cache_dir=shared_cache), REGISTRY)
    assert err.value.exit_code == BUILD_FAILED
    assert "pack-it-no-such-package-on-pypi" in err.value.message
    assert err.value.hint.startswith("environment.yml names packages as conda does")
    assert not (tmp_path / "x.tar").exists()
