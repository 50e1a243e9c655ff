"""A conda app (environment.yml): conda's channels are not reachable from pack-it's builds, so
what PyPI provides is installed from PyPI, and anything else is refused naming its line:

- the `pip:` section, as pip would read it (requirement lines only);
- each conda package with the same name on PyPI (most Python libraries: flask, numpy), with
  its conda version spec as PEP 440 (`flask=2.3` -> `flask==2.3.*`, `numpy>=1.26`); a few
  packages conda names differently (pytorch -> torch) under their PyPI name;
- `python=3.x` is a version request (version.py reads it); pip, setuptools, wheel and the
  interpreter's own C libraries (openssl, zlib, ...) come with every Python pack-it installs;
- native libraries conda builds its packages against (libblas, libgfortran5, openssl, ...) are
  left out, and the plan lists them: PyPI's wheels carry their own;
- a conda package that is a program PyPI has no package for (R, Node.js, CUDA, compilers,
  ffmpeg) would be missing from the image, which then could not start: refused, naming the line.

The file is read by a strict reader of the subset conda environment files use (keys, block
lists, one nested `pip:` list): anything else is an error naming the line, never a guess."""

from __future__ import annotations

import re
from dataclasses import dataclass

from packaging.requirements import InvalidRequirement, Requirement

from pack_it.detectors.source import SourceTree
from pack_it.errors import UNSUPPORTED, detect_error

FILES = ("environment.yml", "environment.yaml")
# Given by every Python pack-it installs (or not needed by a pip install).
PROVIDED = {"python", "pip", "setuptools", "wheel", "ca-certificates", "certifi-conda", "openssl", "libffi", "zlib",
            "xz", "bzip2", "sqlite", "readline", "ncurses", "tk", "tzdata", "libgcc-ng", "libgcc", "libstdcxx-ng",
            "libgomp", "_libgcc_mutex", "_openmp_mutex", "ld_impl_linux-64", "libuuid", "libzlib", "libnsl",
            "libsqlite", "libexpat", "expat", "liblzma", "libxcrypt", "libmpdec", "python_abi"}
# conda name -> PyPI name, where they differ
RENAMED = {"pytorch": "torch", "py-opencv": "opencv-python", "opencv": "opencv-python", "msgpack-python": "msgpack",
           "pytables": "tables", "matplotlib-base": "matplotlib", "pyqt": "PyQt5", "tensorflow-base": "tensorflow"}
# Native libraries conda builds its Python packages against (what `conda env export` lists
# beside them): PyPI's wheels carry their own copies (numpy's OpenBLAS, Pillow's libjpeg), so
# they are not installed, and the plan lists them.
NATIVE = re.compile(r"^(_.*|lib.*|blas|openblas|mkl|intel-openmp|tbb|icu|krb5|zstd|lz4-c|c-ares|yaml|jpeg|"
                    r"freetype|fontconfig|pcre2?|gettext|keyutils|giflib|lcms2|openjpeg|zeromq|gmp|mpfr|llvm-openmp|"
                    r"fribidi|harfbuzz|pixman|cairo|xorg-.*|tzcode|icu)$")
# Programs (and their runtimes) that a conda environment can hold and PyPI cannot: an image
# without the one the app runs could not start, so they are refused.
NOT_ON_PYPI = re.compile(r"^(r|r-.*|nodejs|node|yarn|cuda.*|cudatoolkit|cudnn|nccl|gcc.*|gxx.*|gfortran.*|"
                         r"compilers|make|git|curl|wget|ffmpeg|graphviz|postgresql|mysql|gdal|proj|geos|hdf5|"
                         r"netcdf4?-c|openjdk|java-.*|go|rust|perl|ruby|imagemagick|poppler|tesseract|nginx|redis)$")
# Python libraries named like native ones (lib*): installed from PyPI like any other
PYPI_LIB = {"librosa", "libcst", "libsass", "libtmux", "libclang", "libarchive-c", "libretranslate"}
_CONDA_SPEC = re.compile(r"^(?:(?P<channel>[A-Za-z0-9_.-]+)::)?(?P<name>[A-Za-z0-9_.-]+)\s*(?P<spec>[=<>!~ ].*)?$")


@dataclass(frozen=True)
class Entry:
    text: str
    line: int


@dataclass(frozen=True)
class Environment:
    file: str
    python: Entry | None  # the `python=3.x` dependency, if any
    requirements: tuple[str, ...]  # PEP 508 lines for PyPI
    notes: tuple[str, ...]  # what was renamed or left to the interpreter, for the plan


def _error(file: str, line: int, what: str, hint: str, exit_code: int | None = None):
    kwargs = {"exit_code": exit_code} if exit_code is not None else {}
    return detect_error(f"{file}:{line}: {what}", hint, **kwargs)


def _scalar(text: str) -> str:
    text = text.split(" #", 1)[0].strip()
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":
        return text[1:-1]
    return text


def read(tree: SourceTree, file: str) -> tuple[list[Entry], list[Entry]]:
    """(the conda dependencies, the pip: section) of an environment file, each with its line."""
    conda: list[Entry] = []
    pip: list[Entry] = []
    section = None  # the top-level key whose list we are in
    in_pip = None  # the indentation of the `- pip:` item, while its list is read
    for number, raw in enumerate(tree.read_text(file).splitlines(), 1):
        if not raw.strip() or raw.lstrip().startswith("#") or raw.strip() in ("---", "..."):
            continue
        if "\t" in raw[: len(raw) - len(raw.lstrip())]:
            raise _error(file, number, "is indented with a tab, which YAML does not allow.", "Indent with spaces.")
        indent = len(raw) - len(raw.lstrip())
        line = raw.strip()
        if indent == 0 and not (line.startswith("- ") and section is not None):  # `- x` at 0: YAML allows it
            key, colon, value = line.partition(":")
            if not colon or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_-]*", key):
                raise _error(file, number, f"{line!r:.60} is not a `key:` line of a conda environment file.",
                             "Write it as conda env export does (name:, channels:, dependencies:).")
            section, in_pip = key, None
            if key == "dependencies" and _scalar(value) not in ("", "[]"):
                raise _error(file, number, "dependencies must be a list of `- package` lines.",
                             "Write one `- package=version` per line under dependencies:.")
            continue
        if section != "dependencies":
            continue  # name:, channels:, variables:, prefix: say nothing about what to install
        if not line.startswith("- ") and line != "-":
            raise _error(file, number, f"{line!r:.60} is not a `- package` list item.",
                         "Write one `- package=version` per line under dependencies:.")
        item = _scalar(line[1:])
        if in_pip is not None and indent > in_pip:
            pip.append(Entry(item, number))
            continue
        in_pip = None
        if item.rstrip().endswith(":") or item.startswith("{") or item.startswith("["):
            if item.rstrip(": ") != "pip":
                raise _error(file, number, f"{item!r:.60} is not a conda package or a `pip:` section.",
                             "Only `- pip:` may hold a nested list in dependencies:.")
            in_pip = indent
            continue
        conda.append(Entry(item, number))
    return conda, pip


def _pep440(name: str, spec: str, file: str, line: int) -> str:
    """A conda match spec's version part as PEP 440: conda's `=2.3` (and `name 2.3`) is any
    2.3.x (`==2.3.*`), `==2.3.1` exact; `>=1,<2` the same in both; a build string (`=1.2=py311_0`)
    is conda's and dropped."""
    spec = spec.strip()
    if spec and spec[0] not in "=<>!~":  # `name 1.2.* build`: a space-separated match spec
        spec = "=" + spec.split()[0]
    if spec.startswith("=") and not spec.startswith("=="):
        version = spec[1:].split("=", 1)[0]
        spec = "==" + (version if version.endswith("*") else version + ".*")
    elif spec.startswith("=="):
        spec = "==" + spec[2:].split("=", 1)[0]
    try:
        return str(Requirement(f"{name}{spec.replace(' ', '')}"))
    except InvalidRequirement:
        raise _error(file, line, f"the version {spec!r:.40} of {name} cannot be read as a version range.",
                     f"Write it as `{name}=1.2` or `{name}>=1.2`.")


def environment(tree: SourceTree, file: str) -> Environment:
    conda, pip = read(tree, file)
    python = None
    requirements: list[str] = []
    notes: list[str] = []
    native: list[str] = []
    for entry in conda:
        match = _CONDA_SPEC.match(entry.text)
        if not match:
            raise _error(file, entry.line, f"{entry.text!r:.60} is not a conda package spec.",
                         "Write it as `name`, `name=1.2` or `name>=1.2`.")
        name, spec = match["name"].lower(), match["spec"] or ""
        if name == "python":  # `python=3.11` -> "==3.11.*", a version request
            python = Entry(str(_pep440("python", spec, file, entry.line).removeprefix("python")), entry.line) \
                if spec.strip() else None
            continue
        if name in PROVIDED:
            continue
        if NATIVE.match(name) and name not in PYPI_LIB:
            native.append(name)
            continue
        if NOT_ON_PYPI.match(name):
            raise _error(file, entry.line, f"asks for the conda package {name}, which is not a Python library and "
                         "has no PyPI package; pack-it cannot reach conda's channels.",
                         "Remove it if the app does not need it at run time, or build this app with conda itself.",
                         exit_code=UNSUPPORTED)
        pypi = RENAMED.get(name, name)
        if pypi != name:
            notes.append(f"{file}:{entry.line}: conda's {name} is {pypi} on PyPI, and installed as that")
        requirements.append(_pep440(pypi, spec, file, entry.line))
    if native:
        notes.append(f"{file}: {', '.join(native[:6])}{' ...' if len(native) > 6 else ''} "
                     f"{'is a native library' if len(native) == 1 else 'are native libraries'} conda builds "
                     "against; PyPI's wheels carry their own, so they are not installed")
    for entry in pip:
        try:
            requirements.append(str(Requirement(entry.text)))
        except InvalidRequirement:
            raise _error(file, entry.line, f"the pip: line {entry.text!r:.60} is not a package requirement.",
                         "List packages only (`flask>=3`); an option (-r, -e, --index-url) is not read from here: "
                         "move them to a requirements.txt.")
    return Environment(file, python, tuple(requirements), tuple(notes))


def find(tree: SourceTree) -> str | None:
    return next((f for f in FILES if tree.has_file(f)), None)
