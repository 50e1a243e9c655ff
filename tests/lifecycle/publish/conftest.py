"""The registry tests' registry and proxy (tests/lifecycle/registry/conftest.py), here too."""

from tests.lifecycle.registry.conftest import proxy, proxy_server, registry  # noqa: F401
