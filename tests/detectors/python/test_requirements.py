"""requirements.txt as pip reads it: includes, constraints, markers, URLs, editables, hashes."""

from __future__ import annotations

import pytest

from pack_it.detectors.python import requirements
from pack_it.detectors.python.manifests import names
from pack_it.errors import PackItError

from .trees import fixture, write_tree


def read(tmp_path, files: dict[str, str]) -> requirements.Requirements:
    return requirements.read(write_tree(tmp_path, files))


def test_fixture_includes_in_the_order_pip_reads_them():
    found = requirements.read(fixture("requirements-includes"))
    assert found.files == ("requirements.txt", "requirements/base.txt", "requirements/common.txt", "constraints.txt")
    assert [r.name for r in found.requirements] == [
        "litestar", "msgspec", "pywin32", "acme-auth", "acme-metrics", "uvicorn", "structlog", "Python-Dateutil"]
    assert found.requirements[0].source == "requirements.txt line 5"
    assert found.requirements[-1].source == "requirements/common.txt line 2"


def test_markers_are_evaluated_for_the_run_image(tmp_path):
    found = read(tmp_path, {"requirements.txt": (
        'pywin32 ; sys_platform == "win32"\n'
        'uvloop ; sys_platform != "win32" and platform_python_implementation == "CPython"\n'
        'tomli ; python_version < "3.11"\n'
        'exceptiongroup ; python_version < "3.12"\n')})
    reqs = [(r.name, r.marker) for r in found.requirements]
    assert names(reqs, "3.13") == ("uvloop",)
    assert names(reqs, "3.11") == ("exceptiongroup", "uvloop")


def test_constraints_restrict_but_do_not_install(tmp_path):
    found = read(tmp_path, {"requirements.txt": "-c constraints.txt\nflask\n",
                            "constraints.txt": "werkzeug<4\n-r more-constraints.txt\n",
                            "more-constraints.txt": "click<9\n"})
    assert found.files == ("requirements.txt", "constraints.txt", "more-constraints.txt")
    assert [r.name for r in found.requirements] == ["flask"]


def test_long_option_names_and_nested_relative_paths(tmp_path):
    found = read(tmp_path, {"requirements.txt": "--requirement reqs/prod.txt\n--constraint reqs/pins.txt\n",
                            "reqs/prod.txt": "-r ../shared/base.txt\ngunicorn\n",
                            "reqs/pins.txt": "gunicorn==22.0.0\n",
                            "shared/base.txt": "flask\n"})
    assert found.files == ("requirements.txt", "reqs/prod.txt", "shared/base.txt", "reqs/pins.txt")
    assert sorted(r.name for r in found.requirements) == ["flask", "gunicorn"]


def test_an_include_cycle_is_read_once(tmp_path):
    found = read(tmp_path, {"requirements.txt": "-r b.txt\nflask\n", "b.txt": "-r requirements.txt\ngunicorn\n"})
    assert found.files == ("requirements.txt", "b.txt")
    assert sorted(r.name for r in found.requirements) == ["flask", "gunicorn"]


def test_an_include_cycle_below_the_top_file_is_read_once(tmp_path):
    found = read(tmp_path, {"requirements.txt": "-r a.txt\n", "a.txt": "-r b.txt\nflask\n",
                            "b.txt": "-r a.txt\ngunicorn\n"})
    assert found.files == ("requirements.txt", "a.txt", "b.txt")


def test_a_file_included_twice_is_listed_once(tmp_path):
    found = read(tmp_path, {"requirements.txt": "-r web.txt\n-r worker.txt\n", "web.txt": "-r common.txt\nflask\n",
                            "worker.txt": "-r common.txt\ncelery\n", "common.txt": "requests\n"})
    assert found.files == ("requirements.txt", "web.txt", "common.txt", "worker.txt")
    assert sorted(r.name for r in found.requirements) == ["celery", "flask", "requests"]


def test_a_file_that_is_both_a_constraint_and_included_still_installs(tmp_path):
    found = read(tmp_path, {"requirements.txt": "-c pins.txt\n-r pins.txt\n", "pins.txt": "flask==3.0.3\n"})
    assert found.files == ("requirements.txt", "pins.txt")
    assert [r.name for r in found.requirements] == ["flask"]


def test_hashes_options_urls_editables_and_paths(tmp_path):
    found = read(tmp_path, {"requirements.txt": (
        "--index-url https://pypi.org/simple\n"
        "--extra-index-url https://example.com/simple\n"
        "requests==2.32.3 \\\n    --hash=sha256:70761cfe03c773ceb22aa2f671b4757976145175cdfca038c02654d061d6dcc6\n"
        "-e git+https://github.com/acme/lib.git@main#egg=acme-lib\n"
        "-e .\n"
        "./vendor/localpkg\n"
        "foo @ https://example.com/foo-1.0.tar.gz\n")})
    assert [r.name for r in found.requirements] == ["requests", "acme-lib", None, None, "foo"]


def test_an_empty_file_has_no_requirements(tmp_path):
    assert read(tmp_path, {"requirements.txt": "# nothing\n\n"}).requirements == ()


@pytest.mark.parametrize("text, line", [
    ("flask\ngunicorn>=>22\n", 2),
    ("flask==\n", 1),
    ("flask\n\n--no-such-option\n", 3),
    ("django[bcrypt\n", 1),
])
def test_unparseable_line_names_the_file_and_line(tmp_path, text, line):
    with pytest.raises(PackItError) as err:
        read(tmp_path, {"requirements.txt": text})
    assert err.value.exit_code == 21
    assert err.value.message.startswith(f"requirements.txt line {line} cannot be parsed: ")


def test_unparseable_line_in_an_included_file_names_that_file(tmp_path):
    with pytest.raises(PackItError) as err:
        read(tmp_path, {"requirements.txt": "-r base.txt\n", "base.txt": "ok\nnot a requirement!\n"})
    assert err.value.message == "base.txt line 2 cannot be parsed: 'not a requirement!'."


def test_missing_include(tmp_path):
    with pytest.raises(PackItError) as err:
        read(tmp_path, {"requirements.txt": "flask\n-r base.txt\n"})
    assert err.value.exit_code == 21
    assert err.value.message == "requirements.txt line 2 includes base.txt, which is not in the app."


def test_include_outside_the_tree_is_refused(tmp_path):
    (tmp_path / "secret.txt").write_text("flask\n")
    with pytest.raises(PackItError) as err:
        read(tmp_path / "app", {"requirements.txt": "-r ../secret.txt\n"})
    assert err.value.exit_code == 21
    assert err.value.message == "requirements.txt line 1 includes ../secret.txt, which is outside the app."


def test_remote_include_is_unsupported(tmp_path):
    with pytest.raises(PackItError) as err:
        read(tmp_path, {"requirements.txt": "-r https://example.com/reqs.txt\n"})
    assert err.value.exit_code == 22
    assert err.value.message == ("requirements.txt line 1 includes https://example.com/reqs.txt, a remote file "
                                 "pack-it does not fetch.")


def test_not_utf8_is_invalid_input(tmp_path):
    (tmp_path / "requirements.txt").write_bytes(b"flask\n# caf\xe9\n")
    with pytest.raises(PackItError) as err:
        requirements.read(write_tree(tmp_path, {}))
    assert err.value.exit_code == 21
    assert "requirements.txt is not valid UTF-8" in err.value.message
