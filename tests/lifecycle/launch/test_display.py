"""`pack-it detect` and `pack-it inspect` show each process as written and how it runs."""

from __future__ import annotations

from pack_it.lifecycle.inspect import _process_lines


def test_inspect_shows_the_command_as_written_and_how_it_runs():
    process = {"type": "web", "default": True, "written": "cd api && node index.js", "runs": "launcher",
               "command": ["/layers/lifecycle/launcher/launcher", "cd api && node index.js"]}
    assert _process_lines(process) == ["  web (default): cd api && node index.js",
                                       "      runs through pack-it's launcher: cd api; exec node index.js"]


def test_inspect_shows_a_shell_command_and_a_direct_one():
    shell = {"type": "worker", "default": False, "written": "node w.js | cat", "runs": "shell",
             "command": ["/bin/sh", "-c", "node w.js | cat"]}
    direct = {"type": "web", "default": True, "written": "gunicorn app:app", "runs": "direct",
              "command": ["gunicorn", "app:app"]}
    assert _process_lines(shell)[1] == "      runs with a shell: /bin/sh -c 'node w.js | cat'"
    assert _process_lines(direct)[1] == "      runs directly: gunicorn app:app"


def test_an_image_from_before_the_launcher_shows_its_argv():
    assert _process_lines({"type": "web", "default": True, "command": ["node", "server.js"]}) == \
        ['  web (default): ["node", "server.js"]']


def test_detect_prints_both(tmp_path, capsys):
    from pack_it import cli

    (tmp_path / "Procfile").write_text("web: uvicorn main:app --port ${PORT:-8000}\n")
    (tmp_path / "requirements.txt").write_text("starlette==0.46.2\nuvicorn==0.34.2\n")
    (tmp_path / "main.py").write_text("from starlette.applications import Starlette\napp = Starlette()\n")
    try:
        cli.app(["detect", str(tmp_path)], standalone_mode=False)
    except SystemExit:
        pass
    out = capsys.readouterr().out
    assert "  web (default): uvicorn main:app --port ${PORT:-8000}  (from Procfile)" in out
    assert "      runs through pack-it's launcher: exec uvicorn main:app --port ${PORT:-8000}" in out
