"""The Procfile detector: `type: command` lines kept as written (lifecycle/launch decides how
each runs: tests/lifecycle/launch), with every malformed line refused by line number."""

from __future__ import annotations

from pathlib import Path

import pytest

from pack_it.detectors.facts import Detection, Process
from pack_it.detectors.procfile import detect
from pack_it.detectors.source import SourceTree
from pack_it.errors import PackItError

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "procfile"
GO_FIXTURES = FIXTURES.parent / "go"


def fixture(name: str) -> SourceTree:
    return SourceTree(FIXTURES / name)


def procfile(tmp_path: Path, text: str) -> SourceTree:
    (tmp_path / "Procfile").write_text(text)
    return SourceTree(tmp_path)


def test_web_worker_and_release_become_argv_lists():
    assert detect(fixture("procfile-web-worker")) == Detection(
        language="procfile",
        processes=(
            Process("web", ("./bin/server", "--port", "8080", "--greeting", "hello world"), "Procfile",
                    written="./bin/server --port 8080 --greeting 'hello world'"),
            Process("worker", ("./bin/worker", "--queue=default", "two words"), "Procfile",
                    written='./bin/worker   --queue=default "two words"'),
            Process("release", ("./bin/migrate", "up"), "Procfile", written="./bin/migrate up"),
        ),
    )


def test_no_process_is_marked_default():
    # Which process is the default is the lifecycle's decision, not the detector's.
    assert [p.default for p in detect(fixture("procfile-web-worker")).processes] == [False, False, False]


def test_only_comments_and_blank_lines_is_nothing():
    assert detect(fixture("procfile-comments-only")) is None


def test_no_procfile_is_nothing():
    assert detect(SourceTree(GO_FIXTURES / "go-root-main")) is None


def test_lowercase_procfile_is_not_a_procfile(tmp_path):
    (tmp_path / "procfile").write_text("web: ./server\n")
    assert detect(SourceTree(tmp_path)) is None


def test_empty_procfile_is_nothing(tmp_path):
    assert detect(procfile(tmp_path, "")) is None


def test_crlf_line_endings(tmp_path):
    found = detect(procfile(tmp_path, "web: ./server -v\r\nworker: ./work\r\n"))
    assert [(p.type, p.command) for p in found.processes] == [("web", ("./server", "-v")), ("worker", ("./work",))]


@pytest.mark.parametrize(
    "line, ptype, argv",
    [
        ("web: ./server", "web", ("./server",)),
        ("web:./server", "web", ("./server",)),
        ("web :  ./server  a   b ", "web", ("./server", "a", "b")),
        ("my_worker-2: ./w", "my_worker-2", ("./w",)),
        ("web: ./server --url=http://example.com:8080/x", "web", ("./server", "--url=http://example.com:8080/x")),
        ('web: ./server "a b" \'c d\' e\\ f', "web", ("./server", "a b", "c d", "e f")),
    ],
)
def test_single_line_variants(tmp_path, line, ptype, argv):
    (process,) = detect(procfile(tmp_path, line + "\n")).processes
    assert (process.type, process.command, process.source) == (ptype, argv, "Procfile")


@pytest.mark.parametrize(
    "text, number",
    [
        ("web ./server\n", 1),
        ("# c\n\nweb\n", 3),
        ("web:\n", 1),
        ("web:    \n", 1),
        (": ./server\n", 1),
        ("web server: ./server\n", 1),
        ("web.1: ./server\n", 1),
        ("web: ./a\nworker ./b\n", 2),
    ],
)
def test_malformed_line_is_invalid_input(tmp_path, text, number):
    with pytest.raises(PackItError) as err:
        detect(procfile(tmp_path, text))
    assert err.value.exit_code == 21
    assert err.value.phase == "detect"
    assert err.value.message.startswith(f"Procfile line {number} is not of the form `type: command`")


@pytest.mark.parametrize(
    "command",
    [
        "./server --port $PORT",
        "./server --port ${PORT:-8080}",
        "./migrate && ./server",
        "./server | tee out",
        "./server; echo done",
        "./server > server.log",
        "./server < input",
        "./server &",
        "./server `hostname`",
        "./server $(hostname)",
        "PORT=8080 ./server",
        "./server --files *.json",
        "./server ~/config",
    ],
)
def test_commands_are_kept_as_written(tmp_path, command):
    worker, web = detect(procfile(tmp_path, f"worker: ./ok\nweb: {command}\n")).processes
    assert (web.type, web.written, worker.written) == ("web", command, "./ok")


def test_duplicate_process_type_is_invalid_input(tmp_path):
    with pytest.raises(PackItError) as err:
        detect(procfile(tmp_path, "web: ./a\nworker: ./w\nweb: ./b\n"))
    assert err.value.exit_code == 21
    assert err.value.message == "Procfile defines process 'web' twice."


@pytest.mark.parametrize("command", ["./server 'oops", './server "oops', "./server trailing\\"])
def test_unbalanced_quotes_are_invalid_input(tmp_path, command):
    with pytest.raises(PackItError) as err:
        detect(procfile(tmp_path, f"# first\nweb: {command}\n"))
    assert err.value.exit_code == 21
    assert err.value.message.startswith("Procfile line 2 cannot be split into words")
    assert "quotes" in err.value.hint


def test_invalid_utf8_procfile_is_invalid_input(tmp_path):
    (tmp_path / "Procfile").write_bytes(b"web: ./server \xff\n")
    with pytest.raises(PackItError) as err:
        detect(SourceTree(tmp_path))
    assert err.value.exit_code == 21
    assert "Procfile" in err.value.message


def test_key_value_argument_is_not_shell_syntax(tmp_path):
    (process,) = detect(procfile(tmp_path, "web: ./server mode=production\n")).processes
    assert process.command == ("./server", "mode=production")
