"""The one error type the CLI catches: every expected failure carries a phase, an exit code,
a message naming the file at fault, and a hint saying what to do.

Exit codes follow the CNB lifecycle's ranges (platform/exit.go): 2x detect, 5x build,
6x export. Anything that is not a PackItError is a bug and keeps its traceback.
"""

from __future__ import annotations

USAGE = 1

NOTHING_DETECTED = 20
INVALID_INPUT = 21  # a file in the source tree cannot be parsed
UNSUPPORTED = 22  # the app asks for something pack-it cannot build (yet)
AMBIGUOUS = 23  # several candidates and nothing says which one to use

BUILD_FAILED = 51  # a toolchain ran and failed
MISSING_TOOLCHAIN = 52  # a toolchain the pack needs is not installed
NO_SANDBOX = 53  # build steps cannot be sandboxed here (no bubblewrap, no user namespaces)

EXPORT_FAILED = 61  # the image could not be written
INVALID_IMAGE = 62  # an image given as input (run image, inspect) cannot be read

EXIT_CODES = {
    0: "success",
    USAGE: "usage error (unknown option, missing argument)",
    NOTHING_DETECTED: "no pack detected the app",
    INVALID_INPUT: "a file in the app cannot be parsed",
    UNSUPPORTED: "the app needs something pack-it cannot build yet",
    AMBIGUOUS: "several candidates, nothing says which one to use",
    BUILD_FAILED: "a build tool ran and failed",
    MISSING_TOOLCHAIN: "a build tool is not installed",
    NO_SANDBOX: "the build sandbox cannot run here",
    EXPORT_FAILED: "the image could not be written",
    INVALID_IMAGE: "an input image cannot be read",
}


class PackItError(Exception):
    """An expected failure: `message` says what went wrong and where, `hint` what to do."""

    def __init__(self, message: str, *, exit_code: int, phase: str, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.exit_code = exit_code
        self.phase = phase
        self.hint = hint


def detect_error(message: str, hint: str = "", exit_code: int = INVALID_INPUT) -> PackItError:
    return PackItError(message, exit_code=exit_code, phase="detect", hint=hint)


def build_error(message: str, hint: str = "", exit_code: int = BUILD_FAILED) -> PackItError:
    return PackItError(message, exit_code=exit_code, phase="build", hint=hint)


def export_error(message: str, hint: str = "", exit_code: int = EXPORT_FAILED) -> PackItError:
    return PackItError(message, exit_code=exit_code, phase="export", hint=hint)
