"""The run image's Java: a jlink image of exactly the modules the app needs, cut from Debian's
OpenJDK (jdk.py), at the path Debian installs it (/usr/lib/jvm/java-N-openjdk-amd64).

    modules   jdeps --print-module-deps over every dependency jar (kept in the cache by their
              digest), the app's own classes' references (classes.py, without a JVM), plus
              the modules frameworks and the JDK load by name at run time, which no class
              references (REFLECTIVE)
    runtime   jlink --strip-debug --no-man-pages --no-header-files --compress=2; the trust
              store from the static stack's CA bundle (cacerts.py); zlib's libz.so.1 beside
              the JDK's libraries (they find it through their $ORIGIN rpath: the cc stack has
              no zlib); JAVA_TOOL_OPTIONS=-XX:MaxRAMPercentage=75 (a container's memory limit
              is the heap's measure; setting JAVA_TOOL_OPTIONS replaces it)
    status    /var/lib/dpkg/status.d/<package> for the JRE and zlib1g, so scanners see the
              Debian packages (and versions) the runtime came from; no md5sums: a jlink image
              holds other files than the package lists

PACK_IT_JAVA_RUNTIME=full links every module instead (ALL-MODULE-PATH): the whole JRE.
"""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path
from typing import TYPE_CHECKING, Callable

from pack_it.lifecycle.layers import Layer
from pack_it.packs.java import cacerts
from pack_it.packs.java.jdk import Jdk, home

if TYPE_CHECKING:  # annotations only: importing the build machinery is left to the build
    from pack_it.lifecycle.context import BuildContext

# Loaded by name (ServiceLoader, Class.forName, JNDI), never referenced by a class, so jdeps
# cannot see them: elliptic-curve TLS (most HTTPS servers offer ECDHE), DNS through JNDI, and
# the management beans behind container-aware metrics.
REFLECTIVE = ("jdk.crypto.ec", "jdk.naming.dns", "jdk.management")
FRAMEWORK_MODULES = {
    # Spring looks JNDI up, instruments classes and reads Unsafe through reflection.
    "spring-boot": ("java.naming", "java.instrument", "jdk.unsupported", "java.desktop", "java.management"),
    "quarkus": ("java.naming", "jdk.unsupported", "java.management", "jdk.zipfs"),
    "micronaut": ("java.naming", "jdk.unsupported", "java.management"),
    "ktor": ("jdk.unsupported",),
}
ZLIB = "libz.so.1"  # the name the JDK's libraries ask for (NEEDED)
MAX_RAM = "-XX:MaxRAMPercentage=75"
JLINK_FLAGS = ("--strip-debug", "--no-man-pages", "--no-header-files", "--compress=2")
FORMAT = "2"  # bump when what runtime() puts into the layer changes


def jdeps(ctx: BuildContext, jdk: Jdk, targets: list[Path], class_path: list[Path], what: str) -> set[str]:
    """The JDK modules `targets` (jars, class directories) use, as jdeps prints them."""
    if not targets:
        return set()
    out = ctx.work / f"jdeps-{what}.txt"
    argv = [jdk.tool("jdeps"), "--ignore-missing-deps", "-q", "--multi-release", jdk.major,
            "--print-module-deps"]
    if class_path:
        argv += ["--class-path", ":".join(str(p) for p in class_path)]
    argv += [str(t) for t in targets]
    # ctx.run shows the output but does not return it: jdeps writes it to a file instead.
    ctx.run(["sh", "-c", '"$@" > "$OUT"', "jdeps", *argv], env={"OUT": str(out)}, cwd=ctx.work,
            what=f"jdeps ({what})")
    return {m for m in out.read_text().strip().split(",") if m}


def dependency_modules(ctx: BuildContext, jdk: Jdk, jars: Callable[[], list[Path]], digest: str) -> set[str]:
    """jdeps over the dependency jars (`jars()` writes them out), kept in the cache by their
    digest."""
    record = ctx.cache_dir("jdeps") / f"{FORMAT}-{jdk.key[:16]}-{hashlib.sha256(digest.encode()).hexdigest()}.txt"
    if record.is_file():
        return {m for m in record.read_text().split(",") if m}
    found = jars()
    modules = jdeps(ctx, jdk, found, found, "dependencies")
    tmp = record.with_suffix(".partial")
    tmp.write_text(",".join(sorted(modules)))
    tmp.replace(record)
    return modules


def modules_for(framework: str | None, found: set[str]) -> tuple[str, ...]:
    return tuple(sorted(found | {"java.base", *REFLECTIVE, *FRAMEWORK_MODULES.get(framework or "", ())}))


def layers(ctx: BuildContext, jdk: Jdk, modules: tuple[str, ...], full: bool) -> list[Layer]:
    """The runtime layer (the jlink image) and the dpkg status layer beside it."""
    java_home = "/" + home(jdk.major)
    wanted = ("ALL-MODULE-PATH",) if full else modules
    zlib = next(p for p in jdk.packages if p.name == "zlib1g")

    def link(directory: Path) -> Path:
        output = ctx.work / "jlink"
        shown = "every module (PACK_IT_JAVA_RUNTIME=full)" if full else f"{len(modules)} modules: {', '.join(modules)}"
        ctx.reporter.step(f"  jlink: OpenJDK {jdk.jre_package.version} from Debian, {shown}")
        ctx.run([jdk.tool("jlink"), "--module-path", str(jdk.java_home / "jmods"), "--add-modules", ",".join(wanted),
                 *JLINK_FLAGS, "--output", str(output)], env={}, cwd=ctx.work, what="jlink")
        trust = output / "lib/security/cacerts"
        trust.unlink(missing_ok=True)
        trust.write_bytes(cacerts.from_stack(jdk.release, ctx.cache, ctx.reporter, ctx.epoch))
        for libdir in ("lib/x86_64-linux-gnu", "usr/lib/x86_64-linux-gnu"):  # trixie has merged /usr
            if (jdk.root / libdir / ZLIB).exists():
                shutil.copyfile((jdk.root / libdir / ZLIB).resolve(), output / "lib" / ZLIB)
        # lib/*.so need libjvm.so, which the launcher has loaded from lib/server before them; the
        # link lets their $ORIGIN rpath find it too, so the image's native-library scan needs no
        # Debian index (trixie's Contents, 13 MB) to learn that no package ships it.
        (output / "lib" / "libjvm.so").symlink_to("server/libjvm.so")
        return output

    def status(directory: Path) -> None:
        source = jdk.root / "var/lib/dpkg/status.d"
        for name in (jdk.jre_package.name, zlib.name):
            shutil.copyfile(source / name, directory / name)

    env = {"JAVA_TOOL_OPTIONS": MAX_RAM, "JAVA_HOME": java_home}
    inputs = {"format": FORMAT, "jdk": jdk.key, "modules": list(wanted), "flags": list(JLINK_FLAGS), "env": env}
    return [
        ctx.layer("runtime", inputs, link, at=java_home, env=env,
                  unchanged="same OpenJDK, same modules"),
        ctx.layer("runtime-dpkg", {"format": FORMAT, "jdk": jdk.key}, status, at="/var/lib/dpkg/status.d",
                  unchanged="same OpenJDK"),
    ]
