"""The packs, and the ordered registry the CLI hands to the lifecycle.

A pack is a module (or a folder whose __init__ is that module) satisfying
`pack_it.lifecycle.contract.Pack`: ID, VERSION, LOOKS_FOR, FACTS, RELEASES, detect(tree, env,
index) and build(ctx). Adding a language: see "Adding a language" in the README.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pack_it.lifecycle.contract import Group, Member, PackRegistry


def _member(pack_id: str, optional: bool = False) -> Member:
    return Member(pack_id, f"{__name__}.{pack_id}", optional)


# Order matters: the first group whose required packs all detect wins. Go first (a go.mod is
# never incidental); Java next (a pom.xml or build.gradle is never incidental, and Java web
# apps often carry a package.json for their front end); Python before Node, because Python web
# apps often carry a package.json for front-end assets while Node apps rarely carry Python
# manifests. static before node: a front-end build is a package.json app, and the static
# detector takes only builds with no server (a server app stays Node); it never takes an app
# beside another language's manifest. Rust after Python and Node: their native extensions
# (maturin, napi-rs) put a Cargo.toml inside those apps. procfile joins each group as an
# optional pack so a Procfile can override the start command.
REGISTRY = PackRegistry((
    Group((_member("go"), _member("procfile", optional=True))),
    Group((_member("java"), _member("procfile", optional=True))),
    Group((_member("python"), _member("procfile", optional=True))),
    Group((_member("static"),)),
    Group((_member("node"), _member("procfile", optional=True))),
    Group((_member("rust"), _member("procfile", optional=True))),
))

if TYPE_CHECKING:  # mypy checks every registered module against the contract
    from pack_it.lifecycle.contract import Pack
    from pack_it.packs import go, java, node, procfile, python, rust, static

    _CHECKED: tuple[Pack, ...] = (go, java, python, static, node, rust, procfile)
