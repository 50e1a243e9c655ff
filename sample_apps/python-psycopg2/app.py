from flask import Flask
import psycopg2
import psycopg2.extensions

app = Flask(__name__)


@app.get("/")
def index():
    # libpq_version() calls PQlibVersion() in libpq.so.5: it answers only if the C extension
    # built from the sdist loaded, and the image's libpq5 with it.
    return f"python-psycopg2: psycopg2 {psycopg2.__version__.split()[0]}, libpq {psycopg2.extensions.libpq_version()}\n"
