"""Started as `python -m hello_module`: no main.py, no manifest, the standard library only."""
