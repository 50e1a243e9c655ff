"""Progress and warnings leave the lifecycle through a reporter, never through print:
the default one stays silent, so library callers and tests see no output."""

from __future__ import annotations


class Reporter:
    def phase(self, name: str) -> None:
        """A phase starts: detect, build, export."""

    def step(self, message: str) -> None:
        """One line of progress within a phase (a pack runs, a layer is reused)."""

    def warn(self, message: str) -> None:
        """Something the user should know that does not stop the build."""

    def detail(self, message: str) -> None:
        """Verbose-only output: commands run, tool output."""
