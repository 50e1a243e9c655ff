"""What a runtime never uses, removed from every Debian package the same way each time.

Removed: documentation (but each package's copyright file stays: the licences travel with
the code), man and info pages, lintian overrides, bug-report scripts, translations
(usr/share/locale; glibc's C.UTF-8 locale lives in usr/lib/locale and stays), tzdata's
leap-second `right/` zones, and the individual CA certificates once concatenated into the
bundle. Also glibc's gconv modules (8 MB of iconv converters for legacy character sets:
CJK, EBCDIC, ISO-8859-x): the converters built into libc (UTF-8/16/32, UCS-2/4, ASCII,
ISO-8859-1) still work, and neither Python's codecs nor Node's ICU use gconv. A program that
needs iconv with another charset needs a custom stack. And tini's static build (the
dynamic /usr/bin/tini is the one used). Bump VERSION when the rules change: it is part of every stack layer's cache key.
"""

from __future__ import annotations

import re

VERSION = "3"

_REMOVED = re.compile(
    r"^usr/bin/tini-static$|"
    r"^usr/lib/[^/]+-linux-gnu/gconv/(?!gconv-modules).+$|"
    r"^usr/share/(?:"
    r"doc/[^/]+/(?!copyright$).+"  # docs except the copyright file
    r"|doc-base(?:/.*)?|man(?:/.*)?|info(?:/.*)?|lintian(?:/.*)?|bug(?:/.*)?|locale(?:/.*)?"
    r"|zoneinfo/right(?:/.*)?|ca-certificates(?:/.*)?|gdb(?:/.*)?"
    r")$"
)


def removed(path: str) -> bool:
    return bool(_REMOVED.match(path))
