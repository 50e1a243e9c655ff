"""Which package.json scripts a build runs, in which order (detectors/node/lifecycle.py)."""

import pytest

from pack_it.detectors.node import lifecycle


@pytest.mark.parametrize("scripts, steps", [
    ({"start": "node server.js"}, ()),
    ({"build": "tsc"}, ("build",)),
    ({"postinstall": "tsc", "prepare": "husky", "preinstall": "node check.js"}, ("preinstall", "postinstall", "prepare")),
    ({"heroku-postbuild": "npm run build:prod", "build": "tsc"}, ("heroku-postbuild",)),
    ({"gcp-build": "tsc", "build": "vite build"}, ("gcp-build",)),
    ({"postinstall": "patch-package", "build": "tsc", "prestart": "x"}, ("postinstall", "build")),
    ({"postinstall": "  "}, ()),
])
def test_install_hooks_in_npm_order_then_the_first_build_script(scripts, steps):
    assert lifecycle.steps(scripts) == steps


def test_the_install_sees_the_root_package_json_without_its_install_hooks():
    pkg = {"name": "a", "scripts": {"postinstall": "node scripts/setup.js", "prepare": "tsc", "start": "node ."},
           "dependencies": {"ms": "2.1.3"}}
    assert lifecycle.without_install_hooks(pkg) == {"name": "a", "scripts": {"start": "node ."},
                                                    "dependencies": {"ms": "2.1.3"}}
