"""Django: static files are collected at build time, into the app's source layer, when the
settings module sets STATIC_ROOT."""

from __future__ import annotations

from typing import TYPE_CHECKING

import sys
from pathlib import Path

if TYPE_CHECKING:  # annotations only: importing the build machinery is left to the build
    from pack_it.lifecycle.context import BuildContext



def collectstatic(ctx: BuildContext, app_dir: Path, site_packages: Path, settings: str,
                  python: str = sys.executable) -> None:
    ctx.run([python, "manage.py", "collectstatic", "--noinput", "--verbosity", "0"],
            cwd=app_dir, what="manage.py collectstatic", env={
                "PYTHONPATH": f"{site_packages}:{app_dir}",
                "DJANGO_SETTINGS_MODULE": settings,
                "PYTHONDONTWRITEBYTECODE": "1",
            })
