from flask import Flask


def create_app():
    app = Flask(__name__)

    @app.get("/")
    def index():
        return {"message": "Hello from python-flask-factory!", "factory": True}

    return app
