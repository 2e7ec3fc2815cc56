"""Model artifacts in Cloud Storage, read and inspected (``--inspect-artifacts``; off by default).

A unit of the second collection phase, one per project: once the Vertex AI collector is done it
takes the ``artifactUri`` folder of every collected model (:data:`cspm.artifacts.sources.SOURCES`)
and hands it to the cloud-neutral flow of :mod:`cspm.artifacts.collect` with :class:`GcsReader`,
the Cloud Storage part, on the JSON API through the scan's read-only google-auth session:

- ``objects.list`` (``GET storage/v1/b/{bucket}/o?prefix=``, paged by ``pageToken``);
- ``objects.get`` (``GET storage/v1/b/{bucket}/o/{object}``): generation, size, ``kmsKeyName``;
- ``objects.get`` media (``?alt=media&ifGenerationMatch=`` the generation read), streamed in
  1 MiB chunks: an object rewritten in between answers 412 (``PreconditionFailed``) and is an
  ERROR of its artifact; a body shorter than the size announced too. Object media reads are the
  only ones the read-only guard refuses without ``--inspect-artifacts``;
- the same with a ``Range`` header for the first bytes of an object over a byte budget.

Permissions: ``storage.objects.list`` and ``storage.objects.get``. A model whose folder sits in a
bucket of another project the caller cannot read answers 403: an ERROR for that artifact, and
the other models go on. ``STORAGE_EMULATOR_HOST`` (the client library's own setting) redirects
the endpoint, as for the bucket collector.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from functools import partial
from typing import Any, Final, TypeVar
from urllib.parse import quote

import google.api_core.exceptions as api_errors
import requests

from cspm.artifacts.collect import (
    ArtifactSettings,
    Head,
    ReadError,
    ScanBudget,
    wanted_uris,
)
from cspm.artifacts.collect import collect as collect_artifacts
from cspm.providers.base import ABSENT
from cspm.providers.gcp import ARTIFACT_PERMISSIONS, ARTIFACT_SERVICE
from cspm.providers.gcp.context import TIMEOUT, GcpContext, rest_read
from cspm.providers.http_reads import body_chunks, first_bytes_of
from cspm.resources.artifacts import ModelArtifact
from cspm.resources.gcp.artifacts import GcsModelArtifact

T = TypeVar("T")

SERVICE = ARTIFACT_SERVICE
PERMISSIONS = ARTIFACT_PERMISSIONS
STORAGE_ENDPOINT: Final = "https://storage.googleapis.com"
PAGE_SIZE: Final = 1000  # objects.list's maxResults (its own maximum)
MAX_PAGES: Final = 1000  # a prefix of more than a million objects is not a model folder
MAX_ERROR_BODY: Final = 64 * 1024
_ABSENT: Final = {"NotFound"}


def storage_endpoint() -> str:
    host = os.environ.get("STORAGE_EMULATOR_HOST") or STORAGE_ENDPOINT
    return (host if "://" in host else f"http://{host}").rstrip("/")


def parse_gs_uri(uri: str) -> tuple[str, str] | None:
    """(bucket, object name) of ``gs://bucket/name``; None for anything else."""
    if not uri.startswith("gs://"):
        return None
    bucket, _, name = uri[len("gs://") :].partition("/")
    return (bucket, name) if bucket and "/" not in bucket else None


def collect(ctx: GcpContext, settings: ArtifactSettings, budget: ScanBudget) -> Iterator[ModelArtifact]:
    uris = wanted_uris(ctx.unit.collected, {})
    yield from collect_artifacts(GcsReader(ctx), uris, settings, budget, ctx.project, ctx.map)


class GcsReader:
    """Objects in Cloud Storage, through the scan's read-only session."""

    artifact_type: type[ModelArtifact] = GcsModelArtifact

    def __init__(self, ctx: GcpContext) -> None:
        self.ctx = ctx
        self.session = ctx.clients.session
        self.base = storage_endpoint()

    def _retried(self, fn: Callable[[], T]) -> Callable[[], T]:
        """``fn`` with the call's retry budget (transient errors and throttling; never a 403 or 412)."""
        retry = self.ctx.options["retry"]
        return retry(fn) if retry is not None else fn

    def _parse(self, uri: str) -> tuple[str, str]:
        parsed = parse_gs_uri(uri)
        assert parsed is not None  # locate() said so
        return parsed

    def _object_url(self, bucket: str, name: str) -> str:
        return f"{self.base}/storage/v1/b/{quote(bucket, safe='')}/o/{quote(name, safe='')}"

    def locate(self, uri: str) -> dict[str, Any] | str:
        parsed = parse_gs_uri(uri)
        if parsed is None or (not parsed[1] and not uri.endswith("/")):
            return f"{uri!r} is not a Cloud Storage {'URI' if uri.endswith('/') else 'object URI'}"
        bucket, name = parsed
        return {
            "uid": f"//storage.googleapis.com/projects/_/buckets/{bucket}/objects/{name}",
            "name": uri,
            "region": "global",
        }

    def listing(self, prefix: str) -> list[str] | str:
        bucket, name = self._parse(prefix)
        found = self.ctx.call(self._retried(partial(self._list_pages, bucket, name)), operation="objects.list")
        if found is None or found is ABSENT:
            return "objects.list failed (see errors)"
        return found

    def _list_pages(self, bucket: str, prefix: str) -> list[str]:
        url = f"{self.base}/storage/v1/b/{quote(bucket, safe='')}/o"
        query: dict[str, Any] = {"prefix": prefix, "maxResults": PAGE_SIZE}
        uris: list[str] = []
        for _ in range(MAX_PAGES):
            response = self.session.get(url, params=query, timeout=TIMEOUT)
            if response.status_code != 200:
                raise api_errors.from_http_response(response)
            page = response.json()
            items = page.get("items", []) if isinstance(page, dict) else None
            if not isinstance(items, list):
                raise api_errors.GoogleAPICallError(f"objects.list of {bucket}: 'items' is not a list")
            uris.extend(f"gs://{bucket}/{i['name']}" for i in items if isinstance(i, dict) and i.get("name"))
            token = page.get("nextPageToken")
            if not token:
                return uris
            query["pageToken"] = token
        raise api_errors.GoogleAPICallError(f"objects.list of {bucket}: more than {MAX_PAGES} pages")

    def head(self, uri: str) -> Head | str | None:
        bucket, name = self._parse(uri)
        url = self._object_url(bucket, name)
        found = self.ctx.call(self._retried(partial(rest_read, self.session, "GET", url)), operation="objects.get",
                              absent=_ABSENT)  # fmt: skip
        if found is None:
            return "objects.get failed (see errors)"
        if found is ABSENT:
            return None
        assert isinstance(found, dict)
        try:
            size = int(found.get("size") or 0)
        except (TypeError, ValueError):
            return f"objects.get answered a size that is not a number: {str(found.get('size'))[:40]!r}"
        generation = found.get("generation")
        return Head(
            tag=str(generation) if generation is not None else None,
            size=size,
            extra={"kms_key_id": found.get("kmsKeyName")},
        )

    def _media(self, uri: str, params: dict[str, Any], headers: dict[str, str] | None = None) -> requests.Response:
        """The media GET, streamed; raises api-core errors (the error body read bounded)."""
        bucket, name = self._parse(uri)
        response = self.session.get(
            self._object_url(bucket, name), params=params, headers=headers, stream=True, timeout=TIMEOUT
        )
        if response.status_code in (200, 206):
            return response
        try:
            raw = response.raw.read(MAX_ERROR_BODY, decode_content=True) or b""
        finally:
            response.close()
        raise api_errors.from_http_status(response.status_code, _error_message(raw, response.status_code))

    def stream(self, uri: str, head: Head) -> Iterator[bytes]:
        params: dict[str, Any] = {"alt": "media"}
        if head.tag:
            params["ifGenerationMatch"] = head.tag
        response = self.ctx.call(
            self._retried(partial(self._media, uri, params)), operation="objects.get", absent=_ABSENT
        )
        if response is ABSENT:
            raise ReadError("the object vanished between objects.get and its media read")
        if response is None:
            raise ReadError("the media read failed (see errors): changed (412) or denied since objects.get")
        assert isinstance(response, requests.Response)
        served = response.headers.get("x-goog-generation")
        yield from body_chunks(
            response,
            expected=head.tag,
            served=served,
            changed=f"the object changed between objects.get and its media read (generation {served})",
            record=lambda exc: self.ctx.error(
                "objects.get", type(exc).__name__, f"{uri}: reading the object failed: {exc}"
            ),
            what="object",
        )

    def first_bytes(self, uri: str, length: int, seconds: float) -> bytes:
        params = {"alt": "media"}
        headers = {"Range": f"bytes=0-{length - 1}"}
        response = self.ctx.call(self._retried(partial(self._media, uri, params, headers)), operation="objects.get")
        return first_bytes_of(response, length, seconds)


def _error_message(raw: bytes, status: int) -> str:
    """The ``error.message`` of a Cloud Storage JSON error body, or the status."""
    try:
        body = json.loads(raw.decode("utf-8", "replace"))
    except ValueError:
        return f"HTTP {status}"
    error = body.get("error") if isinstance(body, dict) else None
    message = error.get("message") if isinstance(error, dict) else None
    return str(message)[:300] if message else f"HTTP {status}"
