"""deploy/: the Tekton Task and the Shipwright build strategy run `pack-it build` with options
it has, write the results their platforms read, and ask for no privilege. (The containerised
run itself, as a non-root user pushing to the test registry, is tests/e2e/test_ci_step.py.)"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import typer.main
import yaml

from pack_it.cli import app
from tests.conftest import REPO

DEPLOY = REPO / "deploy"
TEKTON = DEPLOY / "tekton" / "pack-it.yaml"
SHIPWRIGHT = DEPLOY / "shipwright" / "pack-it.yaml"


def _build_options() -> set[str]:
    command = typer.main.get_command(app).commands["build"]  # type: ignore[attr-defined]
    return {opt for param in command.params for opt in param.opts if opt.startswith("-")}


def _step(path: Path) -> dict:
    (step,) = yaml.safe_load(path.read_text())["spec"]["steps"]
    return step


@pytest.mark.parametrize("path", [TEKTON, SHIPWRIGHT], ids=["tekton", "shipwright"])
def test_every_option_the_step_passes_is_one_pack_it_build_has(path):
    step = _step(path)
    assert step["command"] == ["pack-it"] and step["args"][0] == "build"
    flags = [a for a in step["args"] if a.startswith("-")]
    assert flags and set(flags) <= _build_options(), set(flags) - _build_options()


@pytest.mark.parametrize("path", [TEKTON, SHIPWRIGHT], ids=["tekton", "shipwright"])
def test_the_step_runs_as_a_non_root_user_without_privileges(path):
    spec = yaml.safe_load(path.read_text())["spec"]
    context = {**(spec.get("securityContext") or {}), **(spec.get("stepTemplate", {}).get("securityContext") or {}),
               **(_step(path).get("securityContext") or {})}
    assert context.get("runAsNonRoot") is True and context.get("runAsUser", 0) != 0
    assert context.get("privileged") is False and context.get("allowPrivilegeEscalation") is False
    assert context.get("capabilities", {}).get("drop") == ["ALL"]


def _writes(step: dict, flag: str) -> str:
    args = step["args"]
    return args[args.index(flag) + 1]


def test_the_tekton_task_writes_image_url_and_image_digest():
    task = yaml.safe_load(TEKTON.read_text())
    assert {r["name"] for r in task["spec"]["results"]} == {"IMAGE_URL", "IMAGE_DIGEST"}
    step = _step(TEKTON)
    assert _writes(step, "--digest-file") == "$(results.IMAGE_DIGEST.path)"
    assert _writes(step, "--image-url-file") == "$(results.IMAGE_URL.path)"
    assert {"name": "DOCKER_CONFIG", "value": "$(workspaces.dockerconfig.path)"} in step["env"]
    used = set(re.findall(r"\$\(params\.(\w+)", TEKTON.read_text()))
    assert used <= {p["name"] for p in task["spec"]["params"]}


def test_the_shipwright_strategy_writes_the_results_shipwright_reads():
    step = _step(SHIPWRIGHT)
    assert _writes(step, "--digest-file") == "$(results.shp-image-digest.path)"
    assert _writes(step, "--image-size-file") == "$(results.shp-image-size.path)"
    assert _writes(step, "--tag") == "$(params.shp-output-image)"
    declared = {p["name"] for p in yaml.safe_load(SHIPWRIGHT.read_text())["spec"]["parameters"]}
    used = set(re.findall(r"\$\(params\.([\w-]+)", SHIPWRIGHT.read_text())) - {
        "shp-source-root", "shp-source-context", "shp-output-image"}  # Shipwright's own
    assert used <= declared
