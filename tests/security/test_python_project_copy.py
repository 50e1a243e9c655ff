"""The Python install reads a copy of the app's source, never the app directory (issue 14
leftover): `uv pip install <app>` built the project from the directory itself, so a file there
that links to a host file (or a package directory linking out) was packaged into the image."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest

from pack_it.detectors.python.facts import InstallFacts
from pack_it.detectors.source import SourceTree
from pack_it.lifecycle.context import BuildContext
from pack_it.packs.python import dependencies

SECRET = "TOPSECRET-host-module"


@pytest.mark.parametrize("kind,files", [("project", ("pyproject.toml",)), ("requirements", ("requirements.txt",))])
def test_the_installer_reads_a_copy_without_links_out(tmp_path, monkeypatch, kind, files):
    host = tmp_path / "host"
    host.mkdir()
    (host / "secret.py").write_text(f"TOKEN = {SECRET!r}\n")
    app = tmp_path / "app"
    (app / "pkg").mkdir(parents=True)
    (app / "pyproject.toml").write_text('[project]\nname = "pkg"\nversion = "1"\n')
    (app / "requirements.txt").write_text("-e .\n")
    (app / "pkg" / "__init__.py").write_text("")
    (app / "pkg" / "secret.py").symlink_to(host / "secret.py")
    calls: list[tuple[list[str], Path]] = []
    ctx = SimpleNamespace(tree=SourceTree(app), work=tmp_path / "work", cache_dir=lambda name: tmp_path / name,
                          run=lambda argv, env, cwd, what: calls.append((argv, Path(cwd))),
                          bind_tools=lambda *paths: None, sandbox=SimpleNamespace(root=None, enabled=False),
                          reporter=SimpleNamespace(step=lambda message: None))
    ctx.copy_source = lambda dest, files=None: BuildContext.copy_source(ctx, dest, files)  # type: ignore[arg-type]
    monkeypatch.setattr(dependencies, "find_uv", lambda: "/usr/bin/uv")
    dependencies.install(ctx, tmp_path / "site", "3.11", InstallFacts(kind, files), ())  # type: ignore[arg-type]
    assert calls
    for argv, cwd in calls:
        read = [Path(a) for a in argv if a.startswith("/") and a != "/usr/bin/uv"] + [cwd]
        assert all(not p.is_relative_to(app) for p in read), (argv, cwd)
        assert cwd.is_relative_to(ctx.work)
        assert (cwd / "pyproject.toml").is_file() and (cwd / "pkg" / "__init__.py").is_file()
        assert not (cwd / "pkg" / "secret.py").exists()


def test_a_project_installed_from_the_copy_records_the_workspace_not_the_scratch_path(tmp_path):
    import json

    copy = tmp_path / "build-x1y2" / "python-project"
    record = tmp_path / "site" / "pkg-1.dist-info" / "direct_url.json"
    record.parent.mkdir(parents=True)
    record.write_text(json.dumps({"url": copy.as_uri(), "dir_info": {}}))
    other = tmp_path / "site" / "dep-2.dist-info" / "direct_url.json"
    other.parent.mkdir(parents=True)
    other.write_text(json.dumps({"url": "https://example.com/dep-2.whl", "archive_info": {}}))
    dependencies.point_at_workspace(tmp_path / "site", copy, "/workspace")
    assert json.loads(record.read_text())["url"] == "file:///workspace"
    assert json.loads(other.read_text())["url"] == "https://example.com/dep-2.whl"
