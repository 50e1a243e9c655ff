"""The start-command grammar (lifecycle/launch/command.py) and its twin, the launcher binary:
the same commands give the same steps in both (through the launcher's --explain), and what
only a shell runs is refused by both."""

from __future__ import annotations

import subprocess

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pack_it.lifecycle.launch.command import NeedsShell, expand, explain, parse
from pack_it.lifecycle.launch.layers import BINARY

ENV = {"PORT": "8080", "EMPTY": "", "TWO": "a b", "HOME": "/home/app", "PATH": "/usr/bin:/bin"}


def steps(text: str, env=ENV, extra=()) -> list[str]:
    return explain(parse(text), env, tuple(extra))


def launcher(text: str, env=ENV, extra=()) -> subprocess.CompletedProcess:
    return subprocess.run([str(BINARY), "--explain", text, *extra], env=env, capture_output=True, text=True)


@pytest.mark.parametrize("text, expected", [
    ("gunicorn app:app --bind 0.0.0.0:$PORT --workers 2", ["exec gunicorn app:app --bind 0.0.0.0:8080 --workers 2"]),
    ("uvicorn main:app --host 0.0.0.0 --port ${PORT:-8000}", ["exec uvicorn main:app --host 0.0.0.0 --port 8080"]),
    ("uvicorn main:app --port ${UNSET:-8000}", ["exec uvicorn main:app --port 8000"]),
    ("x ${EMPTY:-d} ${EMPTY-d} ${UNSET-d}", ["exec x d d"]),
    ("NODE_ENV=production node server.js", ["exec NODE_ENV=production node server.js"]),
    ("cd backend && node index.js", ["cd backend", "exec node index.js"]),
    ("python manage.py migrate && gunicorn mysite.wsgi", ["run python manage.py migrate", "exec gunicorn mysite.wsgi"]),
    ("echo starting && exec node dist/main.js", ["run echo starting", "exec node dist/main.js"]),
    ("node $TWO \"$TWO\" $EMPTY \"$EMPTY\" ''", ["exec node a b 'a b' '' ''"]),
    ("node '$PORT' \\$PORT \"\\$PORT\"", ["exec node '$PORT' '$PORT' '$PORT'"]),
    ("A=$PORT B=\"$A x\" node", ["exec A=8080 B='8080 x' node"]),
    ("node a#b x~", ["exec node 'a#b' 'x~'"]),
])
def test_steps(text, expected):
    assert steps(text) == expected


@pytest.mark.parametrize("text, what", [
    ("node a | cat", "pipe"), ("node a || node b", "pipe"), ("node a; node b", ";"),
    ("node a > log", "redirection"), ("node a < in", "redirection"), ("node a 2>&1", "redirection"),
    ("node a &", "background"), ("(cd x && node a)", "subshell"), ("node `cat f`", "substitution"),
    ("node $(cat f)", "substitution"), ("node *.js", "glob"), ("node ~/x", "home"), ("node $1", "special"),
    ("node ${X#y}", "other than"), ("node # hi", "comment"), ("A=1", "assignment with no command"),
    ("node a && exec node b && node c", "exec before"), ("cd && node a", "cd takes one"),
    ("node a &&", "after"), ("&& node a", "before"), ("node 'a", "unclosed"), ("node a\nnode b", "lines"),
    ("node ${X:-$Y}", "default value"),
])
def test_what_needs_a_shell(text, what):
    with pytest.raises(NeedsShell) as err:
        parse(text)
    assert what in str(err.value)
    assert launcher(text).returncode == 126  # the launcher refuses it too, never runs half of it


@pytest.mark.parametrize("text", ["gunicorn app:app --bind 0.0.0.0:$PORT", "cd a && A=\"$HOME x\" node $TWO"])
def test_launcher_explains_as_the_parser_does(text):
    assert launcher(text, extra=["--extra"]).stdout.splitlines() == steps(text, extra=["--extra"])


WORDS = st.sampled_from(["node", "a", "b.js", "$PORT", "${PORT}", "${EMPTY:-x}", "${UNSET-y}", "$TWO", "'q $PORT'",
                         '"$TWO"', '"a\\"b"', "\\$x", "A=1", "B=$TWO", "cd", "exec", "&&", "|", ";", ">", "*",
                         "#c", "~", "''", '""', "x=y", "$EMPTY", "a$PORT", "${TWO}z"])


@settings(max_examples=300, deadline=None)
@given(st.lists(WORDS, min_size=1, max_size=8), st.sampled_from([" ", "  ", "\t"]))
def test_the_two_parsers_agree(words, gap):
    """Generated commands: the launcher runs exactly what the plan says (or both refuse)."""
    text = gap.join(words)
    try:
        expected = steps(text)
    except NeedsShell:
        assert launcher(text).returncode == 126, text
        return
    got = launcher(text)
    if got.returncode == 127:  # a step that expands to no word (`A=1 $EMPTY`): the launcher stops there
        assert any(not [a for w in step.argv for a in expand(w, ENV)] for step in parse(text) if not step.is_cd), \
            (text, expected)
        return
    assert (got.returncode, got.stdout.splitlines()) == (0, expected), text
