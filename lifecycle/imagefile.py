"""Reading images from files: an OCI image layout (`oci:DIR[:REF]`) or a tarball
(`tar:FILE`: an OCI layout archive, or a `docker save` archive). Used for run images and
by `pack-it inspect`. Nothing is extracted: blobs are read by name and their digests checked.
"""

from __future__ import annotations

import hashlib
import json
import tarfile
from contextlib import contextmanager
from pathlib import Path, PurePosixPath
from typing import BinaryIO, Iterator

from pack_it.errors import INVALID_IMAGE, export_error
from pack_it.lifecycle import oci
from pack_it.lifecycle.oci import Descriptor, Image, canonical_json

CHUNK = 1 << 20


def _invalid(where: str, what: str) -> Exception:
    return export_error(f"{where}: {what}", "Give an OCI image layout (oci:DIR) or an image "
                        "tarball written by pack-it, docker save or podman save (tar:FILE).",
                        exit_code=INVALID_IMAGE)


class ImageSource:
    """An image inside a layout directory or a tarball."""

    def __init__(self, where: str, read) -> None:
        self.where = where
        self._read = read  # name inside the layout -> bytes stream, or None
        self._names: dict[str, str] = {}  # digest -> member name, for docker archives
        self.image: Image

    def _open(self, name: str) -> BinaryIO:
        stream = self._read(name)
        if stream is None:
            raise _invalid(self.where, f"{name} is missing.")
        return stream

    def read_json(self, name: str) -> dict:
        with self._open(name) as f:
            try:
                return json.load(f)
            except ValueError:
                raise _invalid(self.where, f"{name} is not valid JSON.")

    def blob_name(self, digest: str) -> str:
        algorithm, _, hexdigest = digest.partition(":")
        if algorithm != "sha256" or len(hexdigest) != 64 or not all(c in "0123456789abcdef" for c in hexdigest):
            raise _invalid(self.where, f"{digest!r} is not a sha256 digest.")
        return f"blobs/sha256/{hexdigest}"

    def open_blob(self, digest: str) -> BinaryIO:
        return self._open(self._names.get(digest) or self.blob_name(digest))

    def copy_blob(self, digest: str, out: BinaryIO) -> None:
        """Copies a blob, checking that its content matches its digest."""
        sha = hashlib.sha256()
        with self.open_blob(digest) as f:
            while chunk := f.read(CHUNK):
                sha.update(chunk)
                out.write(chunk)
        if "sha256:" + sha.hexdigest() != digest:
            raise _invalid(self.where, f"blob {digest} does not match its digest.")

    def load_oci(self, ref: str | None) -> None:
        index = self.read_json("index.json")
        manifests = index.get("manifests") or []
        if ref is not None:
            manifests = [m for m in manifests if (m.get("annotations") or {}).get(oci.REF_NAME) in (ref, ref.rsplit(":", 1)[-1])]
        if not manifests:
            raise _invalid(self.where, "index.json lists no image" + (f" named {ref!r}." if ref else "."))
        if len(manifests) > 1:
            names = [(m.get("annotations") or {}).get(oci.REF_NAME, m["digest"]) for m in manifests]
            raise _invalid(self.where, f"it holds several images ({', '.join(names)}); name one as oci:DIR:REF.")
        descriptor = manifests[0]
        while descriptor.get("mediaType") in (oci.INDEX, oci.DOCKER_MANIFEST_LIST):
            nested = self.read_json(self.blob_name(descriptor["digest"]))
            descriptor = next((m for m in nested.get("manifests", [])
                               if m.get("platform", {}).get("os") == "linux"
                               and m.get("platform", {}).get("architecture") == "amd64"), None)
            if descriptor is None:
                raise _invalid(self.where, "it has no linux/amd64 image.")
        with self._open(self.blob_name(descriptor["digest"])) as f:
            manifest = f.read()
        if oci.sha256_digest(manifest) != descriptor["digest"]:
            raise _invalid(self.where, "the manifest does not match its digest.")
        config_digest = json.loads(manifest)["config"]["digest"]
        with self._open(self.blob_name(config_digest)) as f:
            config = f.read()
        self.image = Image(manifest, config)

    def load_docker_archive(self) -> None:
        entries = self.read_json("manifest.json")
        if not isinstance(entries, list) or len(entries) != 1:
            raise _invalid(self.where, "manifest.json must describe exactly one image.")
        entry = entries[0]
        with self._open(entry["Config"]) as f:
            config = f.read()
        layers = []
        names = {oci.sha256_digest(config): entry["Config"]}
        for name in entry["Layers"]:
            sha, size = hashlib.sha256(), 0
            with self._open(name) as f:
                head = f.read(2)
                sha.update(head)
                size += len(head)
                while chunk := f.read(CHUNK):
                    sha.update(chunk)
                    size += len(chunk)
            digest = "sha256:" + sha.hexdigest()
            names[digest] = name
            media_type = oci.LAYER_GZIP if head == b"\x1f\x8b" else oci.LAYER_TAR
            layers.append(Descriptor(media_type, digest, size))
        self._names = names
        manifest = {
            "schemaVersion": 2, "mediaType": oci.MANIFEST,
            "config": Descriptor(oci.CONFIG, oci.sha256_digest(config), len(config)).to_json(),
            "layers": [d.to_json() for d in layers],
        }
        self.image = Image(canonical_json(manifest), config)


def _split_ref(spec: str) -> tuple[str, str | None]:
    """`oci:DIR[:REF]` -> (DIR, REF)."""
    path = spec[4:]
    head, sep, tail = path.rpartition(":")
    if sep and "/" not in tail and Path(head).is_dir():
        return head, tail
    return path, None


@contextmanager
def open_image(spec: str) -> Iterator[ImageSource]:
    if spec.startswith("oci:"):
        directory, ref = _split_ref(spec)
        root = Path(directory)
        if not (root / "index.json").is_file():
            raise _invalid(directory, "not an OCI image layout (no index.json).")

        def read(name: str):
            path = root / name
            return path.open("rb") if path.is_file() else None

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
            raise _invalid(path, f"not a readable tar archive ({e}).")
        with archive:
            members = {}
            for member in archive.getmembers():
                if member.isfile():
                    members[str(PurePosixPath(member.name.removeprefix("./")))] = member

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
