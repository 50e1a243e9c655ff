"""Start commands as people write them (`gunicorn app:app --bind 0.0.0.0:$PORT`, `cd backend &&
node index.js`), read with the grammar the launcher (launcher/main.go) runs them with: words
with quotes and backslashes, $VAR, ${VAR}, ${VAR:-default} and ${VAR-default}, leading
VAR=value assignments, &&-joined steps, `cd DIR` and `exec`. Anything else only a shell
understands (pipes, redirections, `;`, `||`, globs, subshells, command substitution) is a
`NeedsShell`, naming it. Pure: no file is read, nothing runs.

The two parsers are one grammar in two languages; tests/lifecycle/launch compares them on
generated commands through the launcher's --explain."""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass

NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
SHELL_ONLY = {
    "|": "a pipe or || (|)", ";": "several commands (;)", "&": "a background job or & (&)",
    "<": "an input redirection (<)", ">": "an output redirection (>)", "(": "a subshell (()",
    ")": "a subshell ())", "`": "command substitution (`)", "*": "a glob (*)", "?": "a glob (?)",
    "[": "a glob ([)", "#": "a comment (#)", "~": "a home directory (~)", "{": "a brace group ({)",
    "}": "a brace group (})", "\n": "several lines",
}


class NeedsShell(ValueError):
    """The command uses something only a shell does; the message says what."""


@dataclass(frozen=True)
class Segment:
    text: str  # the literal text, or a variable's default value
    quoted: bool = False  # an expansion inside quotes is never split into words
    var: str | None = None  # the variable a $NAME / ${NAME...} expansion reads
    op: str = ""  # "", ":-" or "-"


Word = tuple[Segment, ...]


@dataclass(frozen=True)
class Step:
    assigns: tuple[tuple[str, Word], ...]
    argv: tuple[Word, ...]

    @property
    def is_cd(self) -> bool:
        return literal(self.argv[0]) == "cd" and len(self.argv) == 2


def literal(word: Word) -> str | None:
    """The word's text when it has no expansion."""
    if any(s.var for s in word):
        return None
    return "".join(s.text for s in word)


def _var(s: str, i: int, quoted: bool) -> tuple[Segment, int]:
    j = i + 1
    if s.startswith("{", j):
        match = NAME.match(s, j + 1)
        if not match:
            if s.startswith("(", j) or s[j + 1:j + 2] in ("#", "!", "@", "*", "?"):
                raise NeedsShell("a parameter form other than ${NAME:-default}")
            raise NeedsShell("${...} that is not a variable name")
        name, j = match.group(), match.end()
        if s.startswith("}", j):
            return Segment("", quoted, name), j + 1
        if s.startswith(":-", j):
            op, j = ":-", j + 2
        elif s.startswith("-", j):
            op, j = "-", j + 1
        else:
            raise NeedsShell("a ${...} form other than ${NAME:-default}")
        end = s.find("}", j)
        if end < 0:
            raise NeedsShell("an unclosed ${")
        default = s[j:end]
        if any(c in default for c in "$`\\'\"{"):
            raise NeedsShell("a default value with quotes or expansions")
        return Segment(default, quoted, name, op), end + 1
    match = NAME.match(s, j)
    if not match:
        if s.startswith("(", j):
            raise NeedsShell("command substitution ($(...))")
        raise NeedsShell("a special parameter ($1, $@, $?...)" if j < len(s) else "$ not followed by a variable name")
    return Segment("", quoted, match.group()), match.end()


def _word(s: str, i: int) -> tuple[Word, int]:
    segments: list[Segment] = []
    text = ""

    def flush(quoted: bool) -> None:
        nonlocal text
        if text:
            segments.append(Segment(text, quoted))
            text = ""

    while i < len(s):
        c = s[i]
        if c in " \t" or s.startswith("&&", i):
            break
        if c == "\\":
            if i + 1 >= len(s) or s[i + 1] == "\n":
                raise NeedsShell("a backslash at the end of a line")
            text += s[i + 1]
            i += 2
        elif c == "'":
            flush(False)
            end = s.find("'", i + 1)
            if end < 0:
                raise NeedsShell("an unclosed single quote")
            segments.append(Segment(s[i + 1:end], True))
            if end == i + 1:
                segments.append(Segment("", True))
            i = end + 1
        elif c == '"':
            flush(False)
            i += 1
            empty = True
            while True:
                if i >= len(s):
                    raise NeedsShell("an unclosed double quote")
                d = s[i]
                if d == '"':
                    i += 1
                    break
                empty = False
                if d == "\\" and s[i + 1:i + 2] in ("$", "`", '"', "\\") and i + 1 < len(s):
                    text += s[i + 1]
                    i += 2
                    continue
                if d == "`":
                    raise NeedsShell(SHELL_ONLY["`"])
                if d == "$":
                    flush(True)
                    segment, i = _var(s, i, True)
                    segments.append(segment)
                    continue
                text += d
                i += 1
            flush(True)
            if empty:
                segments.append(Segment("", True))
        elif c == "$":
            flush(False)
            segment, i = _var(s, i, False)
            segments.append(segment)
        else:
            if c in SHELL_ONLY and not (c == "#" and text) and not (c == "~" and (text or segments)):
                raise NeedsShell(SHELL_ONLY[c])
            text += c
            i += 1
    flush(False)
    return tuple(segments), i


def _assignments(words: list[Word], last: bool) -> Step:
    assigns = []
    while words:
        first = words[0]
        head = first[0] if first else None
        if head is None or head.var or head.quoted:
            break
        match = NAME.match(head.text)
        if not match or not head.text.startswith("=", match.end()):
            break
        name = match.group()
        assigns.append((name, (Segment(head.text[match.end() + 1:]), *first[1:])))
        words = words[1:]
    if not words:
        raise NeedsShell("an assignment with no command (a shell variable)")
    program = literal(words[0])
    if program == "exec":
        if not last:
            raise NeedsShell("exec before the last step")
        words = words[1:]
        if not words:
            raise NeedsShell("exec with no command")
    elif program == "cd" and (len(words) != 2 or assigns):
        raise NeedsShell("cd takes one directory")
    return Step(tuple(assigns), tuple(words))


def parse(text: str) -> tuple[Step, ...]:
    """The steps of a command the launcher can run, or NeedsShell."""
    groups: list[list[Word]] = []
    current: list[Word] = []
    i = 0
    while True:
        while i < len(text) and text[i] in " \t":
            i += 1
        if i >= len(text):
            break
        if text.startswith("&&", i):
            if not current:
                raise NeedsShell("&& with no command before it")
            groups.append(current)
            current, i = [], i + 2
            continue
        word, i = _word(text, i)
        current.append(word)
    if not current:
        raise NeedsShell("&& with no command after it" if groups else "no command")
    groups.append(current)
    return tuple(_assignments(g, n == len(groups) - 1) for n, g in enumerate(groups))


def expand(word: Word, env: dict[str, str], split: bool = True) -> list[str]:
    """The arguments a word stands for in `env`, as the launcher expands it."""
    out: list[str] = []
    current, have = "", False
    for seg in word:
        if seg.var is None:
            current, have = current + seg.text, True
            continue
        value = env.get(seg.var)
        if (seg.op == ":-" and not value) or (seg.op == "-" and value is None):
            value = seg.text
        value = value or ""
        if seg.quoted or not split:
            current, have = current + value, True
            continue
        for c in value:
            if c in " \t\n":
                if have:
                    out.append(current)
                current, have = "", False
            else:
                current, have = current + c, True
    if have:
        out.append(current)
    return out


def shown(word: Word) -> str:
    """A word as written, quotes normalised: `$PORT`, `${PORT:-8000}`, `"$APP"`, `'a b'`."""
    out = ""
    for n, seg in enumerate(word):
        if seg.var is None:
            plain = not seg.text or re.fullmatch(r"[\w@%+=:,./-]+", seg.text)
            out += seg.text if plain and not seg.quoted else shlex.quote(seg.text)
            continue
        following = word[n + 1].text[:1] if n + 1 < len(word) and word[n + 1].var is None else ""
        braced = seg.op or re.fullmatch(r"\w", following or "-") is not None
        inner = f"${{{seg.var}{seg.op}{seg.text}}}" if braced else f"${seg.var}"
        out += f'"{inner}"' if seg.quoted else inner
    return out or "''"


def explain(steps: tuple[Step, ...], env: dict[str, str], extra: tuple[str, ...] = ()) -> list[str]:
    """What the launcher's --explain prints for these steps in `env`: one line a step."""
    lines = []
    for n, step in enumerate(steps):
        last = n == len(steps) - 1
        step_env = dict(env)
        for name, value in step.assigns:
            step_env[name] = " ".join(expand(value, step_env, split=False))
        argv = [a for w in step.argv for a in expand(w, env)] + (list(extra) if last else [])
        if step.is_cd:
            lines.append(" ".join(["cd", *map(_quote, argv[1:])]))
            continue
        line = "exec" if last else "run"
        line += "".join(f" {name}={_quote(step_env[name])}" for name, _ in step.assigns)
        lines.append(line + "".join(" " + _quote(a) for a in argv))
    return lines


def _quote(s: str) -> str:
    """The launcher's quoting of a word in --explain (launcher/main.go: quote)."""
    if s and all(c.isascii() and (c.isalnum() or c in "_/.-:=,@+%") for c in s):
        return s
    return "'" + s.replace("'", "'\"'\"'") + "'"
