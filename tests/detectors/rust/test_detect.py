"""The Rust detector: which binary, which rustc, which framework, static or dynamic linking,
and one sentence naming the file and line for every broken manifest. App layouts are fixture
trees under tests/fixtures/rust/ (and the sample apps); small variations are tmp_path trees."""

from __future__ import annotations

from pathlib import Path

import pytest

from pack_it.detectors import rust
from pack_it.detectors.facts import Framework, RunImageChoice, Runtime
from pack_it.detectors.rust import RustFacts
from pack_it.detectors.source import SourceTree
from pack_it.errors import AMBIGUOUS, INVALID_INPUT, UNSUPPORTED, PackItError
from tests.conftest import SAMPLE_APPS
from tests.detectors.trees import write_tree

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "rust"
MAIN = 'fn main() { println!("hi"); }\n'


def facts(detection) -> RustFacts:
    assert isinstance(detection.facts, RustFacts)
    return detection.facts


def detect(name: str, env: dict[str, str] | None = None):
    return rust.detect(SourceTree(FIXTURES / name), env)


def error(name: str, env: dict[str, str] | None = None) -> PackItError:
    with pytest.raises(PackItError) as err:
        detect(name, env)
    return err.value


def test_no_cargo_toml_is_not_rust(tmp_path):
    assert rust.detect(write_tree(tmp_path, {"src/main.rs": MAIN})) is None


def test_the_axum_sample():
    d = rust.detect(SourceTree(SAMPLE_APPS / "rust-axum"))
    f = facts(d)
    assert (f.package, f.binary, f.binary_reason) == ("rust-axum", "rust-axum", "the only binary (src/main.rs)")
    assert d.framework == Framework("axum", "Cargo.toml")
    assert d.runtime == Runtime("rust", "1.78", "Cargo.toml")
    assert f.rust_version_source == "Cargo.toml line 5 (rust-version 1.78)"
    assert d.run_image == RunImageChoice("static-debian13", "Cargo.lock")
    assert f.linkage == "static" and f.locked
    assert d.processes[0].command == ("rust-axum",) and d.processes[0].source == "src/main.rs"


def test_a_workspace_binary_is_chosen_by_default_run_and_inherits_rust_version():
    d = rust.detect(SourceTree(SAMPLE_APPS / "rust-workspace"))
    f = facts(d)
    assert (f.package, f.manifest, f.binary) == ("server", "crates/server/Cargo.toml", "web")
    assert f.binary_reason == 'crates/server/Cargo.toml line 6 (default-run = "web")'
    assert f.binaries == ("server/admin", "server/web")
    assert f.workspace
    # rust-version.workspace = true: the workspace root's [workspace.package] decides
    assert f.rust_version == "1.74" and f.rust_version_source == "Cargo.toml line 7 (rust-version 1.74)"
    assert d.processes[0].source == "crates/server/src/bin/web.rs"


def test_pack_it_rust_bin_chooses_another_binary():
    f = facts(rust.detect(SourceTree(SAMPLE_APPS / "rust-workspace"), {"PACK_IT_RUST_BIN": "admin"}))
    assert (f.binary, f.binary_reason) == ("admin", "--env PACK_IT_RUST_BIN")
    f = facts(rust.detect(SourceTree(SAMPLE_APPS / "rust-workspace"), {"PACK_IT_RUST_BIN": "server/admin"}))
    assert f.binary == "admin"


def test_pack_it_rust_bin_naming_no_binary_lists_them():
    err = error("several-bins", {"PACK_IT_RUST_BIN": "nope"})
    assert err.exit_code == AMBIGUOUS
    assert err.message == "PACK_IT_RUST_BIN=nope is not a binary of this app."
    assert "migrate (Cargo.toml), tools (Cargo.toml), worker (Cargo.toml)" in err.hint


def test_several_binaries_without_default_run_is_ambiguous():
    err = error("several-bins")
    assert err.exit_code == AMBIGUOUS
    assert err.message == "This app has several binaries: migrate (Cargo.toml), tools (Cargo.toml), worker (Cargo.toml)."
    assert "default-run" in err.hint and "PACK_IT_RUST_BIN" in err.hint


def test_a_workspace_of_two_packages_with_binaries_is_ambiguous():
    err = error("workspace-ambiguous")
    assert err.exit_code == AMBIGUOUS
    assert err.message == "This app has several binaries: api (api/Cargo.toml), cli (cli/Cargo.toml)."


def test_default_run_in_a_workspace_with_two_packages_of_binaries_does_not_decide(tmp_path):
    # cargo itself asks for -p here: a default-run chooses among its own package's binaries only
    tree = write_tree(tmp_path, {
        "Cargo.toml": '[workspace]\nmembers = ["a", "b"]\n',
        "a/Cargo.toml": '[package]\nname = "a"\nversion = "0.1.0"\ndefault-run = "a"\n',
        "a/src/main.rs": MAIN, "a/src/bin/a2.rs": MAIN,
        "b/Cargo.toml": '[package]\nname = "b"\nversion = "0.1.0"\n', "b/src/main.rs": MAIN,
    })
    with pytest.raises(PackItError) as err:
        rust.detect(tree)
    assert err.value.exit_code == AMBIGUOUS


def test_the_root_package_default_run_decides_in_a_workspace(tmp_path):
    tree = write_tree(tmp_path, {
        "Cargo.toml": '[package]\nname = "app"\nversion = "0.1.0"\ndefault-run = "app"\n\n'
                      '[workspace]\nmembers = ["tool"]\n',
        "src/main.rs": MAIN,
        "tool/Cargo.toml": '[package]\nname = "tool"\nversion = "0.1.0"\n', "tool/src/main.rs": MAIN,
    })
    f = facts(rust.detect(tree))
    assert (f.package, f.binary, f.binary_reason) == ("app", "app", 'Cargo.toml line 4 (default-run = "app")')


def test_frameworks_by_crate_name_with_renames():
    assert detect("actix").framework == Framework("actix-web", "Cargo.toml")
    d = detect("several-bins", {"PACK_IT_RUST_BIN": "worker"})
    assert d.framework == Framework("rocket", "Cargo.toml")  # `web = { package = "rocket" }`


def test_a_crate_merely_named_like_a_framework_is_not_one(tmp_path):
    tree = write_tree(tmp_path, {"Cargo.toml": '[package]\nname = "x"\nversion = "0.1.0"\n\n[dependencies]\n'
                                               'axum-extra-lookalike = "1"\n', "src/main.rs": MAIN})
    assert rust.detect(tree).framework is None


def test_explicit_bin_targets_and_autobins_false(tmp_path):
    tree = write_tree(tmp_path, {
        "Cargo.toml": '[package]\nname = "x"\nversion = "0.1.0"\nautobins = false\n\n'
                      '[[bin]]\nname = "serve"\npath = "src/serve.rs"\n',
        "src/main.rs": MAIN, "src/serve.rs": MAIN, "src/bin/ignored.rs": MAIN,
    })
    f = facts(rust.detect(tree))
    assert f.binaries == ("x/serve",)
    assert f.binary_reason == "the only binary (Cargo.toml line 6 ([[bin]]))"


def test_rust_toolchain_toml_and_rust_version_the_newest_minimum_wins():
    d = detect("toolchain-toml")
    f = facts(d)
    assert (f.rust_version, f.rust_version_source) == ("1.80.0", "rust-toolchain.toml line 3 (channel 1.80.0)")
    assert d.runtime == Runtime("rust", "1.80.0", "rust-toolchain.toml")


def test_rust_version_newer_than_the_legacy_toolchain_file_wins():
    f = facts(detect("toolchain-legacy"))
    assert (f.rust_version, f.rust_version_source) == ("1.85", "Cargo.toml line 4 (rust-version 1.85)")


def test_a_legacy_toolchain_file_alone(tmp_path):
    tree = write_tree(tmp_path, {"Cargo.toml": '[package]\nname = "x"\nversion = "0.1.0"\n', "src/main.rs": MAIN,
                                 "rust-toolchain": "\n1.82\n"})
    f = facts(rust.detect(tree))
    assert (f.rust_version, f.rust_version_source) == ("1.82", "rust-toolchain line 2 (channel 1.82)")


@pytest.mark.parametrize("channel", ["stable", "1.80.0-x86_64-unknown-linux-gnu"])
def test_stable_channels(tmp_path, channel):
    tree = write_tree(tmp_path, {"Cargo.toml": '[package]\nname = "x"\nversion = "0.1.0"\n', "src/main.rs": MAIN,
                                 "rust-toolchain.toml": f'[toolchain]\nchannel = "{channel}"\n'})
    assert facts(rust.detect(tree)).rust_version == ("any" if channel == "stable" else "1.80.0")


def test_a_nightly_toolchain_is_refused():
    err = error("toolchain-nightly")
    assert err.exit_code == UNSUPPORTED
    assert err.message == ("rust-toolchain.toml line 2 asks for the nightly-2025-06-01 toolchain; "
                           "pack-it builds with a stable rustc.")


def test_no_version_asked():
    d = detect("actix")
    assert d.runtime == Runtime("rust", "any", "default")
    assert facts(d).rust_version_source == "default"


def test_a_system_library_crate_links_dynamically_on_cc():
    d = detect("openssl")
    f = facts(d)
    assert d.run_image == RunImageChoice("cc-debian13", "Cargo.lock (openssl-sys 0.9.104)")
    assert (f.linkage, f.system_crates) == ("dynamic", ("openssl-sys 0.9.104",))


def test_vendored_openssl_stays_static():
    d = detect("openssl-vendored")
    assert d.run_image == RunImageChoice("static-debian13", "Cargo.lock")
    assert facts(d).linkage == "static"


def test_no_lockfile_builds_unlocked_with_a_warning():
    d = detect("actix")
    assert not facts(d).locked
    assert d.warnings and "No Cargo.lock" in d.warnings[0]


def test_a_library_alone_does_not_run():
    err = error("library")
    assert err.exit_code == UNSUPPORTED
    assert "no package of the app has a binary target" in err.message


# --- broken manifests: one sentence naming the file and line, exit 21 ------------------------


@pytest.mark.parametrize("name, message", [
    ("broken-toml", "Cargo.toml is not valid TOML: "),
    ("broken-no-name", "Cargo.toml line 3: [package] has no `name`."),
    ("broken-rust-version", "Cargo.toml line 4: rust-version '1.x' is not a Rust version."),
    ("broken-default-run", "Cargo.toml line 4: default-run = 'server' is not a binary of runner "
                           "(its binaries: runner)."),
    ("broken-bin", "Cargo.toml line 5: a [[bin]] target needs a `name` (a crate name)."),
    ("broken-neither", "Cargo.toml has neither a [package] nor a [workspace] table."),
    ("broken-lock", "Cargo.lock is not valid TOML: "),
])
def test_broken_manifests_name_the_file_and_line(name, message):
    err = error(name)
    assert err.exit_code == INVALID_INPUT
    assert err.message.startswith(message), err.message
    assert err.hint
    if name.endswith("toml") or name.endswith("lock"):
        assert "line" in err.message  # tomli's position: (at line N, column M)


def test_the_broken_toml_error_gives_its_line():
    assert "line 4" in error("broken-toml").message


def test_a_workspace_member_outside_the_app_is_refused():
    err = error("broken-member")
    assert err.exit_code == UNSUPPORTED
    assert err.message == "Cargo.toml line 2: the workspace member '../elsewhere' is outside the app."


def test_a_missing_workspace_member(tmp_path):
    tree = write_tree(tmp_path, {"Cargo.toml": '[workspace]\nmembers = ["gone"]\n'})
    with pytest.raises(PackItError) as err:
        rust.detect(tree)
    assert err.value.message == "Cargo.toml line 2: the workspace member 'gone' has no Cargo.toml."


def test_a_non_string_rust_version_names_its_line(tmp_path):
    tree = write_tree(tmp_path, {"Cargo.toml": '[package]\nname = "x"\nversion = "0.1.0"\nrust-version = 1.70\n',
                                 "src/main.rs": MAIN})
    with pytest.raises(PackItError) as err:
        rust.detect(tree)
    assert err.value.message == "Cargo.toml line 4: `rust-version` must be a string, not 1.7."


@pytest.mark.parametrize("toolchain, message, code", [
    ('[toolchain]\npath = "/opt/my-rust"\n', "rust-toolchain.toml line 2 names a custom toolchain directory (`path`).",
     UNSUPPORTED),
    ('channel = "1.80"\n', "rust-toolchain.toml has no [toolchain] table.", INVALID_INPUT),
    ('[toolchain]\nchannel = "1.80.x"\n', "rust-toolchain.toml line 2: '1.80.x' is not a Rust toolchain channel.",
     INVALID_INPUT),
    ('[toolchain\nchannel = "1.80"\n', "rust-toolchain.toml is not valid TOML: ", INVALID_INPUT),
])
def test_broken_or_unsupported_toolchain_files(tmp_path, toolchain, message, code):
    tree = write_tree(tmp_path, {"Cargo.toml": '[package]\nname = "x"\nversion = "0.1.0"\n', "src/main.rs": MAIN,
                                 "rust-toolchain.toml": toolchain})
    with pytest.raises(PackItError) as err:
        rust.detect(tree)
    assert err.value.exit_code == code
    assert err.value.message.startswith(message), err.value.message


# --- Procfile lines that run the app's binaries ---------------------------------------------


def _workspace_with(tmp_path, procfile: str):
    import shutil

    app = tmp_path / "app"
    shutil.copytree(SAMPLE_APPS / "rust-workspace", app)
    (app / "Procfile").write_text(procfile)
    return SourceTree(app)


def test_a_procfile_web_naming_a_binary_chooses_it(tmp_path):
    d = rust.detect(_workspace_with(tmp_path, "web: admin --verbose\n"))
    f = facts(d)
    assert (f.binary, f.binary_reason, f.extra_binaries) == ("admin", "Procfile line 1 runs it", ())
    assert [(p.type, p.command, p.source) for p in d.processes] == [("web", ("admin", "--verbose"), "Procfile")]


@pytest.mark.parametrize("line, args", [
    ("./target/release/admin", ()),
    ("target/release/admin --port 9", ("--port", "9")),
    ("cargo run --release --bin admin -- --port 9", ("--port", "9")),
])
def test_procfile_forms_of_running_a_binary(tmp_path, line, args):
    d = rust.detect(_workspace_with(tmp_path, f"worker: {line}\n"))
    f = facts(d)
    assert (f.binary, f.extra_binaries, f.packages) == ("web", ("admin",), ("server",))
    assert ("worker", ("admin", *args), "Procfile") in [(p.type, p.command, p.source) for p in d.processes]


def test_procfile_lines_that_run_something_else_are_left_to_the_procfile_pack(tmp_path):
    d = rust.detect(_workspace_with(tmp_path, "web: /usr/bin/env\nother: cargo run --bin nope\n"))
    assert facts(d).binary == "web" and facts(d).extra_binaries == ()
    assert [p.source for p in d.processes] == ["crates/server/src/bin/web.rs"]
