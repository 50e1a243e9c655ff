import sys

import flask
from flask import Flask

app = Flask(__name__)


@app.get("/")
def index():
    return f"Hello from python-conda on Flask {flask.__version__}, Python {sys.version_info[0]}.{sys.version_info[1]}!"
