import pytest

from pack_it.detectors.source import SourceTree
from pack_it.errors import NOTHING_DETECTED, PackItError
from pack_it.lifecycle.detect import detect
from pack_it.packs import REGISTRY

GO_MAIN = 'package main\n\nfunc main() {}\n'


def _go_app(root, procfile=None):
    root.mkdir(exist_ok=True)
    (root / "go.mod").write_text("module example.com/app\n\ngo 1.22\n")
    (root / "main.go").write_text(GO_MAIN)
    if procfile is not None:
        (root / "Procfile").write_text(procfile)
    return root


def test_go_app_detects_with_go_pack_only(tmp_path):
    plan = detect(SourceTree(_go_app(tmp_path / "app")), REGISTRY)
    assert plan.packs == ("go",)
    assert plan.default_process.command == ("/layers/go/app/bin/app",)


def test_optional_procfile_joins_and_its_web_process_wins(tmp_path):
    plan = detect(SourceTree(_go_app(tmp_path / "app", "web: app --listen 0.0.0.0\nworker: app work\n")), REGISTRY)
    assert plan.packs == ("go", "procfile")
    processes = {p.type: p for p in plan.processes}
    assert processes["web"].command == ("app", "--listen", "0.0.0.0")
    assert processes["web"].source == "Procfile" and processes["web"].default
    assert not processes["worker"].default


def test_nothing_detected_names_what_was_looked_for(tmp_path):
    with pytest.raises(PackItError) as err:
        detect(SourceTree(tmp_path), REGISTRY)
    assert err.value.exit_code == NOTHING_DETECTED
    assert "go.mod" in err.value.message


def test_plan_json_has_the_documented_keys(tmp_path):
    data = detect(SourceTree(_go_app(tmp_path / "app")), REGISTRY).to_json()
    assert set(data) >= {"language", "runtime", "package_manager", "framework", "processes", "packs", "warnings"}
    assert data["runtime"] == {"name": "go", "version": "1.22", "source": "go.mod"}
    assert data["processes"][0] == {"type": "web", "command": ["/layers/go/app/bin/app"],
                                    "default": True, "source": "main.go", "written": "/layers/go/app/bin/app",
                                    "runs": "direct", "shell": None}
