"""The lifecycle: detect, build and export phases, the cache, the OCI image model and the publishers."""
