"""The static pack: the nginx configuration it renders, the served folder it makes (no dot
paths, no links leading out), its start script's checks, and layer reuse across builds."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from pack_it.detectors.static.facts import FrontEnd, StaticFacts
from pack_it.detectors.node.facts import ManagerFacts
from pack_it.errors import PackItError
from pack_it.lifecycle.pipeline import BuildOptions, build
from pack_it.lifecycle.reporter import Reporter
from pack_it.packs import REGISTRY
from pack_it.packs.static import _site, server
from tests.conftest import SAMPLE_APPS

PLAIN = StaticFacts(root=".", root_source="index.html", spa=False, spa_source="the tree (2 pages)", not_found=None)
SPA = StaticFacts(root="dist", root_source="default (vite)", spa=True, spa_source="x", not_found=None,
                  front_end=FrontEnd("vite", "package.json", "vite build", ManagerFacts("npm", None, "package-lock.json"),
                                     None, ()))


class Warnings(Reporter):
    def __init__(self) -> None:
        self.warnings: list[str] = []

    def warn(self, message: str) -> None:
        self.warnings.append(message)


def _try_files(conf: str) -> str:
    return re.search(r"location / \{.*?try_files ([^;]+);", conf, re.DOTALL).group(1)


def test_spa_falls_back_to_index_and_multi_page_to_its_404_page():
    spa = server.nginx_conf(SPA, not_found=False, version="t")
    assert _try_files(spa) == "$uri $uri.html $uri/ @spa"
    assert "rewrite ^ /index.html break;" in spa
    mpa = server.nginx_conf(PLAIN, not_found=True, version="t")
    assert _try_files(mpa) == "$uri $uri.html $uri/ =404"
    assert "error_page 404 /404.html;" in mpa and "@spa" not in mpa
    plain_404 = server.nginx_conf(PLAIN, not_found=False, version="t")
    assert "error_page 404 /__pack_it_not_found;" in plain_404 and 'return 404 "Not Found\\n";' in plain_404


def test_the_configuration_keeps_nginx_to_the_site():
    conf = server.nginx_conf(PLAIN, not_found=False, version="t")
    for line in ("root /layers/static/site/www;", "disable_symlinks on;", "autoindex off;", "server_tokens off;",
                 "error_page 403 =404", "include /tmp/pack-it-nginx-listen.conf;", "gzip_static on;",
                 "brotli_static on;", "location = /_health", "location ~ /\\.(?!well-known/)"):
        assert line in conf, line
    assert "user " not in conf  # runs as the image's user; nginx would try to switch


def test_extra_headers_go_into_every_location():
    facts = StaticFacts(**{**PLAIN.__dict__, "headers": {"X-Frame-Options": "DENY"}})
    conf = server.nginx_conf(facts, not_found=False, version="t")
    assert conf.count('add_header X-Frame-Options "DENY";') == conf.count('add_header X-Content-Type-Options')
    assert conf.count('add_header X-Frame-Options "DENY";') >= 2


@pytest.mark.parametrize("name,build,plain", [
    ("/assets/index-BFyMYtqs.js", True, False),  # Vite: base64url, no digit
    ("/assets/index-D-f3A_b2.css", True, True),
    ("/static/js/main.3f2a1c9e.js", True, True),  # CRA: hex
    ("/main.3f2a1c9e4b5d6e7f.js", True, True),  # Angular
    ("/_next/static/chunks/webpack.js", True, False),
    ("/assets/app-5d41402a.js", True, True),
    ("/js/bootstrap-datepicker.js", False, False),  # a hand-written name
    ("/js/app-MainMenu.js", True, False),
    ("/index.html", False, False),
    ("/assets/index-BFyMYtqs.js.map.txt", False, False),
])
def test_hashed_names(name, build, plain):
    assert bool(re.search(server.HASHED_BUILD, name)) is build
    assert bool(re.search(server.HASHED_PLAIN, name)) is plain


def test_the_served_folder_leaves_out_dot_paths_and_links_leading_out(tmp_path):
    root = tmp_path / "dist"
    (root / "assets").mkdir(parents=True)
    (root / "index.html").write_text("<h1>hi</h1>")
    (root / ".env").write_text("SECRET=1")
    (root / ".git").mkdir()
    (root / ".git" / "config").write_text("x")
    (root / ".well-known").mkdir()
    (root / ".well-known" / "security.txt").write_text("contact")
    (root / "inside.html").symlink_to("index.html")
    (root / "outside").symlink_to("/etc/passwd")
    (root / "up").symlink_to("../secret.txt")
    (tmp_path / "secret.txt").write_text("outside the site")
    (root / "etc").symlink_to("/etc")
    reporter = Warnings()
    layer = tmp_path / "layer"
    _site(reporter, root, layer, SPA)
    served = sorted(str(p.relative_to(layer / "www")) for p in (layer / "www").rglob("*"))
    assert served == [".well-known", ".well-known/security.txt", "assets", "index.html", "inside.html"] or \
        served == [".well-known", ".well-known/security.txt", "index.html", "inside.html"]
    assert not (layer / "www" / "inside.html").is_symlink()
    assert (layer / "www" / "inside.html").read_text() == "<h1>hi</h1>"
    assert sorted(w.split(" ")[0] for w in reporter.warnings) == ["dist/etc", "dist/outside", "dist/up"]
    assert "root /layers/static/site/www;" in (layer / "nginx.conf").read_text()


def test_a_build_that_wrote_no_output_folder_is_a_build_error(tmp_path):
    with pytest.raises(PackItError, match=r"The build wrote no dist/ folder \(default \(vite\) names it\)") as e:
        _site(Warnings(), tmp_path / "dist", tmp_path / "layer", SPA)
    assert e.value.exit_code == 51


def test_a_404_page_is_used_only_by_a_multi_page_site(tmp_path):
    (tmp_path / "site").mkdir()
    (tmp_path / "site" / "404.html").write_text("nope")
    _site(Warnings(), tmp_path / "site", tmp_path / "a", PLAIN)
    assert "error_page 404 /404.html;" in (tmp_path / "a" / "nginx.conf").read_text()
    _site(Warnings(), tmp_path / "site", tmp_path / "b", SPA)
    assert "error_page 404 /404.html;" not in (tmp_path / "b" / "nginx.conf").read_text()


@pytest.mark.skipif(shutil.which("dash") is None, reason="dash is not installed")
@pytest.mark.parametrize("port", ["abc", "0", "080", "70000", "80; root /", "-1"])
def test_the_start_script_refuses_a_port_that_is_not_one(tmp_path, port):
    script = tmp_path / "start.sh"
    script.write_text(server.start_script())
    proc = subprocess.run(["dash", str(script)], env={**os.environ, "PORT": port}, capture_output=True, text=True)
    assert proc.returncode == 64, proc.stderr
    assert f"error: PORT={port} is not a port number" in proc.stderr


@pytest.mark.network
def test_a_rebuild_reuses_the_layers_and_a_change_rebuilds_only_the_site(tmp_path):
    app = tmp_path / "site"
    shutil.copytree(SAMPLE_APPS / "static-multipage", app)
    cache = tmp_path / "cache"
    first = build(BuildOptions(app, output=f"tar:{tmp_path / 'a.tar'}", cache_dir=cache), REGISTRY)
    again = build(BuildOptions(app, output=f"tar:{tmp_path / 'b.tar'}", cache_dir=cache), REGISTRY)
    assert again.reused_layers == 2 and again.image.digest == first.image.digest
    (app / "about.html").write_text((app / "about.html").read_text().replace("About", "About us"))
    changed = build(BuildOptions(app, output=f"tar:{tmp_path / 'c.tar'}", cache_dir=cache), REGISTRY)
    assert changed.reused_layers == 1 and changed.image.digest != first.image.digest


def test_a_configuration_rendered_before_is_read_back_from_the_cache(tmp_path):
    first = server.nginx_conf(SPA, False, "t", tmp_path)
    (cached,) = tmp_path.glob("*.conf")
    assert cached.read_text() == first == server.nginx_conf(SPA, False, "t")
    cached.write_text("# from the cache\n")
    assert server.nginx_conf(SPA, False, "t", tmp_path) == "# from the cache\n"
    assert server.nginx_conf(SPA, True, "t", tmp_path) != "# from the cache\n"  # other inputs, other key
    assert not list(tmp_path.glob("*.partial-*"))
