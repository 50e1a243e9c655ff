"""Google Cloud Functions' Python functions framework: a main.py whose function is decorated
with @functions_framework.http (or .cloud_event) is served by the framework's own server,
`functions-framework --target=<function>`, as Google's buildpacks run it (main.py is the
source file they read; the framework listens on $PORT)."""

from __future__ import annotations

import ast

from pack_it.detectors.python.commands import Start
from pack_it.detectors.python.sources import Sources
from pack_it.detectors.source import SourceTree
from pack_it.errors import AMBIGUOUS, detect_error

SOURCE = "main.py"
DECORATORS = ("functions_framework.http", "functions_framework.cloud_event")


def _decorator(module, node: ast.expr) -> str | None:
    target = node.func if isinstance(node, ast.Call) else node
    resolved = module.resolve(target)
    return resolved if resolved in DECORATORS else None


def find(tree: SourceTree, sources: Sources, pyproject: dict | None) -> Start | None:
    module = sources.module(SOURCE) if tree.has_file(SOURCE) else None
    if module is None or not module.imports_any(("functions_framework",)):
        return None
    targets = []
    for node in module.tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            kinds = [k for k in (_decorator(module, d) for d in node.decorator_list) if k]
            if kinds:
                targets.append((node.name, node.lineno, kinds[0]))
    if not targets:
        return None
    if len(targets) > 1:
        raise detect_error(f"{SOURCE} declares several functions ({', '.join(t[0] for t in targets)}) for the "
                           "functions framework, and nothing says which one to serve.",
                           "Add a Procfile such as `web: functions-framework --target=NAME`.", exit_code=AMBIGUOUS)
    name, line, kind = targets[0]
    return Start(f"function {name}", f"{SOURCE} line {line} (@{kind})",
                 ("functions-framework", f"--target={name}"), framework="functions-framework",
                 framework_source=f"{SOURCE} (imports functions_framework)")
