"""A plain HTTP server whose answer comes from a C extension built from an sdist."""

import os
from http.server import BaseHTTPRequestHandler, HTTPServer

import markupsafe


class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        # markupsafe.escape is the C function of markupsafe._speedups when the sdist's
        # extension compiled, else the pure-Python fallback of markupsafe._native.
        escaped = markupsafe.escape("<b>native</b>")
        body = f"python-sdist-cext: {escaped} by {markupsafe.escape.__module__}\n".encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


if __name__ == "__main__":
    HTTPServer(("0.0.0.0", int(os.environ.get("PORT", "8080"))), Handler).serve_forever()
