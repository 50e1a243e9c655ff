"""Host files must never reach the image's source/revision labels through a hostile .git
(issue 14, item 4): refs are validated names read as regular files inside the git dir, and
only a 40/64-hex object name or a credential-free URL becomes a label."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from pack_it.lifecycle import gitinfo
from pack_it.lifecycle.pipeline import source_labels

COMMIT = "0123456789abcdef0123456789abcdef01234567"
# A host secret that *looks like* an object name, so only the file checks can keep it out.
HEX_SECRET = "feedfacefeedfacefeedfacefeedfacefeedface"
TEXT_SECRET = "root:$y$j9T$TOPSECRETHASH:19000:0:99999:7:::"
REVISION = "org.opencontainers.image.revision"
SOURCE = "org.opencontainers.image.source"


@pytest.fixture
def host(tmp_path) -> Path:
    """A directory outside the app, with a hex-looking and a text "secret" in it."""
    outside = tmp_path / "host"
    (outside / "refs" / "heads").mkdir(parents=True)
    (outside / "hex-secret").write_text(HEX_SECRET + "\n")
    (outside / "shadow").write_text(TEXT_SECRET + "\n")
    (outside / "refs" / "heads" / "main").write_text(HEX_SECRET + "\n")
    (outside / "HEAD").write_text(HEX_SECRET + "\n")
    return outside


def make_repo(root: Path, head: str = "ref: refs/heads/main\n") -> Path:
    """An app at `root` in a git checkout of its own; returns its .git directory."""
    git = root / ".git"
    (git / "refs" / "heads").mkdir(parents=True)
    (git / "HEAD").write_text(head)
    return git


def assert_no_secret(labels: dict[str, str]) -> None:
    for value in labels.values():
        assert HEX_SECRET not in value and "TOPSECRET" not in value


def test_a_plain_checkout_gets_its_revision(tmp_path):
    git = make_repo(tmp_path / "app")
    (git / "refs" / "heads" / "main").write_text(COMMIT + "\n")
    assert source_labels(tmp_path / "app") == {REVISION: COMMIT}


def test_a_packed_ref_gets_its_revision(tmp_path):
    git = make_repo(tmp_path / "app")
    (git / "packed-refs").write_text(f"# pack-refs with: peeled fully-peeled sorted\n{COMMIT} refs/heads/main\n")
    assert source_labels(tmp_path / "app") == {REVISION: COMMIT}


def test_head_naming_a_host_file_by_dot_dot_gives_no_revision(tmp_path, host):
    relative = os.path.relpath(host / "shadow", tmp_path / "app" / ".git")
    make_repo(tmp_path / "app", head=f"ref: {relative}\n")
    assert source_labels(tmp_path / "app") == {}


def test_a_ref_name_climbing_out_of_refs_gives_no_revision(tmp_path, host):
    # refs/../../<host>/refs/heads/main holds a hex "object name": only the name check stops it.
    relative = os.path.relpath(host / "refs" / "heads" / "main", tmp_path / "app" / ".git" / "refs")
    make_repo(tmp_path / "app", head=f"ref: refs/{relative}\n")
    assert gitinfo.revision(tmp_path / "app") is None


@pytest.mark.parametrize("ref", [
    "refs/heads/.hidden", "refs/heads/main.lock", "refs/heads/a..b", "refs/heads/a b",
    "refs/heads/a~1", "refs/heads/a^", "refs/heads/a:b", "refs/heads/a?", "refs/heads/a*",
    "refs/heads/a[", "refs/heads/a\\b", "refs/heads/a@{1}", "refs/heads/a.", "refs/heads//a",
    "refs/heads/a/", "refs/heads/a\x01", "heads/main", "HEAD",
])
def test_ref_names_git_refuses_are_refused(ref):
    assert not gitinfo.valid_ref_name(ref)


@pytest.mark.parametrize("ref", ["refs/heads/main", "refs/heads/feature/x-1.2", "refs/tags/v1.0"])
def test_ref_names_git_accepts_are_accepted(ref):
    assert gitinfo.valid_ref_name(ref)


def test_a_hidden_ref_component_is_not_read(tmp_path):
    git = make_repo(tmp_path / "app", head="ref: refs/heads/.hidden\n")
    (git / "refs" / "heads" / ".hidden").write_text(COMMIT + "\n")
    assert gitinfo.revision(tmp_path / "app") is None


def test_a_branch_linked_to_a_host_file_gives_no_revision(tmp_path, host):
    git = make_repo(tmp_path / "app")
    (git / "refs" / "heads" / "main").symlink_to(host / "hex-secret")
    assert source_labels(tmp_path / "app") == {}


def test_a_refs_dir_linked_out_of_the_git_dir_gives_no_revision(tmp_path, host):
    git = tmp_path / "app" / ".git"
    git.mkdir(parents=True)
    (git / "HEAD").write_text("ref: refs/heads/main\n")
    (git / "refs").symlink_to(host / "refs")
    assert source_labels(tmp_path / "app") == {}


def test_a_head_linked_to_a_host_file_gives_no_revision(tmp_path, host):
    git = tmp_path / "app" / ".git"
    git.mkdir(parents=True)
    (git / "HEAD").symlink_to(host / "hex-secret")
    assert source_labels(tmp_path / "app") == {}


def test_a_dot_git_linked_to_a_host_dir_gives_no_revision(tmp_path, host):
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / ".git").symlink_to(host, target_is_directory=True)
    assert source_labels(tmp_path / "app") == {}


@pytest.mark.parametrize("content", [TEXT_SECRET, "ref: refs/heads/main", HEX_SECRET + "x", HEX_SECRET[:39]])
def test_a_ref_file_that_is_not_an_object_name_gives_no_revision(tmp_path, content):
    git = make_repo(tmp_path / "app")
    (git / "refs" / "heads" / "main").write_text(content + "\n")
    labels = source_labels(tmp_path / "app")
    assert labels == {}
    assert_no_secret(labels)


def test_a_packed_ref_that_is_not_an_object_name_gives_no_revision(tmp_path):
    git = make_repo(tmp_path / "app")
    (git / "packed-refs").write_text("TOPSECRET refs/heads/main\n")
    assert source_labels(tmp_path / "app") == {}


def test_a_detached_head_that_is_not_an_object_name_gives_no_revision(tmp_path):
    make_repo(tmp_path / "app", head=TEXT_SECRET + "\n")
    assert source_labels(tmp_path / "app") == {}


def make_worktree(tmp_path: Path) -> tuple[Path, Path]:
    """A main checkout and a linked worktree of it, laid out as `git worktree add` does."""
    main_git = make_repo(tmp_path / "main")
    (main_git / "refs" / "heads" / "feature").write_text(COMMIT + "\n")
    (main_git / "config").write_text('[remote "origin"]\n\turl = https://example.com/app.git\n')
    linked = main_git / "worktrees" / "wt"
    linked.mkdir(parents=True)
    (linked / "HEAD").write_text("ref: refs/heads/feature\n")
    (linked / "commondir").write_text("../..\n")
    worktree = tmp_path / "wt"
    worktree.mkdir()
    (worktree / ".git").write_text(f"gitdir: {linked}\n")
    (linked / "gitdir").write_text(f"{worktree / '.git'}\n")
    return worktree, linked


def test_a_linked_worktree_gets_its_revision_and_source(tmp_path):
    worktree, _ = make_worktree(tmp_path)
    assert source_labels(worktree) == {SOURCE: "https://example.com/app.git", REVISION: COMMIT}


def test_a_worktree_whose_common_dir_holds_text_gives_no_revision(tmp_path, host):
    worktree, linked = make_worktree(tmp_path)
    (host / "refs" / "heads" / "feature").write_text(TEXT_SECRET + "\n")
    (linked / "commondir").write_text(f"{host}\n")
    assert_no_secret(source_labels(worktree))
    assert gitinfo.revision(worktree) is None


def test_a_gitdir_file_naming_a_host_dir_that_is_no_worktree_gives_no_revision(tmp_path, host):
    # The host dir looks like a linked worktree's git dir, but does not name this checkout.
    (host / "commondir").write_text(".\n")
    (host / "gitdir").write_text("/somewhere/else/.git\n")
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / ".git").write_text(f"gitdir: {host}\n")
    assert source_labels(tmp_path / "app") == {}


def origin(tmp_path: Path, url_line: str) -> Path:
    git = make_repo(tmp_path / "app")
    (git / "config").write_text(f'[core]\n\tbare = false\n[remote "origin"]\n{url_line}\n\tfetch = +refs/heads/*:refs/remotes/origin/*\n')
    return tmp_path / "app"


@pytest.mark.parametrize("url, label", [
    ("https://gitlab.com/team/app.git?private_token=TOPSECRET", "https://gitlab.com/team/app.git"),
    ("https://gitlab.com/team/app.git#TOPSECRET", "https://gitlab.com/team/app.git"),
    ("https://oauth2:TOPSECRET@gitlab.com/team/app.git", "https://gitlab.com/team/app.git"),
    ("https://TOPSECRET@github.com/team/app", "https://github.com/team/app"),
    ("https://user:TOP@SECRET@github.com/team/app", "https://github.com/team/app"),
    ("ssh://git:TOPSECRET@example.com:2222/app.git", "ssh://example.com:2222/app.git"),
    ("user:TOPSECRET@example.com:team/app.git", "example.com:team/app.git"),
    ("git@github.com:team/app.git?TOPSECRET", "github.com:team/app.git"),
    ("https://github.com/team/app.git", "https://github.com/team/app.git"),
])
def test_the_source_label_loses_credentials_query_and_fragment(tmp_path, url, label):
    labels = source_labels(origin(tmp_path, f"\turl = {url}"))
    assert labels == {SOURCE: label}
    assert_no_secret(labels)


@pytest.mark.parametrize("url_line", [
    "\turl = https://example.com/app.git\x1b[2J",
    "\turl = https://example.com/app.git\x7f",
    # an indented continuation line makes the value span two lines
    "\turl = https://example.com/app.git\n\t\torg.opencontainers.image.revision=TOPSECRET",
])
def test_a_source_url_with_control_characters_gives_no_label(tmp_path, url_line):
    assert source_labels(origin(tmp_path, url_line)) == {}


def test_a_config_linked_to_a_host_file_gives_no_source(tmp_path, host):
    (host / "config").write_text('[remote "origin"]\n\turl = https://TOPSECRET.example.com/\n')
    git = make_repo(tmp_path / "app")
    (git / "config").symlink_to(host / "config")
    assert source_labels(tmp_path / "app") == {}
