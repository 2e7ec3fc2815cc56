"""The cloud-neutral flow of ``--inspect-artifacts``: budgets, caching, streaming, inspection and
signatures, for any object store. What differs per cloud (naming an object, listing a prefix,
HEAD, a streamed conditional GET, a ranged GET) is an :class:`ObjectReader`
(S3: :mod:`cspm.providers.aws.artifacts`; Cloud Storage: :mod:`cspm.providers.gcp.artifacts`;
Blob Storage: :mod:`cspm.providers.azure.artifacts`). Adding a store is one reader plus one entry
in :data:`cspm.artifacts.sources.SOURCES`.

For each object URI the resources load (:func:`collect`):

1. ``reader.head``: version tag (ETag / generation), size, extra fields (the SSE-KMS key). With
   ``--store``, an artifact whose tag and size equal those of the last inspection, and whose
   signature object is unchanged too (same tag, or still absent), is not downloaded: that verdict
   is reused and says so (``reused_from``).
2. ``reader.stream``: the object, conditional on the tag of step 1, in chunks, into a spooled
   temporary file (4 MiB in memory, then a private temporary directory removed afterwards) while
   hashing SHA-256; bytes count against the per-artifact and the per-scan budgets. An object
   larger than either is read only in its first 64 KiB (``reader.first_bytes``) to recognise
   the format, and is an ERROR for the checks that need its contents. Every read, whole or
   ranged, stops at the time limit (``read_seconds``, ``--artifact-time-limit``): a store that
   drips bytes cannot hold the scan (:func:`within`, :func:`first_of`).
3. :func:`cspm.artifacts.inspect.inspect_file`; then the signature (``<object>.sig``) is read
   (at most 1 MiB) and verified against the bytes read.

A prefix (a URI ending in ``/``) is listed first and each model file under it (by name) is read.
A prefix that cannot be listed, or holds no model file, is one artifact with that ``error``.
Every failure is the artifact's own ``error``; the reader records the failed call in ``errors``.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import struct
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import IO, Any, Protocol

from cspm.artifacts.inspect import (
    CHUNK,
    PICKLE_SUFFIXES,
    SAFETENSORS_MAX_HEADER,
    SPOOL_MEMORY,
    Inspection,
    Limits,
    MiB,
    inspect_file,
    inspect_header,
    scanner_versions,
    sniff,
)
from cspm.artifacts.options import DEFAULT_TIME_LIMIT
from cspm.artifacts.signatures import MAX_SIGNATURE_BYTES, SIGNATURE_SUFFIX, SigningPolicy, verify
from cspm.artifacts.sources import SOURCES, Packages, Unresolved, artifact_uris, is_prefix
from cspm.resources.artifacts import ImportFound, ModelArtifact, SignatureCheck
from cspm.resources.base import Resource

# The files of a model folder that are read (the others are configuration and tokenizers).
MODEL_FILE_SUFFIXES = (
    *PICKLE_SUFFIXES,
    ".safetensors",
    ".gguf",
    ".onnx",
    ".keras",
    ".h5",
    ".npy",
    ".npz",
    ".tar.gz",
    ".tgz",
    ".tar",
    ".zip",
)
SNIFF_BYTES = 64 * 1024
DEFAULT_SCAN_BYTES = 10 * 1024 * MiB
# The whole body of one artifact (or signature) read, however slowly it arrives: a store that
# drips bytes (each wait shorter than the read timeout) cannot hold the scan (--artifact-time-limit).
DEFAULT_READ_SECONDS = DEFAULT_TIME_LIMIT
GATHER_SECONDS = 0.25  # a chunk being gathered is handed over at least this often


class ReadError(Exception):
    """The object could not be read whole as it was at HEAD (the reason is the message)."""


def pinned_chunks(
    read: Callable[[int], bytes],
    close: Callable[[], None],
    *,
    expected: str | None,
    served: str | None,
    changed: str,
    errors: tuple[type[BaseException], ...],
    record: Callable[[BaseException], None],
    what: str,
) -> Iterator[bytes]:
    """The body of a conditional GET, chunk by chunk, for every store's ``stream``: a version tag
    other than HEAD's (``expected``; ``served`` is what the GET answered) is a ReadError saying
    ``changed``; a read that breaks (``errors``) is recorded and a ReadError; the body is closed.
    ``read(n)`` should answer as soon as bytes arrive (urllib3's ``read1``), so that the time
    limit of :func:`within` is checked while a store drips them."""
    try:
        if expected and served not in (None, expected):
            raise ReadError(changed)
        yield from _gathered(read)
    except errors as exc:
        record(exc)
        raise ReadError(f"reading the {what} failed ({type(exc).__name__})") from exc
    finally:
        close()


def _gathered(read: Callable[[int], bytes]) -> Iterator[bytes]:
    """What ``read`` hands over as it arrives, gathered into chunks of :data:`CHUNK` bytes, each
    yielded once full or :data:`GATHER_SECONDS` after its first piece (so that :func:`within` is
    asked at least that often while a store drips)."""
    buffer = bytearray()
    started = time.monotonic()
    while piece := read(CHUNK - len(buffer)):
        if not buffer:
            started = time.monotonic()
        buffer += piece
        if len(buffer) >= CHUNK or time.monotonic() - started >= GATHER_SECONDS:
            yield bytes(buffer)
            buffer.clear()
    if buffer:
        yield bytes(buffer)


def too_slow(seconds: float) -> ReadError:
    """The error of a read still going on past the time limit (``--artifact-time-limit``)."""
    return ReadError(f"still arriving after {seconds:g} s, the time limit of one artifact read; not read")


def within(chunks: Iterator[bytes], seconds: float) -> Iterator[bytes]:
    """``chunks`` while they keep arriving within ``seconds`` of the first request; past that, a
    ReadError naming the limit. The stream is closed either way (the connection dropped: the rest
    is never read)."""
    deadline = time.monotonic() + seconds
    try:
        for chunk in chunks:
            yield chunk
            if time.monotonic() > deadline:
                raise too_slow(seconds)
    finally:
        close = getattr(chunks, "close", None)
        if close is not None:
            close()


def first_of(read: Callable[[int], bytes], length: int, seconds: float) -> bytes:
    """At most ``length`` bytes of a (ranged) body, for every store's ``first_bytes``: ``read(n)``
    answers what has arrived (urllib3's ``read1``), so a body still arriving ``seconds`` after
    the request is a ReadError naming the time limit, however slowly it drips."""
    deadline = time.monotonic() + seconds
    out = bytearray()
    while len(out) < length:
        piece = read(min(CHUNK, length - len(out)))
        if not piece:
            break
        out += piece
        if time.monotonic() > deadline:
            raise too_slow(seconds)
    return bytes(out[:length])


@dataclass(frozen=True)
class Head:
    """What HEAD said of an object: its version tag (S3 ETag, GCS generation), size, and fields
    of the artifact snapshot the store knows (``kms_key_id``)."""

    tag: str | None
    size: int
    extra: Mapping[str, Any] = field(default_factory=dict)


class ObjectReader(Protocol):
    """The per-cloud part: how to name, list and read objects of one store (read-only calls)."""

    artifact_type: type[ModelArtifact]

    def locate(self, uri: str) -> dict[str, Any] | str:
        """``uid``, ``name``, ``region`` of the artifact at ``uri``, or why it is not a URI of the store."""
        ...

    def listing(self, prefix: str) -> list[str] | str:
        """The object URIs under ``prefix``, or why they cannot be listed (recorded in errors)."""
        ...

    def head(self, uri: str) -> Head | str | None:
        """None: no such object; a string: why HEAD failed (recorded)."""
        ...

    def stream(self, uri: str, head: Head) -> Iterator[bytes]:
        """The object's bytes, only as it was at ``head`` (a conditional GET); raises ReadError."""
        ...

    def first_bytes(self, uri: str, length: int, seconds: float) -> bytes:
        """The first ``length`` bytes (a ranged GET); b"" when they cannot be read (recorded);
        a ReadError when they are still arriving after ``seconds`` (:func:`first_of`)."""
        ...


class ScanBudget:
    """Bytes the whole scan may still read, and how many artifacts are inspected at once (shared by
    every unit). Downloads run in parallel (they wait on the network); inspections are CPU work,
    so ``inspections`` (1 by default) bounds the memory of a scan whatever the artifact sizes."""

    def __init__(self, total: int, inspections: int = 1) -> None:
        self.total = total
        self._left = total
        self._lock = threading.Lock()
        self.inspecting = threading.BoundedSemaphore(inspections)

    def take(self, amount: int) -> bool:
        with self._lock:
            if amount > self._left:
                return False
            self._left -= amount
            return True

    def give_back(self, amount: int) -> None:
        with self._lock:
            self._left += amount


@dataclass(frozen=True)
class ArtifactSettings:
    limits: Limits = field(default_factory=Limits)
    max_scan_bytes: int = DEFAULT_SCAN_BYTES
    signing: SigningPolicy | None = None  # look for <object>.sig and verify it
    read_seconds: float = DEFAULT_READ_SECONDS  # the whole body of one object read (within())
    # uri -> the artifact as last inspected (from the history store), with the scan it came from
    previous: Mapping[str, tuple[str, ModelArtifact]] = field(default_factory=dict)


Mapper = Callable[[Callable[[str], ModelArtifact], list[str]], Iterable[ModelArtifact]]


def wanted_uris(resources_by_type: Callable[[str], Iterable[Resource]], packages: Packages) -> list[str]:
    """Every artifact URI the collected resources of one account load, each once, in order (a URI
    of another store is an error of its artifact: the reader's ``locate`` says so)."""
    uris: dict[str, None] = {}
    for resource_type in SOURCES:
        for resource in resources_by_type(resource_type):
            try:
                found = artifact_uris(resource, packages)
            except Unresolved:
                continue  # the checks on the resource say why
            uris.update(dict.fromkeys(found))
    return list(uris)


def collect(
    reader: ObjectReader,
    uris: Iterable[str],
    settings: ArtifactSettings,
    budget: ScanBudget,
    account: str,
    mapper: Mapper,
) -> Iterator[ModelArtifact]:
    """Inspect every object of ``uris`` (prefixes listed first), each once."""
    uris = list(uris)
    listed: dict[str, None] = {}
    policy = settings.signing.require if settings.signing else None
    for prefix in [u for u in uris if is_prefix(u)]:
        found = _list(reader, prefix, account, policy)
        if isinstance(found, ModelArtifact):
            yield found
        else:
            listed.update(dict.fromkeys(found))
    objects = sorted({u for u in uris if not is_prefix(u)} | set(listed))
    scanners = scanner_versions()
    flow = _Flow(reader, settings, budget, scanners, account)
    yield from mapper(flow.artifact, objects)


def _list(reader: ObjectReader, prefix: str, account: str, policy: str | None) -> list[str] | ModelArtifact:
    """The model files under ``prefix``, or the prefix's own artifact saying why there are none."""
    make = reader.artifact_type
    located = reader.locate(prefix)
    if isinstance(located, str):
        return make(uid=prefix, name=prefix, account=account, uri=prefix, signing_policy=policy, error=located)
    base = {**located, "account": account, "uri": prefix, "signing_policy": policy}
    found = reader.listing(prefix)
    if isinstance(found, str):
        return make(**base, error=found)
    uris = sorted(u for u in found if u.lower().endswith(MODEL_FILE_SUFFIXES))
    if not uris:
        return make(**base, error="no model file under the prefix")
    return uris


class _Flow:
    def __init__(
        self,
        reader: ObjectReader,
        settings: ArtifactSettings,
        budget: ScanBudget,
        scanners: dict[str, str],
        account: str,
    ) -> None:
        self.reader = reader
        self.settings = settings
        self.budget = budget
        self.scanners = scanners
        self.account = account
        self.make = reader.artifact_type

    def artifact(self, uri: str) -> ModelArtifact:
        signing = self.settings.signing
        located = self.reader.locate(uri)
        if isinstance(located, str):
            return self.make(uid=uri, name=uri, account=self.account, uri=uri, error=located)
        base: dict[str, Any] = {
            **located,
            "account": self.account,
            "uri": uri,
            "signing_policy": signing.require if signing else None,
        }
        head = self.reader.head(uri)
        if isinstance(head, str):
            return self.make(**base, error=head)
        if head is None:
            return self.make(**base, error="the object does not exist")
        base |= {"etag": head.tag, "size": head.size, **head.extra}
        sig_head = self._signature_head(uri) if signing is not None else None
        reused = self._reuse(uri, head, sig_head, base)
        if reused is not None:
            return reused
        limits = self.settings.limits
        if head.size > limits.max_bytes:
            why = (
                f"{head.size} bytes, over the per-artifact budget of {limits.max_bytes // MiB} MiB (--artifact-max-mb)"
            )
            return self._too_large(uri, base, why)
        if not self.budget.take(head.size):
            return self._too_large(
                uri, base, f"the scan's byte budget of {self.budget.total // MiB} MiB is spent (--artifact-scan-max-mb)"
            )
        with tempfile.TemporaryDirectory(prefix="cspm-artifact-") as tmp:
            spool: IO[bytes] = tempfile.SpooledTemporaryFile(max_size=SPOOL_MEMORY, dir=tmp)  # noqa: SIM115
            with spool:
                read = download(self.reader, uri, head, spool, self.settings.read_seconds)
                if isinstance(read, str):
                    self.budget.give_back(head.size)
                    return self.make(**base, error=read)
                digest, count = read
                spool.seek(0)
                with self.budget.inspecting:
                    found = inspect_file(spool, object_key(uri), limits, tmpdir=tmp)
                if signing is not None:
                    base["signature"] = self._signature(uri, sig_head, spool, signing, tmp)
        return snapshot(self.make, base, found, digest, count, self.scanners)

    # -- caching ---------------------------------------------------------------------------------

    def _reuse(self, uri: str, head: Head, sig_head: Head | str | None, base: dict[str, Any]) -> ModelArtifact | None:
        previous = self.settings.previous.get(uri)
        if previous is None:
            return None
        scan_id, before = previous
        if not _unchanged(before, head) or not self._same_signature(before, sig_head):
            return None
        data = before.model_dump(exclude={"tags"})
        return self.make.model_validate({**data, **base, "signature": before.signature, "reused_from": scan_id,
                                         "bytes_read": 0})  # fmt: skip

    def _same_signature(self, before: ModelArtifact, sig_head: Head | str | None) -> bool:
        """Whether the signature verdict of ``before`` still holds: signatures not looked at now,
        or looked at then under the same policy and the ``.sig`` object is the same (same tag) or
        still absent. A signature that appeared, vanished or changed is judged again."""
        signing = self.settings.signing
        if signing is None:
            return True
        old = before.signature
        if old is None or before.signing_policy != signing.require:
            return False
        if old.status != "absent" and old.verifier != signing.fingerprint():
            return False  # verified (or not) with another key, chain or identity
        if sig_head is None:
            return old.status == "absent"
        if isinstance(sig_head, str):
            return False
        return old.status in ("verified", "invalid") and old.etag is not None and old.etag == sig_head.tag

    # -- signatures ------------------------------------------------------------------------------

    def _signature_head(self, uri: str) -> Head | str | None:
        return self.reader.head(uri + SIGNATURE_SUFFIX)

    def _signature(
        self, uri: str, sig_head: Head | str | None, spool: IO[bytes], policy: SigningPolicy, tmp: str
    ) -> SignatureCheck:
        """The OpenSSF Model Signing signature at ``<uri>.sig``, verified against the artifact read."""
        sig_uri = uri + SIGNATURE_SUFFIX
        if sig_head is None:
            return SignatureCheck(
                status="absent", signature_uri=sig_uri, method=policy.method, identity=policy.identity
            )
        if isinstance(sig_head, str) or sig_head.size > MAX_SIGNATURE_BYTES:
            why = sig_head if isinstance(sig_head, str) else f"larger than {MAX_SIGNATURE_BYTES} bytes"
            return SignatureCheck(status="unverifiable", signature_uri=sig_uri, detail=f"the signature: {why}")
        signature_path, artifact_path = os.path.join(tmp, "model.sig"), os.path.join(tmp, "artifact")
        try:
            with open(signature_path, "wb") as out:
                for chunk in within(self.reader.stream(sig_uri, sig_head), self.settings.read_seconds):
                    out.write(chunk)
        except ReadError as exc:
            return SignatureCheck(status="unverifiable", signature_uri=sig_uri, detail=f"reading it failed: {exc}")
        spool.seek(0)
        with open(artifact_path, "wb") as out:  # the verifier hashes a file by path
            shutil.copyfileobj(spool, out, CHUNK)
        checked = verify(artifact_path, signature_path, sig_uri, policy)
        return checked.model_copy(update={"etag": sig_head.tag, "verifier": policy.fingerprint()})

    # -- over a budget ---------------------------------------------------------------------------

    def _too_large(self, uri: str, base: dict[str, Any], why: str) -> ModelArtifact:
        """Not read whole: the first bytes name the format (a pickle still fails the format check).
        A data-only format is judged by its header: a safetensors header (at most 100 MiB, the
        format's limit) is read whole with a second ranged read."""
        name = object_key(uri)
        seconds = self.settings.read_seconds
        try:
            head = self.reader.first_bytes(uri, SNIFF_BYTES, seconds)
            if sniff(head, name) == "safetensors" and len(head) >= 8:
                wanted = 8 + struct.unpack("<Q", head[:8])[0]
                if len(head) < wanted <= 8 + SAFETENSORS_MAX_HEADER:
                    head = self.reader.first_bytes(uri, wanted, seconds)
        except ReadError as exc:
            return self.make(**base, error=f"not inspected: {why}; its first bytes: {exc}", bytes_read=0)
        size = int(base.get("size") or 0)
        found = inspect_header(head, name, size) if head else None
        if found is not None:  # no scanner was needed: the header holds no code
            return snapshot(self.make, base, found, None, len(head), {})
        kind = sniff(head, name) if head else None
        return self.make(**base, format=kind, error=f"not inspected: {why}", bytes_read=len(head))


def object_key(uri: str) -> str:
    """The object's key (its path in the bucket) of ``scheme://bucket/key``: the name the
    inspection reports members under."""
    rest = uri.split("://", 1)[-1]
    return rest.split("/", 1)[1] if "/" in rest else rest


def _unchanged(previous: ModelArtifact, head: Head) -> bool:
    return (
        head.tag is not None
        and previous.etag == head.tag
        and previous.size == head.size
        and previous.error is None
        and previous.dangerous is not None
    )


def download(
    reader: ObjectReader, uri: str, head: Head, spool: IO[bytes], seconds: float = DEFAULT_READ_SECONDS
) -> tuple[str, int] | str:
    """(sha256, bytes) of the object streamed into ``spool`` within ``seconds``, or the reason it
    could not be read."""
    digest = hashlib.sha256()
    count = 0
    chunks = within(reader.stream(uri, head), seconds)
    try:
        for chunk in chunks:
            count += len(chunk)
            if count > head.size:
                return f"the object grew while read: more than the {head.size} bytes announced"
            digest.update(chunk)
            spool.write(chunk)
    except ReadError as exc:
        return str(exc)
    finally:
        close = getattr(chunks, "close", None)
        if close is not None:
            close()
    if count != head.size:
        return f"the object changed while read: {count} bytes instead of the {head.size} announced"
    return digest.hexdigest(), count


def snapshot(
    make: type[ModelArtifact],
    base: dict[str, Any],
    found: Inspection,
    digest: str | None,
    count: int,
    scanners: dict[str, str],
) -> ModelArtifact:
    return make(
        **base,
        sha256=digest,
        format=found.format,
        members=tuple(found.members),
        dangerous=tuple(ImportFound(module=i.module, name=i.name, member=i.member) for i in found.dangerous),
        unknown_imports=tuple(ImportFound(module=i.module, name=i.name, member=i.member) for i in found.unknown),
        problems=tuple(found.problems),
        scanners=scanners,
        bytes_read=count,
    )
