from flask import Flask
from markupsafe import escape

app = Flask(__name__)


@app.get("/")
def index():
    return f"Hello from {escape('python-wheels-pin')}!"
