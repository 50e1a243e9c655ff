"""pack-it: turn a source tree into a small, reproducible OCI image with no configuration."""

__version__ = "0.1.0"
