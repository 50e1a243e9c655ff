"""The build sandbox: every tool a pack runs (`BuildContext.run`) runs under bubblewrap.

What a build step sees (mode `bwrap`, the default):

    /                the build root of the plan's Debian release (stacks/buildroot.py), read-only;
                     with `--toolchain host`, the host's / read-only instead, its homes hidden
    /workspace       the step's working directory (a copy of the source, or the pack's scratch
                     copy of it), writable only when it is build scratch
    the build's scratch directory and the pack's own cache directory (<cache>/packs/<pack>),
                     writable, at their host paths (so paths in argv, env and outputs are the
                     ones the pack chose, and no tool output depends on the sandbox)
    the tool directories the pack names (a fetched Go, Node.js, npm, uv), read-only, at their
                     host paths, over the writable ones
    /tmp             private and empty; HOME is /tmp/home; no host home, no /run (engine sockets)
    environment      only the documented build variables (PATH, HOME, LANG, TMPDIR), the env of
                     earlier packs' build layers, the user's --env values and the pack's own
    processes        a pid namespace that dies with the step (and with pack-it): nothing a step
                     starts outlives it
    network          shared by default (package installs); `--network none` unshares it

Mode `none` runs tools on the host as the invoking user with the host's environment: the right
choice inside a CI container (a Tekton task, a Kubernetes pod), which is itself the sandbox,
and where user namespaces are usually not allowed.

The lifecycle knows no language: packs say which directories their tools live in; this module
only binds them.
"""

from __future__ import annotations

import functools
import os
import re
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping, Sequence

from pack_it.errors import NO_SANDBOX, USAGE, PackItError

MODES = ("bwrap", "none")
TOOLCHAINS = ("pack-it", "host")
NETWORKS = ("default", "none")
WORKSPACE = "/workspace"
HOME = "/tmp/home"
PATH = "/usr/local/bin:/usr/bin:/bin:/usr/local/sbin:/usr/sbin:/sbin"
# The build root's own directories that may be replaced by an empty tmpfs when a host path to
# bind lies under them (the cache in /root/.cache, a test's /home/user): they hold nothing a
# build step needs.
EMPTY_IN_ROOT = frozenset({"root", "home", "mnt", "srv", "media", "opt", "run", "workspace"})
SKIPPED_IN_ROOT = frozenset({"proc", "dev", "tmp", ".pack-it-buildroot"})
# Host directories hidden under --toolchain host: homes, and /run (the engine's socket is
# root on the host).
HIDDEN_ON_HOST = frozenset({"root", "home", "run", "mnt", "media"})
# The network configuration a step inherits from the host when the network is on: proxies and
# the CA bundle a TLS-intercepting proxy's CA is in (network settings, not credentials; the
# bundle is public trust data, bound read-only over the build root's).
NETWORK_VARIABLES = ("http_proxy", "https_proxy", "no_proxy", "HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY",
                     "SSL_CERT_FILE", "SSL_CERT_DIR", "NODE_EXTRA_CA_CERTS", "REQUESTS_CA_BUNDLE", "PIP_CERT",
                     "CURL_CA_BUNDLE", "GIT_SSL_CAINFO")
CA_BUNDLE = Path("/etc/ssl/certs/ca-certificates.crt")
USERNS_HINT = ("Allow unprivileged user namespaces (sysctl kernel.unprivileged_userns_clone=1 on older Debian "
               "kernels, user.max_user_namespaces above 0; in a container, a seccomp/AppArmor profile that allows "
               "unshare), or pass --sandbox none: inside a CI container (a Tekton task, a Kubernetes pod) the "
               "container is the sandbox, and --sandbox none is the right choice.")


def usage(flag: str, value: str, allowed: Sequence[str]) -> PackItError:
    return PackItError(f"{flag} {value!r} is not one of {', '.join(allowed)}.", exit_code=USAGE, phase="usage",
                       hint=f"Write {flag} {allowed[0]} (the default) or {flag} {' or '.join(allowed[1:])}.")


def check_options(mode: str, toolchain: str, network: str) -> None:
    for flag, value, allowed in (("--sandbox", mode, MODES), ("--toolchain", toolchain, TOOLCHAINS),
                                 ("--network", network, NETWORKS)):
        if value not in allowed:
            raise usage(flag, value, allowed)
    if network == "none" and mode == "none":
        raise PackItError("--network none needs the sandbox (it cuts the network of the sandboxed steps).",
                          exit_code=USAGE, phase="usage", hint="Drop --sandbox none, or drop --network none.")


@functools.lru_cache(maxsize=None)
def _probe(bwrap: str) -> str | None:
    """Why bubblewrap cannot make the namespaces a step runs in here, or None when it can."""
    proc = subprocess.run([bwrap, "--unshare-user-try", "--unshare-pid", "--unshare-ipc", "--unshare-uts",
                           "--ro-bind", "/", "/", "--proc", "/proc", "--dev", "/dev", "--die-with-parent", "true"],
                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, errors="replace")
    if proc.returncode == 0:
        return None
    return (proc.stderr.strip().splitlines() or [f"exit {proc.returncode}"])[-1].removeprefix("bwrap: ")


def find_bwrap() -> str:
    """The bwrap command, checked once per process: an error naming the reason (not installed;
    no user namespaces, naming the sysctl) with a documented exit code."""
    bwrap = shutil.which("bwrap")
    if bwrap is None:
        raise PackItError("Build steps run under bubblewrap, and `bwrap` is not installed.", exit_code=NO_SANDBOX,
                          phase="build", hint="Install it (apt-get install bubblewrap), or pass --sandbox none "
                          "(inside a CI container, which is itself the sandbox).")
    if (why := _probe(bwrap)) is not None:
        raise PackItError(f"bubblewrap cannot create the namespaces a build step runs in here ({why}).",
                          exit_code=NO_SANDBOX, phase="build", hint=USERNS_HINT)
    return bwrap


@dataclass(frozen=True)
class Step:
    """One tool run as a pack asked for it: host paths throughout."""

    argv: list[str]
    env: dict[str, str]  # every variable the tool gets (Sandbox.base_env() and the pack's)
    cwd: Path
    writable: tuple[Path, ...] = ()  # the build scratch, the pack's cache directory
    tools: tuple[Path, ...] = ()  # read-only, bound over the writable ones


@dataclass(frozen=True)
class Sandbox:
    """How build steps run: `mode` bwrap or none; `root` the build root (None: the host's /,
    for --toolchain host); `network` False for --network none. The default is today's
    behaviour for code that builds a context by hand: host tools, on the host."""

    mode: str = "none"
    root: Path | None = None
    network: bool = True
    scratch: tuple[Path, ...] = field(default_factory=tuple)  # where a step's cwd may be writable
    toolchain: str = "host"  # pack-it: packs run the toolchains pack-it provides; host: the host's

    @property
    def enabled(self) -> bool:
        return self.mode == "bwrap"

    def base_env(self) -> dict[str, str]:
        """The variables every step starts from, before the earlier packs', the user's --env and
        the pack's own: the host's environment without the sandbox; with it, only these
        (documented in the README), which bwrap sets on a cleared environment."""
        if not self.enabled:
            return dict(os.environ)
        path = os.environ.get("PATH", PATH) if self.root is None else PATH
        env = {"PATH": path, "HOME": HOME, "TMPDIR": "/tmp", "LANG": "C.UTF-8"}
        if self.network:
            env.update({k: os.environ[k] for k in NETWORK_VARIABLES if k in os.environ})
        return env

    def command(self, step: Step) -> tuple[list[str], dict[str, str], Path]:
        """(argv, env, cwd) that run `step`: itself without the sandbox, else under bwrap, which
        clears the environment it is given and sets only the step's variables."""
        if not self.enabled:
            return step.argv, step.env, step.cwd
        cwd = step.cwd.resolve()
        args = [find_bwrap(), "--die-with-parent", "--unshare-user-try", "--unshare-pid", "--unshare-ipc",
                "--unshare-uts", "--unshare-cgroup-try", "--hostname", "pack-it", "--new-session"]
        if not self.network:
            args.append("--unshare-net")
        targets = [cwd, *step.writable, *step.tools]
        args += self._root_args(targets)
        args += ["--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp", "--dir", HOME]
        if self.network and self.root is not None:
            resolv = Path("/etc/resolv.conf").resolve()
            if resolv.is_file():
                args += ["--ro-bind", str(resolv), "/etc/resolv.conf"]
            if CA_BUNDLE.is_file():
                args += ["--ro-bind", str(CA_BUNDLE.resolve()), str(CA_BUNDLE)]
        for path in step.writable:
            args += ["--bind", str(path), str(path)]
        writable_cwd = any(cwd == w or w in cwd.parents for w in (*step.writable, *self.scratch))
        args += ["--bind" if writable_cwd else "--ro-bind", str(cwd), WORKSPACE]
        for path in step.tools:
            if path.exists():
                args += ["--ro-bind", str(path), str(path)]
                if cwd in path.parents:  # reachable through /workspace too: read-only there as well
                    args += ["--ro-bind", str(path), f"{WORKSPACE}/{path.relative_to(cwd)}"]
        args += ["--remount-ro", "/"]
        # The step's own directory is /workspace: paths naming it are rewritten, nothing else.
        here = re.compile(re.escape(str(cwd)) + r"(?=/|:|$)")
        rewrite = lambda s: here.sub(WORKSPACE, s)  # noqa: E731
        args.append("--clearenv")
        for key, value in sorted(step.env.items()):
            args += ["--setenv", key, rewrite(value)]
        args += ["--chdir", WORKSPACE, "--"]
        return args + [rewrite(a) for a in step.argv], dict(os.environ), cwd

    def _root_args(self, targets: Sequence[Path]) -> list[str]:
        """The root: a tmpfs (read-only once set up) holding each top-level entry of the build
        root (or of the host's /, for --toolchain host) bound read-only, so the step's own
        directories can be mounted at their host paths. A top-level directory a host path lies
        under is replaced by an empty tmpfs when the root holds nothing there a step needs (the
        build root's /root, /home; the host's homes are always hidden, and /run, its engine
        sockets)."""
        root = self.root or Path("/")
        needed = {t.parts[1] for t in targets if len(t.parts) > 1}
        hidden = EMPTY_IN_ROOT if self.root is not None else HIDDEN_ON_HOST
        args = []
        for entry in sorted(os.scandir(root), key=lambda e: e.name):
            name = entry.name
            if name in SKIPPED_IN_ROOT or name == "sys":
                continue
            if entry.is_symlink():
                args += ["--symlink", os.readlink(entry.path), f"/{name}"]
            elif not entry.is_dir():
                continue
            elif name in hidden and (self.root is None or name in needed):
                args += ["--tmpfs", f"/{name}"]
            elif name in needed and self.root is not None:
                inside = [t for t in targets if len(t.parts) > 1 and t.parts[1] == name]
                raise PackItError(f"The build's directories ({', '.join(map(str, inside))}) are under /{name}, "
                                  "which the sandbox's build root provides.", exit_code=NO_SANDBOX, phase="build",
                                  hint="Put pack-it's cache elsewhere (--cache-dir), or pass --sandbox none.")
            else:
                args += ["--ro-bind", entry.path, f"/{name}"]
        if self.root is None:
            home = os.environ.get("HOME", "")
            if home and Path(home).is_dir() and Path(home).parts[1:2] != ("root",) and Path(home).parts[1:2] != ("home",):
                args += ["--tmpfs", home]  # a home elsewhere (/work/home-x) is hidden too
            if Path("/var/tmp").is_dir() and not Path("/var/tmp").is_symlink():
                args += ["--tmpfs", "/var/tmp"]
        return args


def env_for(sandbox: Sandbox, *layers: Mapping[str, str]) -> dict[str, str]:
    """The step's environment: the sandbox's base, then each mapping in turn (later wins)."""
    env = sandbox.base_env()
    for layer in layers:
        env.update(layer)
    return env
