"""Stacks: minimal run images assembled from Debian packages (distroless' approach, without
Bazel): definitions/ says what each stack holds, locks/ pins the exact packages, and
assemble.py turns a lock into cached, reproducible layers, one per stack level."""
