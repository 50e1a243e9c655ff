"""The web server's configuration: nginx.conf rendered from nginx.conf.j2 with the site's
settings (in the site layer, beside the served www/), and start.sh (the server layer), which
dash runs to put $PORT and the types into /tmp before it execs nginx."""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path

from pack_it.detectors.static.facts import StaticFacts

HERE = Path(__file__).parent
SERVER_DIR = "/layers/static/server"
SITE_DIR = "/layers/static/site/www"
HEALTH_PATH = "/_health"
START = ("/bin/dash", f"{SERVER_DIR}/start.sh")
TEXT_TYPES = ("text/css", "text/plain", "text/xml", "text/javascript", "text/markdown", "text/csv",
              "application/javascript", "application/json", "application/ld+json", "application/manifest+json",
              "application/xml", "application/rss+xml", "application/atom+xml", "image/svg+xml")
COMPRESSIBLE = TEXT_TYPES + ("application/wasm", "font/ttf", "font/otf", "application/vnd.ms-fontobject",
                             "image/x-icon", "image/vnd.microsoft.icon", "image/bmp")
ASSETS = r"(?:js|mjs|css|map|woff2?|ttf|otf|eot|svg|png|jpe?g|gif|webp|avif|ico|wasm|json|mp4|webm)"
# A hash of 8+ characters after a dot or dash: for a build, with a digit or a capital letter
# (Vite's base64url, CRA's and Angular's hex); for a plain site, with a digit (hand-written
# names such as app-MainMenu.js are not hashes).
HASHED_BUILD = rf"^/_next/static/|[.-](?=[0-9A-Za-z_-]*[0-9A-Z])[0-9A-Za-z_-]{{8,}}\.{ASSETS}$"
HASHED_PLAIN = rf"[.-](?=[0-9A-Za-z_-]*[0-9])[0-9A-Za-z_-]{{8,}}\.{ASSETS}$"


@cache
def _template():
    import jinja2  # on first use: only builds of static sites pay for it

    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(HERE)), autoescape=False,
                             undefined=jinja2.StrictUndefined, keep_trailing_newline=True,
                             trim_blocks=True, lstrip_blocks=False)
    return env.get_template("nginx.conf.j2")


def nginx_conf(facts: StaticFacts, not_found: bool, version: str, cache_dir: Path | None = None) -> str:
    """The configuration for this site; `not_found`: the site has its own 404.html. With
    `cache_dir`, a configuration rendered before from the same inputs is read back: a rebuild
    after a page edit then does not import jinja2 (0.1-0.5 s)."""
    import hashlib
    import json

    key = hashlib.sha256(json.dumps([template_digest(), facts.to_json(), not_found, version],
                                    sort_keys=True).encode()).hexdigest()
    cached = cache_dir / f"{key}.conf" if cache_dir is not None else None
    if cached is not None and cached.is_file():
        return cached.read_text()
    text = _render(facts, not_found, version)
    if cached is not None:
        cached.parent.mkdir(parents=True, exist_ok=True)
        partial = cached.with_suffix(f".partial-{os.getpid()}")
        partial.write_text(text)
        os.replace(partial, cached)  # whole or absent, even with concurrent builds
    return text


def _render(facts: StaticFacts, not_found: bool, version: str) -> str:
    return _template().render(
        version=version, root=SITE_DIR, spa=facts.spa, not_found=not_found,
        not_found_uri="/404.html" if not_found else "/__pack_it_not_found",
        fallback="@spa" if facts.spa else "=404", health_path=HEALTH_PATH,
        hashed_regex=HASHED_BUILD if facts.front_end else HASHED_PLAIN,
        text_types=TEXT_TYPES, compressible_types=COMPRESSIBLE, extra_headers=facts.headers,
    )


def template_digest() -> str:
    import hashlib

    return hashlib.sha256((HERE / "nginx.conf.j2").read_bytes()).hexdigest()


def start_script() -> str:
    return (HERE / "start.sh").read_text()
