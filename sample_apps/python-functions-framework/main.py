"""A Google Cloud Function: served by the functions framework, `functions-framework --target=hello`."""

import functions_framework


@functions_framework.http
def hello(request):
    name = request.args.get("name", "python-functions-framework")
    return f"Hello from {name} (target hello)\n"
