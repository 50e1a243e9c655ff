"""A transient network error (a 503, a dropped connection, a resolver's hiccup) while fetching
from the Debian archive is tried again; a 404 is not (the file is gone: retention mirrors)."""

from __future__ import annotations

import hashlib
import http.server
import threading

import pytest

from pack_it.lifecycle.stacks import debian

DATA = b"a .deb's bytes" * 100


@pytest.fixture
def server(monkeypatch):
    monkeypatch.setattr(debian, "BACKOFF", 0.0)
    state = {"failures": 0, "status": 503, "requests": 0}

    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, *args) -> None:
            pass

        def do_GET(self) -> None:
            state["requests"] += 1
            if state["failures"] > 0:
                state["failures"] -= 1
                self.send_response(state["status"])
                self.end_headers()
                return
            self.send_response(200)
            self.send_header("Content-Length", str(len(DATA)))
            self.end_headers()
            self.wfile.write(DATA)

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/pool/x.deb", state
    httpd.shutdown()


def test_a_503_is_tried_again_and_the_file_arrives(server, tmp_path):
    url, state = server
    state["failures"] = 2  # two hiccups in a row still give the file
    debian.download(url, tmp_path / "x.deb", hashlib.sha256(DATA).hexdigest())
    assert (tmp_path / "x.deb").read_bytes() == DATA and state["requests"] == 3


def test_a_server_that_keeps_failing_is_one_error_and_no_file(server, tmp_path):
    url, state = server
    state["failures"] = debian.ATTEMPTS
    with pytest.raises(debian.PackItError) as e:
        debian.download(url, tmp_path / "x.deb")
    assert url in e.value.message and not (tmp_path / "x.deb").exists()


def test_a_404_is_not_retried(server, tmp_path):
    url, state = server
    state.update(failures=1, status=404)
    with pytest.raises(debian.NotOnMirror):
        debian.download(url, tmp_path / "x.deb")
    assert state["requests"] == 1
