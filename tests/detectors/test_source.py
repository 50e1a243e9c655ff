"""SourceTree: the read-only view every detector reads through (ignore rules, links that
leave the tree, manifests that do not parse, the content digest)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from pack_it.detectors.source import IgnoreRules, SourceTree
from pack_it.errors import PackItError

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "source"


def copy_fixture(name: str, tmp_path: Path) -> Path:
    target = tmp_path / name
    shutil.copytree(FIXTURES / name, target)
    return target


def write_tree(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


# --- files() ------------------------------------------------------------------------------


def test_files_are_sorted_relative_posix_paths():
    assert SourceTree(FIXTURES / "source-basic").files() == (
        "README.md",
        "Zeta.md",
        "a-b/c.txt",
        "app/main.py",
        "app/util/helpers.py",
        "z.txt",
    )


def test_vcs_and_pack_it_directories_are_excluded(tmp_path):
    # .git cannot be committed inside a fixture, so it is added to a copy.
    root = copy_fixture("source-basic", tmp_path)
    write_tree(root, {
        ".git/HEAD": "ref: refs/heads/main\n",
        ".git/objects/ab/cdef": "x",
        ".hg/store": "x",
        ".svn/entries": "x",
        ".pack-it/cache.json": "{}",
        "app/.git/config": "nested git dir",
        ".github/workflows/ci.yml": "on: push\n",  # only the exact names are excluded
    })
    files = SourceTree(root).files()
    assert not [f for f in files if f.split("/")[0] in (".git", ".hg", ".svn", ".pack-it") or "/.git/" in f]
    assert ".github/workflows/ci.yml" in files
    assert len(files) == 7


def test_root_given_as_relative_path_is_resolved(tmp_path, monkeypatch):
    monkeypatch.chdir(FIXTURES)
    tree = SourceTree("source-basic")
    assert tree.root == FIXTURES / "source-basic"
    assert tree.has_file("app/main.py") and not tree.has_file("app")
    assert tree.has_dir("app/util") and tree.has_dir("app/") and not tree.has_dir("ap")


def test_glob():
    tree = SourceTree(FIXTURES / "source-basic")
    assert tree.glob("*.md") == ["README.md", "Zeta.md"]
    assert tree.glob("**/*.py") == ["app/main.py", "app/util/helpers.py"]
    assert tree.glob("app/*.py") == ["app/main.py"]


# --- .dockerignore ------------------------------------------------------------------------

# Written to tmp_path rather than kept as a fixture: this repository's .gitignore ignores
# build/, so a committed build/ directory would silently vanish.
DOCKERIGNORE = """\
# build output and logs
*.log
!keep.log
build/
**/secret.txt
/docs/*.tmp
"""


def test_dockerignore_patterns(tmp_path):
    root = write_tree(tmp_path, {
        ".dockerignore": DOCKERIGNORE,
        "app.py": "",
        "debug.log": "",
        "keep.log": "",
        "logs/deep.log": "",  # `*.log` matches at the root only, as in Docker
        "build/out.bin": "",
        "build/sub/x.o": "",
        "builder.txt": "",  # build/ names a directory, not a prefix
        "secret.txt": "",
        "config/secret.txt": "",
        "a/b/secret.txt": "",
        "config/secret.txt.bak": "",
        "docs/draft.tmp": "",
        "docs/index.md": "",
    })
    assert SourceTree(root).files() == (
        ".dockerignore",
        "app.py",
        "builder.txt",
        "config/secret.txt.bak",
        "docs/index.md",
        "keep.log",
        "logs/deep.log",
    )


@pytest.mark.parametrize(
    "lines, rel, ignored",
    [
        (["*.log"], "a.log", True),
        (["*.log"], "dir/a.log", False),
        (["*.log", "!keep.log"], "keep.log", False),
        (["!keep.log", "*.log"], "keep.log", True),  # the last matching rule wins
        (["build/"], "build", True),
        (["build/"], "build/deep/file", True),
        (["build/"], "builder", False),
        (["/build"], "build/x", True),
        (["./build"], "build/x", True),
        (["**/secret.txt"], "secret.txt", True),
        (["**/secret.txt"], "x/y/z/secret.txt", True),
        (["**/secret.txt"], "x/secret.txt.old", False),
        (["**/secret.txt"], "x/mysecret.txt", False),  # `**/` stops at a separator
        (["**"], "anything/at/all", True),
        (["src/**/*.pyc"], "src/a/b/c.pyc", True),
        (["src/**/*.pyc"], "src/c.pyc", True),
        (["?.txt"], "a.txt", True),
        (["?.txt"], "ab.txt", False),
        (["[ab].txt"], "b.txt", True),
        (["[ab].txt"], "c.txt", False),
        (["[!ab].txt"], "c.txt", True),
        (["# *.txt", "", "   "], "a.txt", False),
        (["  *.txt  "], "a.txt", True),
        (["a.b"], "axb", False),  # a dot is literal, not a regex wildcard
    ],
)
def test_ignore_rules(lines, rel, ignored):
    assert IgnoreRules(lines).ignores(rel) is ignored


def test_negation_reincludes_a_file_inside_an_ignored_directory(tmp_path):
    root = write_tree(tmp_path, {
        ".dockerignore": "build/\n!build/keep.txt\n",
        "build/keep.txt": "",
        "build/drop.txt": "",
    })
    assert SourceTree(root).files() == (".dockerignore", "build/keep.txt")


# --- links that leave the tree ------------------------------------------------------------


@pytest.fixture
def linked_tree(tmp_path) -> Path:
    outside = write_tree(tmp_path / "outside", {"secret.txt": "s3cret", "dir/file.txt": "x"})
    root = write_tree(tmp_path / "app", {"app.py": "print()\n", "sub/data.txt": "data"})
    (root / "escape.txt").symlink_to(outside / "secret.txt")  # absolute target
    (root / "sub" / "relative-escape.txt").symlink_to(Path("..", "..", "outside", "secret.txt"))
    (root / "escape-dir").symlink_to(outside / "dir", target_is_directory=True)
    (root / "alias.py").symlink_to("app.py")  # inside: allowed
    (root / "dangling.txt").symlink_to("missing.txt")
    return root


def test_links_leaving_the_tree_are_not_listed(linked_tree):
    assert SourceTree(linked_tree).files() == ("alias.py", "app.py", "sub/data.txt")


@pytest.mark.parametrize("rel", ["escape.txt", "sub/relative-escape.txt", "escape-dir/file.txt", "../outside/secret.txt"])
def test_reading_outside_the_tree_is_refused(linked_tree, rel):
    tree = SourceTree(linked_tree)
    for read in (tree.path, tree.read_text, tree.read_bytes):
        with pytest.raises(PackItError) as err:
            read(rel)
        assert err.value.exit_code == 21
        assert err.value.message == f"{rel} points outside the app directory."


def test_absolute_path_is_refused(linked_tree, tmp_path):
    absolute = str(tmp_path / "outside" / "secret.txt")
    with pytest.raises(PackItError) as err:
        SourceTree(linked_tree).path(absolute)
    assert err.value.exit_code == 21
    assert err.value.message == f"{absolute} points outside the app directory."


def test_link_inside_the_tree_reads_its_target(linked_tree):
    tree = SourceTree(linked_tree)
    assert tree.read_text("alias.py") == "print()\n"
    assert tree.path("alias.py") == linked_tree / "alias.py"


def test_digest_of_a_tree_with_escaping_links_does_not_read_them(linked_tree):
    tree = SourceTree(linked_tree)
    digest = tree.digest()
    (linked_tree.parent / "outside" / "secret.txt").write_text("changed")
    assert SourceTree(linked_tree).digest() == digest


# --- manifests that do not parse ----------------------------------------------------------


def test_read_json_and_toml_of_good_files():
    tree = SourceTree(FIXTURES / "source-manifests")
    assert tree.read_json("good.json") == {"name": "good", "scripts": {"start": "node server.js"}}
    assert tree.read_toml("good.toml") == {"project": {"name": "good", "dependencies": ["flask>=3"]}}


def test_broken_json_names_the_file():
    with pytest.raises(PackItError) as err:
        SourceTree(FIXTURES / "source-manifests").read_json("package.json")
    assert err.value.exit_code == 21
    assert err.value.phase == "detect"
    assert err.value.message.startswith("package.json is not valid JSON:")
    assert err.value.message.endswith("at line 4, column 1.")  # the `}` after the trailing comma
    assert err.value.hint == "Fix the syntax of package.json."


def test_broken_toml_names_the_file():
    with pytest.raises(PackItError) as err:
        SourceTree(FIXTURES / "source-manifests").read_toml("pyproject.toml")
    assert err.value.exit_code == 21
    assert err.value.message.startswith("pyproject.toml is not valid TOML:")
    assert "line 3" in err.value.message
    assert err.value.hint == "Fix the syntax of pyproject.toml."


@pytest.mark.parametrize("read", ["read_text", "read_json", "read_toml"])
def test_invalid_utf8_names_the_file(tmp_path, read):
    (tmp_path / "data.json").write_bytes(b'{"a": "\xe9"}')
    with pytest.raises(PackItError) as err:
        getattr(SourceTree(tmp_path), read)("data.json")
    assert err.value.exit_code == 21
    assert err.value.message == "data.json is not valid UTF-8 (byte 7)."


# --- digest -------------------------------------------------------------------------------


def test_digest_follows_content_not_timestamps(tmp_path):
    root = copy_fixture("source-basic", tmp_path)
    first = SourceTree(root).digest()
    assert len(first) == 64 and int(first, 16) >= 0

    os.utime(root / "app" / "main.py", (1_000_000_000, 1_000_000_000))
    os.utime(root / "z.txt", (2_000_000_000, 2_000_000_000))
    assert SourceTree(root).digest() == first

    (root / "app" / "main.py").write_text('print("changed")\n')
    changed = SourceTree(root).digest()
    assert changed != first

    (root / "app" / "main.py").write_text('print("hi")\n')  # the fixture's content again
    assert SourceTree(root).digest() == first


def test_digest_is_the_same_for_two_copies(tmp_path):
    assert SourceTree(copy_fixture("source-basic", tmp_path / "a")).digest() == \
        SourceTree(copy_fixture("source-basic", tmp_path / "b")).digest()


def test_digest_changes_with_a_rename_and_the_executable_bit(tmp_path):
    root = copy_fixture("source-basic", tmp_path)
    first = SourceTree(root).digest()
    (root / "z.txt").chmod(0o755)
    executable = SourceTree(root).digest()
    assert executable != first
    (root / "z.txt").rename(root / "y.txt")
    assert SourceTree(root).digest() not in (first, executable)


def test_digest_of_selected_paths(tmp_path):
    root = copy_fixture("source-basic", tmp_path)
    tree = SourceTree(root)
    some = tree.digest(["z.txt", "README.md"])
    assert some == tree.digest(("README.md", "z.txt"))  # order does not matter
    assert some != tree.digest()
    (root / "app" / "main.py").write_text("other\n")
    assert SourceTree(root).digest(["z.txt", "README.md"]) == some


def test_digest_ignores_dockerignored_files(tmp_path):
    root = copy_fixture("source-basic", tmp_path)
    (root / ".dockerignore").write_text("*.log\n")
    first = SourceTree(root).digest()
    (root / "debug.log").write_text("noise")
    assert SourceTree(root).digest() == first


# --- the root itself ----------------------------------------------------------------------


def test_a_file_as_root_is_refused(tmp_path):
    file = tmp_path / "go.mod"
    file.write_text("module x\n")
    with pytest.raises(PackItError) as err:
        SourceTree(file)
    assert err.value.exit_code == 21
    assert err.value.message == f"{file} is not a directory."


def test_a_missing_root_is_refused(tmp_path):
    with pytest.raises(PackItError) as err:
        SourceTree(tmp_path / "nope")
    assert err.value.exit_code == 21
    assert "nope is not a directory" in err.value.message


# --- secret files ---------------------------------------------------------------------------

SECRETS = {
    ".env": "A=1\n", ".env.local": "A=1\n", "config/.env.production": "A=1\n",
    "id_rsa": "k\n", "deploy/id_ed25519": "k\n", "id_ecdsa": "k\n",
    "tls/server.pem": "-----BEGIN RSA PRIVATE KEY-----\nMIIE\n", "tls/ec.pem": "x\n-----BEGIN EC PRIVATE KEY-----\n",
    "tls/server.key": "anything\n", "store.p12": "x", ".npmrc": "//registry.npmjs.org/:_authToken=npm_abc\n",
    "web/.npmrc": "_auth=dXNlcjpwYXNz\n", ".pypirc": "[pypi]\npassword = pypi-AgEI\n",
    ".aws/credentials": "[default]\n", "home/.docker/config.json": "{}\n", ".netrc": "machine x\n",
    ".git-credentials": "https://u:p@x\n",
}
NOT_SECRETS = {
    "main.py": "", "id_rsa.pub": "ssh-rsa AAAA\n", "tls/ca.pem": "-----BEGIN CERTIFICATE-----\n",
    "env.py": "", "environment/.gitkeep": "", "docker/config.json": "{}\n", ".aws/config": "[default]\n",
    "a/.npmrc": "registry=https://npm.example.com/\n", "b/.npmrc": "//npm.example.com/:_authToken=${NPM_TOKEN}\n",
    "c/.npmrc": "# _authToken=old\n", ".pypirc.example": "password = x\n", "keys.py": "", "monkey": "",
}


def test_secret_looking_files_are_left_out_of_the_source_and_the_rest_kept(tmp_path):
    tree = SourceTree(write_tree(tmp_path, {**SECRETS, **NOT_SECRETS}))
    assert sorted(tree.secret_files()) == sorted(SECRETS)
    assert not set(SECRETS) & set(tree.source_files())
    assert set(NOT_SECRETS) <= set(tree.source_files())
    assert tree.secret_files()["tls/server.pem"] == "a private key (PEM)"


def test_an_npmrc_holding_a_token_stays_readable_for_the_install_but_is_not_source(tmp_path):
    # The install step's manifests come from files(); layers are made of source_files().
    from pack_it.packs import node as node_pack

    tree = SourceTree(write_tree(tmp_path, {"package.json": "{}", ".npmrc": SECRETS[".npmrc"], ".env": "A=1\n"}))
    assert ".npmrc" in tree.files() and ".npmrc" in node_pack._manifest_files(tree)
    assert ".npmrc" not in tree.source_files()
    assert ".env" not in tree.files()  # nothing reads a .env: not even detection sees it


@pytest.mark.parametrize("ignore_file", [".dockerignore", ".pack-itignore"])
def test_a_bang_exception_keeps_a_secret_file(tmp_path, ignore_file):
    tree = SourceTree(write_tree(tmp_path, {".env": "A=1\n", "id_rsa": "k", ignore_file: "!.env\n"}))
    assert list(tree.secret_files()) == ["id_rsa"]
    assert ".env" in tree.source_files()


def test_an_ignore_rule_naming_a_secret_without_bang_does_not_keep_it(tmp_path):
    tree = SourceTree(write_tree(tmp_path, {".env": "A=1\n", "main.py": "", ".dockerignore": "!main.py\n*.md\n"}))
    assert ".env" in tree.secret_files() and ".env" not in tree.source_files()


def test_an_unreadable_pem_is_treated_as_a_secret(tmp_path):
    tree = SourceTree(write_tree(tmp_path, {"tls/x.pem": "-----BEGIN CERTIFICATE-----\n"}))
    os.chmod(tmp_path / "tls" / "x.pem", 0)
    try:
        if os.access(tmp_path / "tls" / "x.pem", os.R_OK):
            pytest.skip("root reads any file")
        assert "unreadable" in tree.secret_files()["tls/x.pem"]
    finally:
        os.chmod(tmp_path / "tls" / "x.pem", 0o644)


def test_pack_it_ignore_applies_after_dockerignore(tmp_path):
    tree = SourceTree(write_tree(tmp_path, {
        "a.txt": "", "b.txt": "", "c.txt": "", ".dockerignore": "*.txt\n", ".pack-itignore": "!b.txt\nc.txt\n"}))
    assert [f for f in tree.files() if f.endswith(".txt")] == ["b.txt"]
    tree = SourceTree(write_tree(tmp_path / "only", {"a.txt": "", "b.txt": "", ".pack-itignore": "a.txt\n"}))
    assert [f for f in tree.files() if f.endswith(".txt")] == ["b.txt"]


def test_a_directory_link_inside_the_tree_lists_its_files_at_the_link(tmp_path):
    """As a file link inside the tree reads its target (pack-it's own pack_it/lifecycle ->
    ../lifecycle): never a link that loops, leads to an ignored directory, or lies under a link."""
    root = write_tree(tmp_path / "app", {"lib/m.py": "x", "sub/a.txt": "a", "hidden/s.txt": "s",
                                         ".pack-itignore": "hidden/\n"})
    (root / "pkg").symlink_to("lib", target_is_directory=True)
    (root / "lib" / "back").symlink_to("../sub", target_is_directory=True)  # walked in lib/, not again in pkg/
    (root / "sub" / "loop").symlink_to("..", target_is_directory=True)
    (root / "sub" / "self").symlink_to(".", target_is_directory=True)
    (root / "shown").symlink_to("hidden", target_is_directory=True)
    (root / "git").symlink_to(".git", target_is_directory=True)
    write_tree(root / ".git", {"config": "c"})
    write_tree(root / ".venv", {"pyvenv.cfg": "", "lib/site.py": ""})
    (root / ".venv" / "lib64").symlink_to("lib", target_is_directory=True)
    (root / "venvlib").symlink_to(".venv/lib", target_is_directory=True)
    assert SourceTree(root).files() == (".pack-itignore", ".venv/lib/site.py", ".venv/pyvenv.cfg", "lib/back/a.txt",
                                        "lib/m.py", "pkg/m.py", "sub/a.txt")
