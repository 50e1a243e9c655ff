"""Reading images from files: an OCI image layout (`oci:DIR[:REF]`) or a tarball
(`tar:FILE`: an OCI layout archive, or a `docker save` archive). Used for run images and
by `pack-it inspect`. Nothing is extracted: blobs are read by name and their digests checked.
"""

from __future__ import annotations

import hashlib
import json
import tarfile
import zlib
from contextlib import contextmanager
from pathlib import Path, PurePosixPath
from typing import BinaryIO, Iterator

from pack_it.errors import INVALID_IMAGE, export_error
from pack_it.lifecycle import oci
from pack_it.lifecycle.oci import Descriptor, Image, canonical_json

CHUNK = 1 << 20
MAX_JSON = 4 << 20  # index.json, manifests, configs: a few kB; a 2 GiB one is never read whole
MAX_DEPTH = 4  # nested image indexes (an index pointing at itself must not hang)
HEX = frozenset("0123456789abcdef")


def _invalid(where: str, what: str) -> Exception:
    return export_error(f"{where}: {what}", "Give an OCI image layout (oci:DIR) or an image "
                        "tarball written by pack-it, docker save or podman save (tar:FILE).",
                        exit_code=INVALID_IMAGE)


def _is_digest(value: object) -> bool:
    if not isinstance(value, str):
        return False
    algorithm, _, hexdigest = value.partition(":")
    return algorithm == "sha256" and len(hexdigest) == 64 and set(hexdigest) <= HEX


class ImageSource:
    """An image inside a layout directory or a tarball."""

    def __init__(self, where: str, read) -> None:
        self.where = where
        self._read = read  # name inside the layout -> bytes stream, or None
        self._names: dict[str, str] = {}  # digest -> member name, for docker archives
        self.image: Image

    def _open(self, name: str) -> BinaryIO:
        try:
            stream = self._read(name)
        except (OSError, tarfile.TarError, EOFError) as e:
            raise _invalid(self.where, f"{name} cannot be read ({e}).")
        if stream is None:
            raise _invalid(self.where, f"{name} is missing.")
        return stream

    def read_small(self, name: str) -> bytes:
        """A JSON document's bytes, refused past MAX_JSON (never read whole)."""
        with self._open(name) as f:
            try:
                data = f.read(MAX_JSON + 1)
            except (OSError, tarfile.TarError, EOFError, zlib.error) as e:
                raise _invalid(self.where, f"{name} cannot be read ({e}).")
        if len(data) > MAX_JSON:
            raise _invalid(self.where, f"{name} is larger than {MAX_JSON >> 20} MiB, too large for image metadata.")
        return data

    def parse_json(self, name: str, data: bytes, kind: type = dict):
        try:
            value = json.loads(data)
        except (ValueError, RecursionError):
            raise _invalid(self.where, f"{name} is not valid JSON.")
        if not isinstance(value, kind):
            raise _invalid(self.where, f"{name} is not a JSON {'object' if kind is dict else 'array'}.")
        return value

    def read_json(self, name: str, kind: type = dict):
        return self.parse_json(name, self.read_small(name), kind)

    def blob_name(self, digest: str) -> str:
        if not _is_digest(digest):
            raise _invalid(self.where, f"{digest!r} is not a sha256 digest.")
        return f"blobs/sha256/{digest.removeprefix('sha256:')}"

    def open_blob(self, digest: str) -> BinaryIO:
        return self._open(self._names.get(digest) or self.blob_name(digest))

    def _descriptor(self, value: object, what: str) -> dict:
        if not (isinstance(value, dict) and isinstance(value.get("mediaType", ""), str)
                and _is_digest(value.get("digest")) and type(value.get("size")) is int and value["size"] >= 0):
            raise _invalid(self.where, f"{what} is not a descriptor (mediaType, sha256 digest, size).")
        return value

    def copy_blob(self, digest: str, out: BinaryIO | None = None, size: int | None = None) -> None:
        """Copies a blob (or only reads it, with out=None), checking that its content matches
        its digest and size."""
        sha, length = hashlib.sha256(), 0
        with self.open_blob(digest) as f:
            try:
                while chunk := f.read(CHUNK):
                    sha.update(chunk)
                    length += len(chunk)
                    if out is not None:
                        out.write(chunk)
            except (tarfile.TarError, EOFError, zlib.error) as e:
                raise _invalid(self.where, f"blob {digest} cannot be read ({e}).")
        if "sha256:" + sha.hexdigest() != digest or (size is not None and length != size):
            raise _invalid(self.where, f"blob {digest} does not match its digest.")

    verify_blob = copy_blob

    def _read_verified(self, descriptor: dict, what: str) -> bytes:
        data = self.read_small(self.blob_name(descriptor["digest"]))
        if oci.sha256_digest(data) != descriptor["digest"] or len(data) != descriptor["size"]:
            raise _invalid(self.where, f"the {what} does not match its digest.")
        return data

    def load_oci(self, ref: str | None) -> None:
        index = self.read_json("index.json")
        manifests = index.get("manifests", [])
        if not isinstance(manifests, list):
            raise _invalid(self.where, "index.json: manifests is not a list.")
        manifests = [self._descriptor(m, "an entry of index.json's manifests") for m in manifests]
        ref_of = lambda m: (m.get("annotations") if isinstance(m.get("annotations"), dict) else {}).get(oci.REF_NAME)  # noqa: E731
        if ref is not None:
            manifests = [m for m in manifests if ref_of(m) in (ref, ref.rsplit(":", 1)[-1])]
        if not manifests:
            raise _invalid(self.where, "index.json lists no image" + (f" named {ref!r}." if ref else "."))
        if len(manifests) > 1:
            names = [str(ref_of(m) or m["digest"]) for m in manifests]
            raise _invalid(self.where, f"it holds several images ({', '.join(names)}); name one as oci:DIR:REF.")
        descriptor = manifests[0]
        depth = 0
        while descriptor.get("mediaType") in (oci.INDEX, oci.DOCKER_MANIFEST_LIST):
            depth += 1
            if depth > MAX_DEPTH:
                raise _invalid(self.where, f"its image indexes nest more than {MAX_DEPTH} deep (or form a loop).")
            nested = self.parse_json(f"index {descriptor['digest']}", self._read_verified(descriptor, "image index"))
            entries = nested.get("manifests", [])
            if not isinstance(entries, list):
                raise _invalid(self.where, f"index {descriptor['digest']}: manifests is not a list.")
            descriptor = next((self._descriptor(m, f"an entry of index {descriptor['digest']}") for m in entries
                               if isinstance(m, dict) and isinstance(m.get("platform"), dict)
                               and m["platform"].get("os") == "linux"
                               and m["platform"].get("architecture") == "amd64"), None)
            if descriptor is None:
                raise _invalid(self.where, "it has no linux/amd64 image.")
        manifest = self._read_verified(descriptor, "manifest")
        manifest_json = self.parse_json(f"manifest {descriptor['digest']}", manifest)
        config_descriptor = self._descriptor(manifest_json.get("config"), "the manifest's config")
        config = self._read_verified(config_descriptor, "config")
        self.image = self._checked_image(manifest, config)

    def _checked_image(self, manifest: bytes, config: bytes) -> Image:
        """The image, once its manifest and config have the shapes pack-it reads, with one
        diff_id per layer."""
        manifest_json = self.parse_json("the manifest", manifest)
        layers = manifest_json.get("layers")
        if not isinstance(layers, list):
            raise _invalid(self.where, "the manifest's layers is not a list.")
        for layer in layers:
            self._descriptor(layer, "a layer of the manifest")
        config_json = self.parse_json("the config", config)
        rootfs = config_json.get("rootfs")
        diff_ids = rootfs.get("diff_ids") if isinstance(rootfs, dict) else None
        if not isinstance(diff_ids, list) or not all(_is_digest(d) for d in diff_ids):
            raise _invalid(self.where, "the config's rootfs.diff_ids is not a list of sha256 digests.")
        if len(diff_ids) != len(layers):
            raise _invalid(self.where, f"the config lists {len(diff_ids)} diff_ids for {len(layers)} layers.")
        for key, kind in (("config", dict), ("history", list), ("architecture", str), ("os", str)):
            if key in config_json and config_json[key] is not None and not isinstance(config_json[key], kind):
                raise _invalid(self.where, f"the config's {key} is not a JSON {kind.__name__}.")
        inner = config_json.get("config") or {}
        for key, kind in (("Env", list), ("Entrypoint", list), ("Cmd", list), ("Labels", dict),
                          ("ExposedPorts", dict), ("User", str), ("WorkingDir", str)):
            if inner.get(key) is not None and not isinstance(inner[key], kind):
                raise _invalid(self.where, f"the config's config.{key} is not a JSON {kind.__name__}.")
        if not all(isinstance(e, str) for e in inner.get("Env") or []):
            raise _invalid(self.where, "the config's config.Env is not a list of strings.")
        if not all(isinstance(v, str) for v in (inner.get("Labels") or {}).values()):
            raise _invalid(self.where, "the config's config.Labels values are not all strings.")
        return Image(manifest, config)

    def load_docker_archive(self) -> None:
        entries = self.read_json("manifest.json", list)
        if len(entries) != 1:
            raise _invalid(self.where, "manifest.json must describe exactly one image.")
        entry = entries[0]
        if not (isinstance(entry, dict) and isinstance(entry.get("Config"), str)
                and isinstance(entry.get("Layers"), list) and all(isinstance(n, str) for n in entry["Layers"])):
            raise _invalid(self.where, "manifest.json's entry needs a Config name and a list of Layers names.")
        config = self.read_small(entry["Config"])
        config_digest = oci.sha256_digest(config)
        named = PurePosixPath(entry["Config"]).name.removesuffix(".json")
        if len(named) == 64 and set(named) <= HEX and config_digest != f"sha256:{named}":
            raise _invalid(self.where, f"{entry['Config']} does not match its digest.")
        layers = []
        names = {config_digest: entry["Config"]}
        for name in entry["Layers"]:
            sha, size = hashlib.sha256(), 0
            with self._open(name) as f:
                try:
                    head = f.read(2)
                    sha.update(head)
                    size += len(head)
                    while chunk := f.read(CHUNK):
                        sha.update(chunk)
                        size += len(chunk)
                except (OSError, tarfile.TarError, EOFError, zlib.error) as e:
                    raise _invalid(self.where, f"{name} cannot be read ({e}).")
            digest = "sha256:" + sha.hexdigest()
            # Named by content (blobs/sha256/<hex>), a layer must match its name; docker's
            # older <id>/layer.tar names are not content addresses.
            if name.startswith("blobs/sha256/") and digest != "sha256:" + name.removeprefix("blobs/sha256/"):
                raise _invalid(self.where, f"{name} does not match its digest.")
            names[digest] = name
            media_type = oci.LAYER_GZIP if head == b"\x1f\x8b" else oci.LAYER_TAR
            layers.append(Descriptor(media_type, digest, size))
        self._names = names
        manifest = {
            "schemaVersion": 2, "mediaType": oci.MANIFEST,
            "config": Descriptor(oci.CONFIG, config_digest, len(config)).to_json(),
            "layers": [d.to_json() for d in layers],
        }
        self.image = self._checked_image(canonical_json(manifest), config)
        for descriptor, diff_id in zip(layers, self.image.diff_ids):
            if descriptor.media_type == oci.LAYER_TAR and descriptor.digest != diff_id:
                raise _invalid(self.where, f"{names[descriptor.digest]} does not match the config's diff_id {diff_id}.")


def _split_ref(spec: str) -> tuple[str, str | None]:
    """`oci:DIR[:REF]` -> (DIR, REF)."""
    path = spec[4:]
    head, sep, tail = path.rpartition(":")
    if sep and "/" not in tail and Path(head).is_dir():
        return head, tail
    return path, None


def _inside(root: Path, path: Path) -> bool:
    """Whether `path` (links resolved) stays inside the layout directory."""
    return path.resolve().is_relative_to(root.resolve())


@contextmanager
def open_image(spec: str) -> Iterator[ImageSource]:
    if spec.startswith("oci:"):
        directory, ref = _split_ref(spec)
        root = Path(directory)
        if not (root / "index.json").is_file():
            raise _invalid(directory, "not an OCI image layout (no index.json).")

        def read(name: str):
            path = root / name
            return path.open("rb") if path.is_file() and _inside(root, path) else None

        source = ImageSource(directory, read)
        source.load_oci(ref)
        yield source
    elif spec.startswith("tar:"):
        path = spec[4:]
        try:
            archive = tarfile.open(path, mode="r:*")
        except FileNotFoundError:
            raise _invalid(path, "no such file.")
        except (tarfile.TarError, OSError) as e:
            raise _invalid(path, f"not a readable tar archive ({str(e).splitlines()[0].rstrip(':')}).")
        with archive:
            members = {}
            try:
                for member in archive.getmembers():
                    if member.isfile():
                        members[str(PurePosixPath(member.name.removeprefix("./")))] = member
            except (tarfile.TarError, OSError, EOFError, zlib.error) as e:
                raise _invalid(path, f"the archive is truncated or damaged ({e}).")

            def read(name: str):
                member = members.get(str(PurePosixPath(name)))
                return archive.extractfile(member) if member is not None else None

            source = ImageSource(path, read)
            if "index.json" in members:
                source.load_oci(None)
            elif "manifest.json" in members:
                source.load_docker_archive()
            else:
                raise _invalid(path, "neither index.json nor manifest.json is in it.")
            yield source
    else:
        raise _invalid(spec, "an image file is written oci:DIR or tar:FILE.")
