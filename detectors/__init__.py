"""Detectors: read an app source tree and report facts, each with the file that decided it. Pure: they never write or run a tool."""
