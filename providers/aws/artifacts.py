"""Model artifacts in S3, read and inspected (``--inspect-artifacts``; off by default).

A unit of the second collection phase (``CollectorUnit.phase == 1``), one per account: once the
SageMaker collectors are done it takes every artifact URI the collected resources load
(:data:`cspm.artifacts.sources.SOURCES`), each URI once, and for each:

1. ``HeadObject``: ETag, size, SSE-KMS key. With ``--store``, an artifact whose ETag and size
   equal those of the last inspection in the store is not downloaded: that verdict is reused and
   says so (``reused_from``).
2. ``GetObject`` with ``IfMatch`` = the ETag of step 1, streamed in 1 MiB chunks into a spooled
   temporary file (4 MiB in memory, then a private temporary directory removed afterwards) while
   hashing SHA-256; the bytes are counted against the per-artifact and the per-scan budgets.
   An object larger than the per-artifact budget, or than what is left of the scan's, is read
   only in its first 64 KiB (``Range``) to recognise the format, and is an ERROR for the checks
   that need its contents.
3. :func:`cspm.artifacts.inspect.inspect_file`.

A prefix (a URI ending in ``/``: the folder a Bedrock imported model loads) is listed first
(``ListObjectsV2``) and each model file under it (by name: pickle, safetensors, GGUF, ONNX,
Keras, NumPy, archives; not config.json or the tokenizer) is read as above. A prefix that cannot
be listed, or holds no model file, is one artifact with that ``error``, so its checks answer ERROR.

Every failure is the artifact's (``error``), and the failed call is in ``errors``: access
denied, an object that vanished (``NoSuchKey``) or changed between HEAD and GET
(``PreconditionFailed``, or fewer bytes than announced), a URI that is not S3. The other
artifacts go on.
"""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
import struct
import tempfile
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import IO, Any

import botocore.exceptions
import urllib3.exceptions

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
from cspm.artifacts.signatures import MAX_SIGNATURE_BYTES, SIGNATURE_SUFFIX, SigningPolicy, verify
from cspm.artifacts.sources import SOURCES, Unresolved, artifact_uris, is_prefix, packages_index
from cspm.lineage import parse_s3_uri
from cspm.providers.aws.context import AwsContext
from cspm.providers.base import ABSENT
from cspm.resources.artifacts import ImportFound, SignatureCheck
from cspm.resources.aws.artifacts import S3ModelArtifact
from cspm.resources.aws.s3 import S3Bucket
from cspm.resources.base import Resource

log = logging.getLogger(__name__)

SERVICE = "artifacts"
# HeadObject is authorised by s3:GetObject; kms:Decrypt for objects encrypted with SSE-KMS;
# ListObjectsV2 (s3:ListBucket) for the prefixes Bedrock imported models load.
PERMISSIONS = ("s3:GetObject", "s3:ListBucket", "kms:Decrypt")
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


class ScanBudget:
    """Bytes the whole scan may still read, and how many artifacts are inspected at once (shared by
    every account's unit). Downloads run in parallel (they wait on the network); inspections are
    CPU work that holds a pickle's opcodes in memory (picklescan lists them whole), so
    ``inspections`` (1 by default) bounds the memory of a scan whatever the artifact sizes."""

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
    signing: SigningPolicy | None = None  # look for <key>.sig and verify it
    # uri -> the artifact as last inspected (from the history store), with the scan it came from
    previous: Mapping[str, tuple[str, S3ModelArtifact]] = field(default_factory=dict)


def collect(ctx: AwsContext, settings: ArtifactSettings, budget: ScanBudget) -> Iterator[S3ModelArtifact]:
    packages = packages_index(ctx.unit.collected("aws.sagemaker.model_package"))
    regions = {b.name: b.region for b in ctx.unit.collected("aws.s3.bucket") if isinstance(b, S3Bucket)}
    uris: dict[str, None] = {}
    for resource_type in SOURCES:
        for resource in ctx.unit.collected(resource_type):
            uris.update(dict.fromkeys(_uris(resource, packages)))
    listed: dict[str, None] = {}
    for prefix in [u for u in uris if is_prefix(u)]:
        found = _list(ctx, prefix, regions, settings)
        if isinstance(found, S3ModelArtifact):
            yield found
        else:
            listed.update(dict.fromkeys(found))
    objects = sorted({u for u in uris if not is_prefix(u)} | set(listed))
    scanners = scanner_versions()
    yield from ctx.map(lambda uri: _artifact(ctx, uri, settings, budget, scanners, regions), objects)


def _list(
    ctx: AwsContext, prefix: str, regions: Mapping[str, str], settings: ArtifactSettings
) -> list[str] | S3ModelArtifact:
    """The model files under ``prefix``, or the prefix's own artifact saying why there are none."""
    parsed = parse_s3_uri(prefix)
    if parsed is None:
        policy = settings.signing.require if settings.signing else None
        return S3ModelArtifact(
            uid=prefix,
            name=prefix,
            account=ctx.account,
            uri=prefix,
            signing_policy=policy,
            error=f"{prefix!r} is not an S3 URI",
        )
    bucket, key = parsed
    base: dict[str, Any] = {
        "uid": f"arn:{ctx.partition}:s3:::{bucket}/{key}",
        "name": prefix,
        "account": ctx.account,
        "region": regions.get(bucket) or "global",
        "uri": prefix,
        "signing_policy": settings.signing.require if settings.signing else None,
    }
    s3 = ctx.client("s3", regions.get(bucket) or ctx.home_region)
    objects = ctx.paginate(s3, "list_objects_v2", "Contents", Bucket=bucket, Prefix=key)
    if objects is None:
        return S3ModelArtifact(**base, error="ListObjectsV2 failed (see errors)")
    keys = sorted(o["Key"] for o in objects if str(o.get("Key", "")).lower().endswith(MODEL_FILE_SUFFIXES))
    if not keys:
        return S3ModelArtifact(**base, error="no model file under the prefix")
    return [f"s3://{bucket}/{k}" for k in keys]


def _uris(resource: Resource, packages: Mapping[str, Any]) -> tuple[str, ...]:
    try:
        return artifact_uris(resource, packages)
    except Unresolved:
        return ()  # the checks on the resource say why


def _artifact(
    ctx: AwsContext,
    uri: str,
    settings: ArtifactSettings,
    budget: ScanBudget,
    scanners: dict[str, str],
    regions: Mapping[str, str],
) -> S3ModelArtifact:
    parsed = parse_s3_uri(uri)
    if parsed is None or not parsed[1]:
        return S3ModelArtifact(
            uid=uri, name=uri, account=ctx.account, uri=uri, error=f"{uri!r} is not an S3 object URI"
        )
    bucket, key = parsed
    base: dict[str, Any] = {
        "uid": f"arn:{ctx.partition}:s3:::{bucket}/{key}",
        "name": f"s3://{bucket}/{key}",
        "account": ctx.account,
        "region": regions.get(bucket) or "global",
        "uri": uri,
        "signing_policy": settings.signing.require if settings.signing else None,
    }
    s3 = ctx.client("s3", regions.get(bucket) or ctx.home_region)
    head = ctx.call(s3, "head_object", absent={"404", "NoSuchKey", "NotFound"}, Bucket=bucket, Key=key)
    if head is None:
        return S3ModelArtifact(**base, error="HeadObject failed (see errors)")
    if head is ABSENT:
        return S3ModelArtifact(**base, error="the object does not exist")
    etag, size = head.get("ETag"), int(head.get("ContentLength") or 0)
    base |= {"etag": etag, "size": size, "kms_key_id": head.get("SSEKMSKeyId")}
    previous = settings.previous.get(uri)
    if previous is not None and _unchanged(previous[1], etag, size):
        return previous[1].model_copy(update={**base, "reused_from": previous[0], "bytes_read": 0})
    limits = settings.limits
    if size > limits.max_bytes:
        return _too_large(ctx, s3, bucket, key, base, f"{size} bytes, over the per-artifact budget of "
                          f"{limits.max_bytes // MiB} MiB (--artifact-max-mb)")  # fmt: skip
    if not budget.take(size):
        return _too_large(ctx, s3, bucket, key, base, f"the scan's byte budget of {budget.total // MiB} MiB "
                          "is spent (--artifact-scan-max-mb)")  # fmt: skip
    with tempfile.TemporaryDirectory(prefix="cspm-artifact-") as tmp:
        spool: IO[bytes] = tempfile.SpooledTemporaryFile(max_size=SPOOL_MEMORY, dir=tmp)  # noqa: SIM115
        with spool:
            read = _download(ctx, s3, bucket, key, etag, size, spool)
            if isinstance(read, str):
                budget.give_back(size)
                return S3ModelArtifact(**base, error=read)
            digest, count = read
            spool.seek(0)
            with budget.inspecting:
                found = inspect_file(spool, key, limits, tmpdir=tmp)
            if settings.signing is not None:
                base["signature"] = _signature(ctx, s3, bucket, key, spool, settings.signing, tmp)
    return _snapshot(base, found, digest, count, scanners)


def _signature(
    ctx: AwsContext, s3: Any, bucket: str, key: str, spool: IO[bytes], policy: SigningPolicy, tmp: str
) -> SignatureCheck:
    """The OpenSSF Model Signing signature at ``<key>.sig``, verified against the artifact read."""
    sig_key = key + SIGNATURE_SUFFIX
    uri = f"s3://{bucket}/{sig_key}"
    head = ctx.call(s3, "head_object", absent={"404", "NoSuchKey", "NotFound"}, Bucket=bucket, Key=sig_key)
    if head is ABSENT:
        return SignatureCheck(status="absent", signature_uri=uri, method=policy.method, identity=policy.identity)
    if head is None or int(head.get("ContentLength") or 0) > MAX_SIGNATURE_BYTES:
        why = "HeadObject failed (see errors)" if head is None else f"larger than {MAX_SIGNATURE_BYTES} bytes"
        return SignatureCheck(status="unverifiable", signature_uri=uri, detail=f"the signature: {why}")
    response = ctx.call(s3, "get_object", Bucket=bucket, Key=sig_key)
    if response is None or response is ABSENT:
        return SignatureCheck(status="unverifiable", signature_uri=uri, detail="GetObject of the signature failed")
    signature_path, artifact_path = os.path.join(tmp, "model.sig"), os.path.join(tmp, "artifact")
    try:
        with open(signature_path, "wb") as out:
            out.write(response["Body"].read(MAX_SIGNATURE_BYTES))
    except (botocore.exceptions.BotoCoreError, urllib3.exceptions.HTTPError, OSError) as exc:
        return SignatureCheck(status="unverifiable", signature_uri=uri, detail=f"reading it failed: {exc}")
    finally:
        response["Body"].close()
    spool.seek(0)
    with open(artifact_path, "wb") as out:  # the verifier hashes a file by path
        shutil.copyfileobj(spool, out, CHUNK)
    return verify(artifact_path, signature_path, uri, policy)


def _unchanged(previous: S3ModelArtifact, etag: str | None, size: int) -> bool:
    return (
        etag is not None
        and previous.etag == etag
        and previous.size == size
        and previous.error is None
        and previous.dangerous is not None
    )


def _download(
    ctx: AwsContext, s3: Any, bucket: str, key: str, etag: str | None, size: int, spool: IO[bytes]
) -> tuple[str, int] | str:
    """(sha256, bytes) of the object streamed into ``spool``, or the reason it could not be read."""
    extra: dict[str, Any] = {"IfMatch": etag} if etag else {}
    response = ctx.call(s3, "get_object", absent={"NoSuchKey", "404"}, Bucket=bucket, Key=key, **extra)
    if response is None:
        return "GetObject failed (see errors): changed or denied since HeadObject"
    if response is ABSENT:
        return "the object vanished between HeadObject and GetObject"
    if etag and response.get("ETag") not in (None, etag):
        return "the object changed between HeadObject and GetObject (another ETag)"
    digest = hashlib.sha256()
    count = 0
    body = response["Body"]
    try:
        while chunk := body.read(CHUNK):
            count += len(chunk)
            if count > size:
                return f"the object grew while read: more than the {size} bytes HeadObject announced"
            digest.update(chunk)
            spool.write(chunk)
    except (botocore.exceptions.BotoCoreError, urllib3.exceptions.HTTPError, OSError) as exc:
        ctx.error("GetObject", type(exc).__name__, f"s3://{bucket}/{key}: reading the object failed: {exc}")
        return f"reading the object failed ({type(exc).__name__})"
    finally:
        body.close()
    if count != size:
        return f"the object changed while read: {count} bytes instead of the {size} HeadObject announced"
    return digest.hexdigest(), count


def _too_large(ctx: AwsContext, s3: Any, bucket: str, key: str, base: dict[str, Any], why: str) -> S3ModelArtifact:
    """Not read whole: the first bytes name the format (a pickle still fails the format check).
    A data-only format is judged by its header: a safetensors header (at most 100 MiB, the format's
    limit) is read whole with a second ranged GetObject."""
    head = _range(ctx, s3, bucket, key, SNIFF_BYTES)
    size = int(base.get("size") or 0)
    if sniff(head, key) == "safetensors" and len(head) >= 8:
        wanted = 8 + struct.unpack("<Q", head[:8])[0]
        if len(head) < wanted <= 8 + SAFETENSORS_MAX_HEADER:
            head = _range(ctx, s3, bucket, key, wanted)
    found = inspect_header(head, key, size) if head else None
    if found is not None:  # no scanner was needed: the header holds no code
        return _snapshot(base, found, None, len(head), {})
    kind = sniff(head, key) if head else None
    return S3ModelArtifact(**base, format=kind, error=f"not inspected: {why}", bytes_read=len(head))


def _range(ctx: AwsContext, s3: Any, bucket: str, key: str, length: int) -> bytes:
    """The first ``length`` bytes of the object (b"" when they cannot be read: recorded)."""
    response = ctx.call(s3, "get_object", Bucket=bucket, Key=key, Range=f"bytes=0-{length - 1}")
    if response is None or response is ABSENT:
        return b""
    try:
        return bytes(response["Body"].read(length))
    except (botocore.exceptions.BotoCoreError, urllib3.exceptions.HTTPError, OSError):
        return b""
    finally:
        response["Body"].close()


def _snapshot(
    base: dict[str, Any], found: Inspection, digest: str | None, count: int, scanners: dict[str, str]
) -> S3ModelArtifact:
    return S3ModelArtifact(
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
