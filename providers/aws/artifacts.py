"""Model artifacts in S3, read and inspected (``--inspect-artifacts``; off by default).

A unit of the second collection phase (``CollectorUnit.phase == 1``), one per account: once the
SageMaker and Bedrock collectors are done it takes every ``s3://`` artifact URI the collected
resources load (:data:`cspm.artifacts.sources.SOURCES`) and hands them to the cloud-neutral flow
of :mod:`cspm.artifacts.collect` (budgets, caching with ``--store``, streaming into a bounded
spool, inspection, signatures) with :class:`S3Reader`, the S3 part:

- ``HeadObject``: ETag, size, SSE-KMS key;
- ``GetObject`` with ``IfMatch`` = the ETag of the HEAD, streamed (gathered in 1 MiB chunks);
- ``GetObject`` with ``Range`` for the first bytes of an object over a byte budget;

Both bodies are read as the bytes arrive (:func:`arriving`), so the time limit of one artifact
read (``--artifact-time-limit``) holds even when S3, or anything posing as it, drips them.
- ``ListObjectsV2`` for a prefix (the folder a Bedrock imported model loads).

Every failure is the artifact's (``error``), and the failed call is in ``errors``: access
denied, an object that vanished (``NoSuchKey``) or changed between HEAD and GET
(``PreconditionFailed``, or fewer bytes than announced), a URI that is not S3. The other
artifacts go on.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import botocore.exceptions
import urllib3.exceptions

from cspm.artifacts.collect import (
    MODEL_FILE_SUFFIXES,
    ArtifactSettings,
    Head,
    ReadError,
    ScanBudget,
    first_of,
    pinned_chunks,
    wanted_uris,
)
from cspm.artifacts.collect import collect as collect_artifacts
from cspm.artifacts.sources import packages_index
from cspm.lineage import parse_s3_uri
from cspm.providers.aws.context import AwsContext
from cspm.providers.base import ABSENT
from cspm.resources.artifacts import ModelArtifact
from cspm.resources.aws.artifacts import S3ModelArtifact
from cspm.resources.aws.s3 import S3Bucket

log = logging.getLogger(__name__)

__all__ = ["MODEL_FILE_SUFFIXES", "PERMISSIONS", "SERVICE", "ArtifactSettings", "S3Reader", "ScanBudget", "collect"]

SERVICE = "artifacts"
# HeadObject is authorised by s3:GetObject; kms:Decrypt for objects encrypted with SSE-KMS;
# ListObjectsV2 (s3:ListBucket) for the prefixes Bedrock imported models load.
PERMISSIONS = ("s3:GetObject", "s3:ListBucket", "kms:Decrypt")
_ABSENT_CODES = {"404", "NoSuchKey", "NotFound"}


def collect(ctx: AwsContext, settings: ArtifactSettings, budget: ScanBudget) -> Iterator[ModelArtifact]:
    packages = packages_index(ctx.unit.collected("aws.sagemaker.model_package"))
    regions = {b.name: b.region for b in ctx.unit.collected("aws.s3.bucket") if isinstance(b, S3Bucket)}
    uris = wanted_uris(ctx.unit.collected, packages)
    yield from collect_artifacts(S3Reader(ctx, regions), uris, settings, budget, ctx.account, ctx.map)


class S3Reader:
    """Objects in S3, through the account's read-only clients (GetObject allowed under the flag)."""

    artifact_type: type[ModelArtifact] = S3ModelArtifact

    def __init__(self, ctx: AwsContext, regions: Mapping[str, str]) -> None:
        self.ctx = ctx
        self.regions = regions

    def _client(self, bucket: str) -> Any:
        return self.ctx.client("s3", self.regions.get(bucket) or self.ctx.home_region)

    def _parse(self, uri: str) -> tuple[str, str]:
        parsed = parse_s3_uri(uri)
        assert parsed is not None  # locate() said so
        return parsed

    def locate(self, uri: str) -> dict[str, Any] | str:
        parsed = parse_s3_uri(uri)
        if parsed is None or (not parsed[1] and not uri.endswith("/")):
            return f"{uri!r} is not an S3 {'URI' if uri.endswith('/') else 'object URI'}"
        bucket, key = parsed
        name = uri if uri.endswith("/") else f"s3://{bucket}/{key}"
        return {
            "uid": f"arn:{self.ctx.partition}:s3:::{bucket}/{key}",
            "name": name,
            "region": self.regions.get(bucket) or "global",
        }

    def listing(self, prefix: str) -> list[str] | str:
        bucket, key = self._parse(prefix)
        objects = self.ctx.paginate(self._client(bucket), "list_objects_v2", "Contents", Bucket=bucket, Prefix=key)
        if objects is None:
            return "ListObjectsV2 failed (see errors)"
        return [f"s3://{bucket}/{o['Key']}" for o in objects if o.get("Key")]

    def head(self, uri: str) -> Head | str | None:
        bucket, key = self._parse(uri)
        head = self.ctx.call(self._client(bucket), "head_object", absent=_ABSENT_CODES, Bucket=bucket, Key=key)
        if head is None:
            return "HeadObject failed (see errors)"
        if head is ABSENT:
            return None
        return Head(
            tag=head.get("ETag"),
            size=int(head.get("ContentLength") or 0),
            extra={"kms_key_id": head.get("SSEKMSKeyId")},
        )

    def stream(self, uri: str, head: Head) -> Iterator[bytes]:
        bucket, key = self._parse(uri)
        extra: dict[str, Any] = {"IfMatch": head.tag} if head.tag else {}
        response = self.ctx.call(
            self._client(bucket), "get_object", absent={"NoSuchKey", "404"}, Bucket=bucket, Key=key, **extra
        )
        if response is None:
            raise ReadError("GetObject failed (see errors): changed or denied since HeadObject")
        if response is ABSENT:
            raise ReadError("the object vanished between HeadObject and GetObject")
        body = response["Body"]
        yield from pinned_chunks(
            arriving(body),
            body.close,
            expected=head.tag,
            served=response.get("ETag"),
            changed="the object changed between HeadObject and GetObject (another ETag)",
            errors=(botocore.exceptions.BotoCoreError, urllib3.exceptions.HTTPError, OSError),
            record=lambda exc: self.ctx.error(
                "GetObject", type(exc).__name__, f"{uri}: reading the object failed: {exc}"
            ),
            what="object",
        )

    def first_bytes(self, uri: str, length: int, seconds: float) -> bytes:
        bucket, key = self._parse(uri)
        response = self.ctx.call(
            self._client(bucket), "get_object", Bucket=bucket, Key=key, Range=f"bytes=0-{length - 1}"
        )
        if response is None or response is ABSENT:
            return b""
        body = response["Body"]
        try:
            return first_of(arriving(body), length, seconds)
        except (botocore.exceptions.BotoCoreError, urllib3.exceptions.HTTPError, OSError):
            return b""
        finally:
            body.close()


class _Arrived:
    """The urllib3 response under a botocore body, whose ``read(n)`` answers as soon as bytes
    have arrived (``read1``) instead of waiting for all ``n``; everything else is the response's."""

    def __init__(self, raw: Any) -> None:
        self._raw = raw

    def read(self, amt: int | None = None) -> bytes:
        return bytes(self._raw.read() if amt is None else self._raw.read1(amt))

    def __getattr__(self, name: str) -> Any:
        return getattr(self._raw, name)


def arriving(body: Any) -> Callable[[int], bytes]:
    """``body.read`` of a GetObject body, made to answer what has arrived, so that the time limit
    of :func:`cspm.artifacts.collect.within` is checked while S3 drips: botocore's ``read(n)``
    waits for all ``n`` bytes (urllib3's ``read``), each wait shorter than the read timeout,
    so one byte every 19 s would hold a 1 MiB chunk for 230 days.

    botocore keeps its own guarantees: the body is still its StreamingBody (or, when S3 sent a
    ``x-amz-checksum-*`` header for the whole object, its StreamingChecksumBody), whose ``read``
    counts the bytes against the Content-Length and checks the checksum at the end of the body
    (the empty read that ends it); only the urllib3 response under it answers sooner. cspm adds
    its own: the GET is pinned to HEAD's ETag (``IfMatch``), the bytes are counted against HEAD's
    size, and their SHA-256 is computed here, so the verdict and the hash reported are those of
    the bytes judged. The urllib3 response is reached through botocore's private ``_raw_stream``
    (botocore's own ``set_socket_timeout`` does the same); were it ever gone, the body is read
    as before, 1 MiB at a time (the time limit then only holds between chunks;
    tests/providers/aws/test_artifact_time_limit.py fails)."""
    raw = getattr(body, "_raw_stream", None)
    if raw is not None and not isinstance(raw, _Arrived) and callable(getattr(raw, "read1", None)):
        body._raw_stream = _Arrived(raw)
    read: Callable[[int], bytes] = body.read
    return read
