"""A real registry (TLS from a test CA, htpasswd auth) and a fault-injecting proxy, shared by
the session. Skipped without docker-registry, openssl or htpasswd (failed under
PACK_IT_REQUIRE_ENGINE=1)."""

import pytest

from tests.lifecycle.registry.servers import start_proxy, start_registry


@pytest.fixture(scope="session")
def registry(tmp_path_factory):
    server = start_registry(tmp_path_factory.mktemp("registry"))
    yield server
    server.process.terminate()
    server.process.wait(timeout=10)


@pytest.fixture(scope="session")
def proxy_server(registry):
    proxy, server = start_proxy(registry)
    yield proxy
    server.shutdown()


@pytest.fixture
def proxy(proxy_server):
    """The session's proxy, with no faults and no requests counted yet."""
    proxy_server.reset()
    proxy_server.bearer = False
    yield proxy_server
    proxy_server.reset()
    proxy_server.bearer = False
