"""Pulling and pushing images with the distribution spec's API.

Pull: the manifest by tag or digest (OCI and Docker v2 media types; an index or manifest
list resolved to linux/amd64), then the config and every layer, each written to the cache
under its digest only once its bytes are proven to have that digest.

Push: for each blob, HEAD first and skip what the registry has; a cross-repository mount
(`?mount=&from=`) for the run image's layers when it came from the same registry; else an
upload, monolithic (POST then PUT) for small blobs, chunked (PATCH with Content-Range) for
large ones, resumed from the offset the registry reports after a failure. Then the
manifest, PUT by tag (or by digest).
"""

from __future__ import annotations

import hashlib
import json
import os
import time
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO, Callable, Mapping

from pack_it.errors import EXPORT_FAILED, INVALID_IMAGE, PackItError, export_error
from pack_it.lifecycle import oci
from pack_it.lifecycle.cache import Cache
from pack_it.lifecycle.oci import Descriptor, Image
from pack_it.lifecycle.registry import credentials as creds
from pack_it.lifecycle.registry.auth import AuthenticationFailed, Authenticator
from pack_it.lifecycle.registry.names import RegistryRef
from pack_it.lifecycle.registry.transport import ATTEMPTS, FileRange, Response, Transport, TransportOptions, Unreachable

ACCEPT = ", ".join([oci.MANIFEST, oci.INDEX, oci.DOCKER_MANIFEST, oci.DOCKER_MANIFEST_LIST])
INDEXES = (oci.INDEX, oci.DOCKER_MANIFEST_LIST)
MANIFESTS = (oci.MANIFEST, oci.DOCKER_MANIFEST)
CHUNK = 8 << 20  # bytes per PATCH
MONOLITHIC_LIMIT = 16 << 20  # blobs up to this size go up in one PUT
PLATFORM = ("linux", "amd64")
MAX_MANIFEST = 4 << 20  # the distribution spec's recommended limit


@dataclass
class RegistryOptions:
    """How to reach registries: from the CLI's --creds, --registry-ca, --insecure-registry."""
    credentials: creds.Credentials | None = None
    ca_file: Path | None = None
    insecure_hosts: frozenset[str] = frozenset()
    chunk_size: int = CHUNK
    monolithic_limit: int = MONOLITHIC_LIMIT
    attempts: int = ATTEMPTS
    on_retry: Callable[[str], None] = field(default=lambda message: None)
    sleep: Callable[[float], None] = time.sleep
    env: Mapping[str, str] = field(default_factory=lambda: os.environ)


@dataclass
class PushReport:
    uploaded: list[str] = field(default_factory=list)  # digests sent
    present: list[str] = field(default_factory=list)  # digests the registry had
    mounted: list[str] = field(default_factory=list)  # digests mounted from another repository
    bytes_sent: int = 0


class _VerifyingSink:
    """Writes a blob to a file while hashing it, so that the bytes are checked as they land."""

    def __init__(self, f: BinaryIO) -> None:
        self.f = f
        self.reset()

    def reset(self) -> None:
        self.f.seek(0)
        self.f.truncate()
        self.sha = hashlib.sha256()
        self.size = 0

    def write(self, data: bytes) -> None:
        self.sha.update(data)
        self.size += len(data)
        self.f.write(data)

    @property
    def digest(self) -> str:
        return "sha256:" + self.sha.hexdigest()


class RegistryClient:
    """One repository on one registry, for pulling (`push=False`: failures exit 62, an input
    image) or pushing (failures exit 61, the output)."""

    def __init__(self, ref: RegistryRef, options: RegistryOptions, *, push: bool = False,
                 mount_from: str | None = None) -> None:
        self.ref = ref
        self.options = options
        self.exit_code = EXPORT_FAILED if push else INVALID_IMAGE
        self.transport = Transport(ref.api_host, TransportOptions(
            ca_file=options.ca_file, insecure_hosts=options.insecure_hosts, attempts=options.attempts,
            on_retry=options.on_retry, sleep=options.sleep), self.exit_code)
        self.mount_from = mount_from if mount_from and mount_from != ref.repository else None
        scopes = [f"repository:{ref.repository}:{'pull,push' if push else 'pull'}"]
        if self.mount_from:
            scopes.append(f"repository:{self.mount_from}:pull")
        credentials = creds.lookup(ref.host, options.credentials, options.env)
        self.auth = Authenticator(self.transport, credentials, scopes)

    # Requests ---------------------------------------------------------------------------

    def _error(self, what: str, hint: str) -> PackItError:
        return export_error(what, hint, exit_code=self.exit_code)

    def _url(self, path_or_location: str) -> str:
        return urllib.parse.urljoin(self.transport.url("/"), path_or_location)

    def _call(self, method: str, path: str, headers: dict[str, str] | None = None,
              body: bytes | FileRange | None = None, sink=None, retry: bool = True) -> Response:
        """A request with whatever authorization the registry asks for."""
        for _ in range(3):
            sent = dict(headers or {})
            if self.auth.header:
                sent["Authorization"] = self.auth.header
            response = self.transport.request(method, self._url(path), sent, body, sink, retry)
            if response.status != 401:
                return response
            try:
                self.auth.answer(response.header("www-authenticate"))
            except AuthenticationFailed as e:
                raise self._error(f"The registry {self.ref.host} {e}, for {self.ref.repository}.",
                                  "Check the user name and password (--creds USER:PASSWORD, "
                                  "PACK_IT_REGISTRY_USERNAME/PASSWORD, or podman/docker login).")
        raise self._error(f"The registry {self.ref.host} keeps refusing access to {self.ref.repository}.",
                          "Check that these credentials may pull (and push) this repository.")

    def _unexpected(self, response: Response, doing: str) -> PackItError:
        return self._error(f"The registry {self.ref.host} answered HTTP {response.status} when {doing} "
                           f"{self.ref.repository}{_registry_errors(response)}.",
                           _hint_for(response.status))

    # Pull -------------------------------------------------------------------------------

    def pull(self, cache: Cache) -> Image:
        """The image `ref` names, every blob verified and kept in the cache."""
        image = self.pull_config(cache)
        for descriptor in manifest_descriptors(self._json(image.manifest))[1]:
            self.fetch_blob(descriptor, cache)
        return image

    def pull_config(self, cache: Cache) -> Image:
        """The image `ref` names, with its manifest and config verified and kept in the
        cache, and none of its layers (fetch_blob gets those the caller needs)."""
        manifest, media_type = self._manifest(self.ref.reference, self.ref.digest)
        if media_type in INDEXES:
            chosen = select_platform(self._json(manifest))
            if chosen is None:
                raise self._error(f"{self.ref} has no {'/'.join(PLATFORM)} image.",
                                  "Use an image built for linux/amd64.")
            manifest, media_type = self._manifest(chosen["digest"], chosen["digest"])
        if media_type not in MANIFESTS:
            raise self._error(f"{self.ref} is a {media_type or 'manifest of unknown type'}, not an image pack-it can read.",
                              "Push it again with a current tool (OCI or Docker v2 schema 2 manifests).")
        config, layers = manifest_descriptors(self._json(manifest))
        if config is None:
            raise self._error(f"The manifest of {self.ref} does not list a config and layers as descriptors "
                              "(mediaType, sha256 digest, size).", "Check the image in the registry.")
        self.fetch_blob(config, cache)
        cache.put_bytes(manifest)
        return Image(manifest, cache.blob_path(config.digest).read_bytes())

    def _json(self, data: bytes) -> dict:
        value = parse_json(data)
        if value is None:
            raise self._error(f"The manifest of {self.ref} is not a JSON object.", "Check the image in the registry.")
        return value

    def _manifest(self, reference: str, expected: str | None) -> tuple[bytes, str]:
        response = self._call("GET", f"/v2/{self.ref.repository}/manifests/{reference}", {"Accept": ACCEPT})
        if response.status == 404:
            raise self._error(f"The registry {self.ref.host} has no image {self.ref}.",
                              "Check the repository and the tag (or digest).")
        if response.status != 200:
            raise self._unexpected(response, "reading the manifest of")
        data = response.body
        actual = oci.sha256_digest(data)
        # By digest, the bytes must be those; by tag, they must at least be what the
        # registry says they are (a proxy or cache in between may not alter them).
        claimed = expected or response.header("docker-content-digest") or actual
        if actual != claimed or len(data) > MAX_MANIFEST:
            raise self._error(f"The manifest of {self.ref} from {self.ref.host} does not match its digest {claimed}.",
                              "Something between pack-it and the registry alters data; pull again or check the proxy.")
        value = self._json(data)
        media_type = value.get("mediaType")
        if not isinstance(media_type, str) or not media_type:
            media_type = oci.INDEX if "manifests" in value else response.header("content-type").split(";")[0]
        return data, media_type

    def fetch_blob(self, descriptor: Descriptor, cache: Cache) -> None:
        """Downloads a blob into the cache, unless it is there already (the cache holds only
        blobs whose content matched their name)."""
        if cache.has_blob(descriptor.digest):
            return
        if not descriptor.digest.startswith("sha256:"):
            raise self._error(f"{self.ref} uses a {descriptor.digest.split(':')[0]} digest pack-it cannot verify.",
                              "Use an image with sha256 digests.")
        with cache.new_blob() as (f, holder):
            sink = _VerifyingSink(f)
            response = self._call("GET", f"/v2/{self.ref.repository}/blobs/{descriptor.digest}", sink=sink)
            if response.status != 200:
                raise self._unexpected(response, f"downloading the blob {descriptor.digest} of")
            if sink.digest != descriptor.digest or sink.size != descriptor.size:
                raise self._error(f"The blob {descriptor.digest} of {self.ref} from {self.ref.host} does not match "
                                  "its digest.", "Something between pack-it and the registry alters data, or the "
                                  "registry's storage is damaged; nothing was kept.")
            holder.append(descriptor.digest)

    # Push -------------------------------------------------------------------------------

    def push(self, image: Image, cache: Cache, mountable: frozenset[str] = frozenset()) -> PushReport:
        """Uploads what the registry lacks, then the manifest under ref's tag (or digest)."""
        if self.ref.digest and self.ref.digest != image.digest:
            raise self._error(f"{self.ref} names a digest, and the image built is {image.digest}.",
                              "Push by tag, or name the digest the build prints.")
        report = PushReport()
        for descriptor in [*image.layers, image.config_descriptor]:
            self._push_blob(descriptor, cache.blob_path(descriptor.digest), descriptor.digest in mountable, report)
        self.put_manifest(image, self.ref.reference)
        return report

    def blob_exists(self, digest: str) -> bool:
        response = self._call("HEAD", f"/v2/{self.ref.repository}/blobs/{digest}")
        if response.status in (200, 404):
            return response.status == 200
        raise self._unexpected(response, f"checking for the blob {digest} in")

    def _push_blob(self, descriptor: Descriptor, path: Path, mountable: bool, report: PushReport) -> None:
        if self.blob_exists(descriptor.digest):
            report.present.append(descriptor.digest)
            return
        location = None
        if mountable and self.mount_from:
            response = self._call("POST", f"/v2/{self.ref.repository}/blobs/uploads/?" + urllib.parse.urlencode(
                {"mount": descriptor.digest, "from": self.mount_from}))
            if response.status == 201:
                report.mounted.append(descriptor.digest)
                return
            if response.status == 202:  # not mountable: the registry opened an upload instead
                location = response.header("location")
        if descriptor.size <= self.options.monolithic_limit:
            self._upload_monolithic(descriptor, path, location)
        else:
            self._upload_chunked(descriptor, path, location)
        report.uploaded.append(descriptor.digest)
        report.bytes_sent += descriptor.size

    def _start_upload(self) -> str:
        response = self._call("POST", f"/v2/{self.ref.repository}/blobs/uploads/")
        if response.status != 202 or not response.header("location"):
            raise self._unexpected(response, "starting an upload to")
        return response.header("location")

    def _finish_url(self, location: str, digest: str) -> str:
        return location + ("&" if "?" in location else "?") + urllib.parse.urlencode({"digest": digest})

    def _upload_monolithic(self, descriptor: Descriptor, path: Path, location: str | None) -> None:
        """POST, then PUT the whole blob. A failed PUT may have left part of the blob in the
        upload, so each retry starts a new upload rather than re-sending to the same one."""
        for attempt in range(1, self.options.attempts + 1):
            upload = location or self._start_upload()
            response = self._try(lambda: self._call(
                "PUT", self._finish_url(upload, descriptor.digest),
                {"Content-Type": "application/octet-stream"}, FileRange(path, 0, descriptor.size), retry=False))
            if response is not None and response.status == 201:
                self._check_digest(response, descriptor.digest)
                return
            self._give_up_or_wait(attempt, response, f"uploading the blob {descriptor.digest} to")
            location = None

    def _upload_chunked(self, descriptor: Descriptor, path: Path, started: str | None) -> None:
        location = started or self._start_upload()
        offset, failures = 0, 0
        while True:
            if offset < descriptor.size:
                length = min(self.options.chunk_size, descriptor.size - offset)
                response = self._try(lambda: self._call(
                    "PATCH", location, {"Content-Type": "application/octet-stream",
                                        "Content-Range": f"{offset}-{offset + length - 1}"},
                    FileRange(path, offset, length), retry=False))
                if response is not None and response.status == 202:
                    location = response.header("location") or location
                    offset = _range_end(response.header("range"), offset + length)
                    continue
            else:
                response = self._try(lambda: self._call("PUT", self._finish_url(location, descriptor.digest), retry=False))
                if response is not None and response.status == 201:
                    self._check_digest(response, descriptor.digest)
                    return
            failures += 1
            self._give_up_or_wait(failures, response, f"uploading the blob {descriptor.digest} to")
            location, offset = self._resume(location)

    def _resume(self, location: str) -> tuple[str, int]:
        """Where an interrupted upload stands: the registry's Range, or a new upload when it
        has lost this one (or cannot say exactly: "0-0" means 0 or 1 byte)."""
        response = self._try(lambda: self._call("GET", location))
        if response is not None and response.status == 204:
            end = _range_end(response.header("range"), 0)
            if end > 1:
                return response.header("location") or location, end
        return self._start_upload(), 0

    def _try(self, send: Callable[[], Response]) -> Response | None:
        """A request whose dropped connection is a result to recover from, not a failure."""
        try:
            return send()
        except Unreachable:
            return None

    def _give_up_or_wait(self, attempt: int, response: Response | None, doing: str) -> None:
        retryable = response is None or response.status in (400, 404, 416, 429) or response.status >= 500
        if not retryable or attempt >= self.options.attempts:
            if response is None:
                raise self._error(f"The connection to the registry {self.ref.host} kept dropping while {doing} "
                                  f"{self.ref.repository}.", "Check the network and the registry, then push again.")
            raise self._unexpected(response, doing)
        self.transport._wait(attempt, response.header("retry-after") if response else None, doing)

    def _check_digest(self, response: Response, digest: str) -> None:
        claimed = response.header("docker-content-digest")
        if claimed and claimed != digest:
            raise self._error(f"The registry {self.ref.host} stored {claimed} for the blob {digest}.",
                              "Something between pack-it and the registry alters data.")

    def put_manifest(self, image: Image, reference: str) -> None:
        media_type = image.manifest_json.get("mediaType", oci.MANIFEST)
        response = self._call("PUT", f"/v2/{self.ref.repository}/manifests/{reference}",
                              {"Content-Type": media_type}, image.manifest)
        if response.status not in (200, 201):
            raise self._unexpected(response, "storing the manifest in")
        claimed = response.header("docker-content-digest")
        if claimed and claimed != image.digest:
            raise self._error(f"The registry {self.ref.host} stored the manifest as {claimed}, not {image.digest}.",
                              "Something between pack-it and the registry alters data.")


def parse_json(data: bytes) -> dict | None:
    """A registry document as a JSON object, or None (not JSON, nested too deeply, not an object)."""
    try:
        value = json.loads(data)
    except (ValueError, RecursionError):
        return None
    return value if isinstance(value, dict) else None


def descriptor(value: object) -> Descriptor | None:
    """`value` as a descriptor (mediaType, sha256 digest, size), or None when it is not one."""
    if not isinstance(value, dict):
        return None
    media_type, digest, size = value.get("mediaType", ""), value.get("digest"), value.get("size")
    if (not isinstance(media_type, str) or not isinstance(digest, str) or type(size) is not int or size < 0
            or not digest.startswith("sha256:")):
        return None
    annotations = value.get("annotations")
    return Descriptor(media_type, digest, size, annotations if isinstance(annotations, dict) else {})


def manifest_descriptors(body: dict) -> tuple[Descriptor | None, list[Descriptor]]:
    """(config, layers) of an image manifest; (None, []) when any of them is not a descriptor."""
    config, layers = descriptor(body.get("config")), body.get("layers", [])
    found = [descriptor(layer) for layer in layers] if isinstance(layers, list) else [None]
    if config is None or any(d is None for d in found):
        return None, []
    return config, [d for d in found if d is not None]


def select_platform(index: dict) -> dict | None:
    """The index's linux/amd64 manifest (the only platform pack-it builds for), if it is a
    descriptor."""
    manifests = index.get("manifests", [])
    for m in manifests if isinstance(manifests, list) else []:
        platform = m.get("platform") if isinstance(m, dict) else None
        platform = platform if isinstance(platform, dict) else {}
        if (platform.get("os"), platform.get("architecture")) == PLATFORM and descriptor(m) is not None:
            return m
    return None


def _range_end(value: str, default: int) -> int:
    """`0-1023` (the bytes the registry holds) -> 1024, the next offset."""
    _, sep, end = value.partition("-")
    return int(end) + 1 if sep and end.strip().isdigit() else default


def _registry_errors(response: Response) -> str:
    """The registry's own error codes (`UNAUTHORIZED: ...`), which never hold a credential."""
    try:
        errors = json.loads(response.body).get("errors") or []
        text = "; ".join(f"{e.get('code', '')}: {e.get('message', '')}" for e in errors[:3] if isinstance(e, dict))
    except (ValueError, AttributeError):
        text = ""
    return f" ({text})" if text else ""


def _hint_for(status: int) -> str:
    if status == 403:
        return "These credentials may not push to this repository; check its permissions."
    if status == 429:
        return "The registry is rate limiting; wait, or authenticate for a higher limit."
    if status >= 500:
        return "The registry is failing; try again later."
    return "Check the repository name and the registry's logs."
