"""SPA or multi-page: a client-side router, or a single HTML page, makes the site an SPA
(unknown paths answer its index.html with 200); otherwise unknown paths get the site's 404.html
(or a plain 404) with status 404."""

from __future__ import annotations

from pack_it.detectors.node.package_json import PackageJson

ROUTERS = ("react-router", "react-router-dom", "@tanstack/react-router", "@tanstack/router", "vue-router",
           "@angular/router", "svelte-spa-router", "svelte-routing", "svelte-navigator", "@solidjs/router",
           "wouter", "preact-router", "@reach/router", "navaid", "page")
NOT_FOUND = "404.html"


def router(pkg: PackageJson) -> str | None:
    """The evidence of a client-side router, or None."""
    return next((pkg.where(dep) for dep in ROUTERS if pkg.dependency_field(dep)), None)


def pages(files: list[str]) -> list[str]:
    """The HTML pages among `files` (paths relative to the site root)."""
    return [f for f in files if f.lower().endswith((".html", ".htm")) and "node_modules/" not in f]
