"""The Go detector: go.mod parsing, choice of the main package, cgo refusal, vendoring and
frameworks. App layouts are real fixture trees under tests/fixtures/go/; the many
small go.mod variations are parametrised strings or tmp_path trees."""

from __future__ import annotations

from pathlib import Path

import pytest

from pack_it.detectors import go as golang
from pack_it.detectors.facts import Detection, Framework, PackageManager, Process, RunImageChoice, Runtime
from pack_it.detectors.go import GoFacts, GoMod, detect, parse_go_mod, uses_cgo
from pack_it.detectors.source import SourceTree
from tests.detectors.trees import write_tree  # noqa: F401  (re-exported for the tests here)
from pack_it.errors import PackItError

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "go"
MAIN = "package main\n\nfunc main() {}\n"


def fixture(name: str) -> SourceTree:
    return SourceTree(FIXTURES / name)




# --- parse_go_mod -------------------------------------------------------------------------


def test_parse_full_go_mod():
    text = """\
// The demo module.
module github.com/acme/demo // trailing comment

go 1.22.1

toolchain go1.22.5

require github.com/gorilla/mux v1.8.1

require (
	github.com/gin-gonic/gin v1.9.1
	// a comment inside the block
	golang.org/x/net v0.20.0 // indirect

)

replace github.com/old/thing => ../thing

exclude (
	github.com/bad/mod v1.0.0
)

retract v0.1.0 // published by mistake
godebug default=go1.21
"""
    assert parse_go_mod(text) == GoMod(
        module="github.com/acme/demo",
        go="1.22.1",
        toolchain="1.22.5",
        requires=("github.com/gorilla/mux", "github.com/gin-gonic/gin", "golang.org/x/net"),
    )


def test_parse_minimal_go_mod_has_no_version_and_no_requires():
    mod = parse_go_mod("module example.com/x\n")
    assert mod == GoMod(module="example.com/x", go=None, toolchain=None, requires=())


def test_parse_quoted_module_path():
    assert parse_go_mod('module "example.com/quoted"\n').module == "example.com/quoted"


def test_parse_windows_line_endings():
    mod = parse_go_mod("module example.com/crlf\r\n\r\ngo 1.22\r\n")
    assert (mod.module, mod.go) == ("example.com/crlf", "1.22")


def test_requires_in_replace_and_exclude_blocks_are_not_requirements():
    mod = parse_go_mod(
        "module m\n\nreplace (\n\tgithub.com/gin-gonic/gin => ../gin\n)\n"
        "exclude (\n\tgithub.com/gorilla/mux v1.0.0\n)\n"
    )
    assert mod.requires == ()


@pytest.mark.parametrize("version", ["1.22", "1.22.3", "1.21.0", "1.21rc1", "1.23beta2", "1.9"])
def test_valid_go_versions(version):
    assert parse_go_mod(f"module m\ngo {version}\n").go == version


@pytest.mark.parametrize("version", ["1.22.x", "v1.22", "go1.22", "1", "2.0", "1.22.3.4", "latest", "1.22-rc1"])
def test_bad_go_version_is_invalid_input(version):
    with pytest.raises(PackItError) as err:
        parse_go_mod(f"module m\n\ngo {version}\n")
    assert err.value.exit_code == 21
    assert err.value.phase == "detect"
    assert err.value.message == f"go.mod line 3: {version!r} is not a Go version."


@pytest.mark.parametrize(
    "line",
    [
        "modul example.com/typo",
        "go 1.22 extra",
        "module",
        "module a b",
        "toolchain",
        "package main",
    ],
)
def test_unknown_or_malformed_directive_is_invalid_input(line):
    with pytest.raises(PackItError) as err:
        parse_go_mod(f"module example.com/ok\n// comment\n{line}   // trailing\n")
    assert err.value.exit_code == 21
    assert err.value.phase == "detect"
    assert err.value.message == f"go.mod line 3 is not a go.mod directive: {line + '   // trailing'!r}."


def test_missing_module_directive():
    with pytest.raises(PackItError) as err:
        parse_go_mod("// no module here\ngo 1.22\nrequire github.com/gin-gonic/gin v1.9.1\n")
    assert err.value.exit_code == 21
    assert err.value.message == "go.mod has no `module` directive."
    assert "go mod init" in err.value.hint


def test_empty_go_mod_has_no_module():
    with pytest.raises(PackItError) as err:
        parse_go_mod("")
    assert err.value.exit_code == 21
    assert "no `module`" in err.value.message


@pytest.mark.parametrize("verb", ["require", "replace", "exclude"])
def test_unclosed_block(verb):
    with pytest.raises(PackItError) as err:
        parse_go_mod(f"module m\n\n{verb} (\n\tgithub.com/a/b v1.0.0\n")
    assert err.value.exit_code == 21
    assert err.value.message == f"go.mod has a `{verb} (` block that is never closed."


def test_unknown_directive_after_a_block_is_still_reported_with_its_line():
    with pytest.raises(PackItError) as err:
        parse_go_mod("module m\nrequire (\n\ta/b v1\n)\nbogus thing\n")
    assert err.value.exit_code == 21
    assert "line 5" in err.value.message and "'bogus thing'" in err.value.message


def test_unknown_block_directive_is_invalid_input():
    with pytest.raises(PackItError) as err:
        parse_go_mod("module m\n\nbogus (\n\tx\n)\n")
    assert err.value.exit_code == 21


def test_quoted_require_paths_lose_their_quotes():
    mod = parse_go_mod('module m\nrequire "github.com/gin-gonic/gin" v1.9.1\nrequire (\n\t"github.com/gorilla/mux" v1.8.1\n)\n')
    assert mod.requires == ("github.com/gin-gonic/gin", "github.com/gorilla/mux")


# --- uses_cgo -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "source, expected",
    [
        ('package p\n\nimport "C"\n', True),
        ('package p\n\n// #include <stdlib.h>\nimport "C"\n\nfunc f() {}\n', True),
        ('package p\n\nimport (\n\t"C"\n)\n', True),
        ('package p\n\nimport (\n\t"fmt"\n\n\t"C"\n\t"os"\n)\n', True),
        ('package p\n\nimport (\n\t"fmt"\n)\n\nimport (\n\t"C"\n)\n', True),
        ('package p\n\nimport "fmt"\n', False),
        ('package p\n\nimport (\n\t"fmt"\n\t"os"\n)\n', False),
        ('package p\n\nimport "CC"\n', False),
        ('package p\n\nimport "github.com/acme/C"\n', False),
        ('package p\n\nimport (\n\t"github.com/acme/C"\n\t"C/x"\n)\n', False),
        ('package p\n\n// import "C" was removed\nfunc f() { println("C") }\n', False),
        ('package p\n\nvar s = `\n"C"\n`\n', False),
        ("", False),
    ],
)
def test_uses_cgo(source, expected):
    assert uses_cgo(source) is expected


def test_uses_cgo_with_trailing_comment_in_import_block():
    assert uses_cgo('package p\n\nimport (\n\t"fmt"\n\t"C" // for C.free\n)\n') is True


# --- detect: layouts (fixture trees) ------------------------------------------------------


def test_root_main_package():
    assert detect(fixture("go-root-main")) == Detection(
        language="go",
        runtime=Runtime("go", "1.22.3", "go.mod"),
        package_manager=PackageManager("go modules", "go.mod"),
        framework=None,
        run_image=RunImageChoice("static", "default"),
        processes=(Process("web", ("hello",), "main.go", default=True),),
        facts=GoFacts(
            module="github.com/acme/hello",
            main=".",
            main_reason="go.mod directory has package main",
            binary="hello",
            vendored=False,
            cgo=False,
            go_version="1.22.3",
            go_version_exact=True,
            go_version_source="go.mod line 3 (go 1.22.3)",
        ),
    )


def test_toolchain_directive_wins_over_go():
    found = detect(fixture("go-toolchain"))
    assert found.runtime == Runtime("go", "1.22.5", "go.mod (toolchain)")
    assert found.facts.binary == "tc"


def test_no_go_directive_defaults_to_any(tmp_path):
    tree = write_tree(tmp_path, {"go.mod": "module example.com/bare\n", "main.go": MAIN})
    assert detect(tree).runtime == Runtime("go", "any", "default")


def test_only_main_under_cmd_server():
    found = detect(fixture("go-cmd-server"))
    assert found.facts.main == "./cmd/server"
    assert found.facts.binary == "server"
    assert found.facts.main_reason == "only main package (cmd/server)"
    assert found.facts.module == "example.com/svc"
    assert found.processes == (Process("web", ("server",), "cmd/server/main.go", default=True),)


def test_several_mains_the_one_named_after_the_module_wins():
    found = detect(fixture("go-multi-named"))
    assert found.facts.main == "./cmd/api"
    assert found.facts.binary == "api"
    assert found.facts.main_reason == "named after the module github.com/acme/api"
    assert found.processes[0].command == ("api",)


def test_several_mains_none_named_after_the_module_is_ambiguous():
    with pytest.raises(PackItError) as err:
        detect(fixture("go-multi-ambiguous"))
    assert err.value.exit_code == 23
    assert err.value.message == "This module has several main packages: ./cmd/a, ./cmd/b."
    assert "PACK_IT_GO_MAIN=./cmd/a" in err.value.hint


@pytest.mark.parametrize("value", ["./cmd/b", "cmd/b", "./cmd/b/"])
def test_env_chooses_the_main_package(value):
    found = detect(fixture("go-multi-ambiguous"), env={"PACK_IT_GO_MAIN": value})
    assert found.facts.main == "./cmd/b"
    assert found.facts.binary == "b"
    assert found.facts.main_reason == "--env PACK_IT_GO_MAIN"
    assert found.processes[0].source == "cmd/b/main.go"


def test_env_overrides_even_a_root_main(tmp_path):
    tree = write_tree(tmp_path, {"go.mod": "module example.com/both\n", "main.go": MAIN, "cmd/tool/main.go": MAIN})
    assert detect(tree).facts.main == "."
    assert detect(tree, env={"PACK_IT_GO_MAIN": "./cmd/tool"}).facts.main == "./cmd/tool"


def test_env_choosing_the_root():
    found = detect(fixture("go-root-main"), env={"PACK_IT_GO_MAIN": "."})
    assert found.facts.main == "."
    assert found.facts.main_reason == "--env PACK_IT_GO_MAIN"


@pytest.mark.parametrize(
    "fixture_name, value, listed",
    [
        ("go-multi-ambiguous", "./cmd/c", "./cmd/a, ./cmd/b"),
        ("go-multi-ambiguous", ".", "./cmd/a, ./cmd/b"),
        ("go-cmd-server", "./internal/store", "./cmd/server"),
    ],
)
def test_env_naming_no_main_package_is_ambiguous(fixture_name, value, listed):
    with pytest.raises(PackItError) as err:
        detect(fixture(fixture_name), env={"PACK_IT_GO_MAIN": value})
    assert err.value.exit_code == 23
    assert err.value.message == f"PACK_IT_GO_MAIN={value} is not a main package of this module."
    assert err.value.hint == f"Main packages found: {listed}."


def test_env_without_the_variable_is_ignored():
    assert detect(fixture("go-cmd-server"), env={"OTHER": "./x"}).facts.main == "./cmd/server"


def test_no_main_package_is_unsupported():
    with pytest.raises(PackItError) as err:
        detect(fixture("go-no-main"))
    assert err.value.exit_code == 22
    assert "no directory holds a `package main`" in err.value.message


def test_cgo_single_line_import_chooses_the_cc_stack_and_names_the_file():
    found = detect(fixture("go-cgo-single"))
    assert found.run_image == RunImageChoice("cc", 'native/native.go (import "C")')
    assert found.facts.cgo is True


def test_cgo_inside_import_block_chooses_the_cc_stack_and_names_the_file():
    found = detect(fixture("go-cgo-block"))
    assert found.run_image == RunImageChoice("cc", 'main.go (import "C")')


def test_requiring_a_module_that_only_works_with_cgo_chooses_the_cc_stack(tmp_path):
    main = 'package main\n\nimport _ "github.com/mattn/go-sqlite3"\n\nfunc main() {}\n'
    (tmp_path / "main.go").write_text(main)
    (tmp_path / "go.mod").write_text("module example.com/db\n\ngo 1.22\n\nrequire github.com/mattn/go-sqlite3 v1.14.32\n")
    found = detect(SourceTree(tmp_path))
    assert found.run_image == RunImageChoice("cc", "go.mod (requires github.com/mattn/go-sqlite3, which needs cgo)")
    assert found.facts.cgo is True
    (tmp_path / "go.mod").write_text("module example.com/db\n\ngo 1.22\n\nrequire github.com/mattn/go-isatty v0.0.20\n")
    assert detect(SourceTree(tmp_path)).run_image == RunImageChoice("static", "default")


def test_test_files_vendor_testdata_and_underscore_dot_dirs_are_ignored():
    # Every ignored directory holds a `package main`, most of them importing "C": counted,
    # they would make the choice ambiguous or switch the app to the cc stack.
    found = detect(fixture("go-ignored"))
    assert found.run_image == RunImageChoice("static", "default")
    assert found.facts.main == "./cmd/app"
    assert found.facts.main_reason == "only main package (cmd/app)"
    assert found.processes[0].source == "cmd/app/main.go"
    assert found.facts.vendored is False  # vendor/ without modules.txt
    assert found.package_manager == PackageManager("go modules", "go.mod")


def test_go_sources_skip_what_go_build_skips():
    sources = golang._go_sources(fixture("go-ignored"))
    assert sources == {"cmd/app": ["cmd/app/main.go"]}


def test_vendored_modules():
    found = detect(fixture("go-vendored"))
    assert found.facts.vendored is True
    assert found.package_manager == PackageManager("go modules", "vendor/modules.txt")
    assert found.facts.main == "."  # the vendored package errors is not a candidate


def test_gin_framework_from_exact_module_path():
    found = detect(fixture("go-gin"))
    assert found.framework == Framework("gin", "go.mod")


def test_gin_look_alike_is_not_gin():
    found = detect(fixture("go-gin-lookalike"))
    assert found.framework is None


@pytest.mark.parametrize(
    "require, expected",
    [
        ("github.com/labstack/echo/v4 v4.11.4", "echo"),
        ("github.com/labstack/echo v3.3.10+incompatible", None),  # echo v3: not the listed path
        ("github.com/go-chi/chi/v5 v5.0.12", "chi"),
        ("github.com/gofiber/fiber/v2 v2.52.0", "fiber"),
        ("github.com/gorilla/mux v1.8.1", "gorilla/mux"),
        ("github.com/gorilla/muxy v1.0.0", None),
        ("example.com/github.com/gin-gonic/gin v1.0.0", None),
    ],
)
def test_framework_table(tmp_path, require, expected):
    tree = write_tree(tmp_path, {"go.mod": f"module example.com/fw\n\nrequire {require}\n", "main.go": MAIN})
    framework = detect(tree).framework
    assert (framework.name if framework else None) == expected


def test_a_lone_main_go_without_go_mod_is_module_main():
    found = detect(fixture("go-no-mod"))
    assert found.facts.module == "main" and found.facts.go_mod == ""
    assert found.facts.main == "." and found.facts.binary == "main"
    assert found.facts.main_reason == "no go.mod: main.go is package main at the root, built as module 'main'"
    assert found.runtime == Runtime("go", "any", "default")
    assert found.package_manager == PackageManager("go modules", "default (no go.mod)")
    assert found.processes == (Process("web", ("main",), "main.go", default=True),)


def test_go_files_that_are_not_package_main_without_go_mod_are_not_go(tmp_path):
    tree = write_tree(tmp_path, {"lib.go": "package lib\n", "cmd/x/main.go": MAIN})
    assert detect(tree) is None


def test_go_mod_only_in_a_subdirectory_is_not_go(tmp_path):
    tree = write_tree(tmp_path, {"app/go.mod": "module example.com/sub\n", "app/main.go": MAIN})
    assert detect(tree) is None


def test_broken_go_mod_surfaces_from_detect(tmp_path):
    tree = write_tree(tmp_path, {"go.mod": "module example.com/x\ngo one\n", "main.go": MAIN})
    with pytest.raises(PackItError) as err:
        detect(tree)
    assert err.value.exit_code == 21
    assert "go.mod line 2" in err.value.message


# --- regressions: bugs found by these tests and fixed -----


def test_major_version_suffix_is_not_the_binary_name(tmp_path):
    tree = write_tree(tmp_path, {"go.mod": "module example.com/app/v2\n\ngo 1.22\n", "main.go": MAIN})
    assert detect(tree).facts.binary == "app"


def test_major_version_module_still_picks_the_main_named_after_it(tmp_path):
    tree = write_tree(tmp_path, {
        "go.mod": "module example.com/app/v2\n\ngo 1.22\n",
        "cmd/app/main.go": MAIN,
        "cmd/migrate/main.go": MAIN,
    })
    assert detect(tree).facts.main == "./cmd/app"


def test_nested_module_is_not_part_of_this_module(tmp_path):
    tree = write_tree(tmp_path, {
        "go.mod": "module example.com/outer\n\ngo 1.22\n",
        "outer.go": "package outer\n",
        "cmd/server/main.go": MAIN,
        "tools/go.mod": "module example.com/tools\n\ngo 1.22\n",
        "tools/main.go": MAIN,
    })
    assert detect(tree).facts.main == "./cmd/server"


def test_build_ignored_file_does_not_make_a_main_package(tmp_path):
    tree = write_tree(tmp_path, {
        "go.mod": "module example.com/gen\n\ngo 1.22\n",
        "gen.go": "//go:build ignore\n\npackage main\n\nfunc main() {}\n",
        "lib.go": "package gen\n",
        "cmd/server/main.go": MAIN,
    })
    assert detect(tree).facts.main == "./cmd/server"


# --- go.work workspaces -------------------------------------------------------------------


def test_workspace_builds_the_member_with_a_main_package():
    found = detect(fixture("go-work"))
    assert (found.facts.main, found.facts.binary, found.facts.module) == ("./api/cmd/api", "api", "example.com/api")
    assert found.facts.workspace == "go.work" and found.facts.go_mod == "api/go.mod"
    assert found.facts.main_reason == ("only main package (api/cmd/api); the only module of go.work with a main "
                                       "package (go.work line 6)")
    assert found.runtime == Runtime("go", "1.22.5", "go.work (toolchain)")
    assert found.facts.go_version_source == "go.work line 3 (toolchain go1.22.5)"
    assert found.package_manager == PackageManager("go modules", "go.work")


def test_workspace_with_several_main_modules_is_ambiguous_and_lists_them():
    with pytest.raises(PackItError) as err:
        detect(fixture("go-work-ambiguous"))
    assert err.value.exit_code == 23
    assert err.value.message == ("go.work lists several modules with a main package: ./api (example.com/api, "
                                 "go.work line 3), ./worker (example.com/worker, go.work line 4).")
    assert err.value.hint == "Choose one with `--env PACK_IT_GO_MAIN=./api`."


def test_env_chooses_the_workspace_member():
    found = detect(fixture("go-work-ambiguous"), env={"PACK_IT_GO_MAIN": "./worker"})
    assert (found.facts.main, found.facts.binary, found.facts.go_mod) == ("./worker", "worker", "worker/go.mod")
    assert found.facts.go_version_source == "go.work line 1 (go 1.22)"


@pytest.mark.parametrize("work, files, code, message", [
    ("go 1.22\nuse ../elsewhere\n", {}, 22, "go.work line 2 uses '../elsewhere', a directory outside the app."),
    ("go 1.22\nuse ./svc\n", {"svc/main.go": MAIN}, 21, "go.work line 2 uses svc, which has no go.mod."),
    ("go 1.22\n", {}, 21, "go.work has no `use` directive: the workspace has no module."),
    ("go 1.22\nuse (\n./a\n", {}, 21, "go.work has a `use (` block that is never closed."),
    ("go 1.22\nuses ./a\n", {}, 21, "go.work line 2 is not a go.work directive: 'uses ./a'."),
])
def test_broken_workspaces(tmp_path, work, files, code, message):
    with pytest.raises(PackItError) as err:
        detect(write_tree(tmp_path, {"go.work": work, **files}))
    assert (err.value.exit_code, err.value.message) == (code, message)


# --- Procfile `go run` ----------------------------------------------------------------------


def test_procfile_go_run_files_builds_those_files_and_says_so():
    found = detect(fixture("go-procfile-run"))
    assert found.facts.main_files == ("main.go", "greet.go") and found.facts.main == "."
    assert found.processes == (Process("web", ("runner", "--verbose"), "Procfile", default=True),)
    assert found.warnings == ("Procfile line 2 `web: go run main.go greet.go --verbose`: the image has no Go "
                              "toolchain; pack-it builds main.go greet.go and runs the binary instead.",)


def test_procfile_go_run_of_a_package_or_import_path():
    found = detect(fixture("go-procfile-run-dot"))
    assert (found.facts.main, found.facts.binary, found.facts.main_files) == ("./cmd/web", "web", ())
    assert found.facts.main_reason == "Procfile runs `go run ./cmd/web`"
    assert [(p.type, p.command) for p in found.processes] == [("web", ("web",)), ("worker", ("web", "-queue"))]
    assert [w.split("`")[0] for w in found.warnings] == ["Procfile line 1 ", "Procfile line 2 "]


def test_the_plan_runs_the_binary_not_go_run():
    from pack_it.lifecycle.detect import detect as plan
    from pack_it.packs import REGISTRY

    processes = plan(fixture("go-procfile-run-dot"), REGISTRY).processes
    assert [(p.type, p.command[0], p.source) for p in processes] == [
        ("web", "/layers/go/app/bin/web", "Procfile"), ("worker", "/layers/go/app/bin/web", "Procfile")]


@pytest.mark.parametrize("line, code, message", [
    ("web: go run -race .", 22, "Procfile line 1 passes build flags to `go run` (-race)."),
    ("web: go run ./lib", 22, "Procfile line 1 runs `go run ./lib`, and ./lib is not a main package of the app."),
    ("web: go run missing.go", 22, "Procfile line 1 runs `go run missing.go`: no such file in the app."),
    ("web: go run .\nworker: go run ./cmd/w", 22,
     "Procfile lines 1 and 2 `go run` different programs; pack-it builds one Go binary."),
])
def test_procfile_go_run_it_cannot_build(tmp_path, line, code, message):
    tree = write_tree(tmp_path, {"go.mod": "module example.com/p\n", "main.go": MAIN, "cmd/w/main.go": MAIN,
                                 "lib/lib.go": "package lib\n", "Procfile": line + "\n"})
    with pytest.raises(PackItError) as err:
        detect(tree)
    assert (err.value.exit_code, err.value.message) == (code, message)


def test_procfile_go_run_against_env_main_is_ambiguous(tmp_path):
    tree = write_tree(tmp_path, {"go.mod": "module example.com/p\n", "main.go": MAIN, "cmd/w/main.go": MAIN,
                                 "Procfile": "web: go run .\n"})
    with pytest.raises(PackItError) as err:
        detect(tree, env={"PACK_IT_GO_MAIN": "./cmd/w"})
    assert err.value.exit_code == 23


@pytest.mark.parametrize("go_mod, version, exact, source", [
    ("go 1.22\n", "1.22", False, "go.mod line 2 (go 1.22)"),
    ("go 1.22.5\n", "1.22.5", True, "go.mod line 2 (go 1.22.5)"),
    ("go 1.23rc1\n", "1.23rc1", True, "go.mod line 2 (go 1.23rc1)"),
    ("go 1.21\ntoolchain go1.22.5\n", "1.22.5", True, "go.mod line 3 (toolchain go1.22.5)"),
    ("", "any", False, "default"),
])
def test_the_go_version_is_a_minimum_or_a_pin_with_its_line(tmp_path, go_mod, version, exact, source):
    facts = detect(write_tree(tmp_path, {"go.mod": "module example.com/v\n" + go_mod, "main.go": MAIN})).facts
    assert (facts.go_version, facts.go_version_exact, facts.go_version_source) == (version, exact, source)
