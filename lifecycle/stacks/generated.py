"""Files every minimal image needs that no Debian package provides as-is: the users and
groups (root, nobody 65534, nonroot 65532), nsswitch.conf, and the writable directories."""

from __future__ import annotations

from pack_it.lifecycle.archive import Entry, dir_entry, file_entry

NONROOT_UID = 65532

PASSWD = """\
root:x:0:0:root:/root:/sbin/nologin
nobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin
nonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin
"""
GROUP = """\
root:x:0:
nobody:x:65534:
nonroot:x:65532:
"""
NSSWITCH = """\
passwd:         files
group:          files
shadow:         files
hosts:          files dns
networks:       files
protocols:      files
services:       files
ethers:         files
rpc:            files
"""
OS_RELEASE = """\
PRETTY_NAME="pack-it base"
NAME="pack-it base"
ID=pack-it-base
VERSION_ID="1"
"""


def base_entries(os_release: bool) -> list[Entry]:
    """The generated files; `os_release` for images with no base-files package to name them."""
    entries = [
        file_entry("etc/passwd", PASSWD.encode()),
        file_entry("etc/group", GROUP.encode()),
        file_entry("etc/nsswitch.conf", NSSWITCH.encode()),
        dir_entry("tmp", mode=0o1777),
        dir_entry("root", mode=0o700),
        dir_entry("home/nonroot", mode=0o700, uid=NONROOT_UID, gid=NONROOT_UID),
        dir_entry("workspace"),
    ]
    if os_release:
        entries.append(file_entry("etc/os-release", OS_RELEASE.encode()))
    return entries
