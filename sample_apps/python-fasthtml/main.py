from fasthtml.common import *

app, rt = fast_app()


@rt("/")
def get():
    return P("Hello from python-fasthtml!")


serve()  # FastHTML's own runner: starts uvicorn only when run as `python main.py`
