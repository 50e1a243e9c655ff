"""The console script `hello-site`: a WSGI app served by waitress on $PORT."""

import os

from waitress import serve


def hello(environ, start_response):
    body = b"Hello from hello-site, a setuptools project started by its console script\n"
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
    return [body]


def main():
    serve(hello, host="0.0.0.0", port=int(os.environ.get("PORT", "8080")))
