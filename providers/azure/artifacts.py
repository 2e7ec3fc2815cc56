"""Model artifacts in Azure Blob Storage, read and inspected (``--inspect-artifacts``; off by default).

A unit of the second collection phase, one per subscription: once the Azure ML collector is done
it takes the ``artifact_blob_uri`` of every collected model asset version
(:data:`cspm.artifacts.sources.SOURCES`, ``azure.ml.model``) and hands it to the cloud-neutral
flow of :mod:`cspm.artifacts.collect` with :class:`AzureBlobReader`, the Blob Storage part, on
the Blob service REST API (``x-ms-version`` :data:`BLOB_API_VERSION`) through azure-core's
pipeline (the scan's credential, token scope ``https://storage.azure.com/.default``, the scan's
retry policy, a bounded transport and the read-only guard):

- List Blobs (``GET https://<acct>.blob.<suffix>/<container>?restype=container&comp=list&prefix=``,
  paged by ``marker``/``NextMarker``): XML, read bounded (:data:`MAX_XML_BYTES`) and refused when
  it carries a ``<!DOCTYPE`` or ``<!ENTITY`` (no entity is ever expanded);
- Get Blob Properties (``HEAD``): ``ETag`` and ``Content-Length``;
- Get Blob with ``If-Match`` the ETag read, streamed in 1 MiB chunks: a blob rewritten in
  between answers 412 ``ConditionNotMet``, one deleted 404 ``BlobNotFound``; either, or a body
  shorter than announced, is an ERROR of that artifact;
- Get Blob with ``x-ms-range: bytes=0-N`` for the first bytes of a blob over the byte budget.

Permission: the data action ``Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read``
(Storage Blob Data Reader), listed by ``cspm permissions azure --inspect-artifacts`` under
``DataActions``. Without it Blob Storage answers 403 ``AuthorizationPermissionMismatch``: an ERROR
of the artifacts, naming the data action. The read-only guard refuses every blob data-plane
request unless the scan was asked to ``--inspect-artifacts``.

Where the token goes: only to ``https://<account>.blob.<suffix>`` where ``<suffix>`` is the
storage suffix of the Resource Manager endpoint's national cloud (``core.windows.net`` for
``https://management.azure.com``), or to ``CSPM_AZURE_BLOB_ENDPOINT`` when it is set: then every
blob request goes to that base with the account as the first path segment
(``$CSPM_AZURE_BLOB_ENDPOINT/<account>/<container>/<path>``, as Azurite serves it). A model whose
blob URL names another suffix is an ERROR of its artifact, and nothing is sent.
"""

from __future__ import annotations

import os
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from typing import Any, Final
from urllib.parse import quote, urlencode

import azure.core.exceptions as azure_errors
import requests
import urllib3.exceptions

from cspm.artifacts.collect import (
    ArtifactSettings,
    Head,
    ReadError,
    ScanBudget,
    wanted_uris,
)
from cspm.artifacts.collect import collect as collect_artifacts
from cspm.providers.azure.context import AzureClients, AzureContext, ReadOnlyPolicy
from cspm.providers.base import ABSENT
from cspm.providers.http_reads import body_chunks, first_bytes_of
from cspm.resources.artifacts import ModelArtifact
from cspm.resources.azure.artifacts import AzureBlobModelArtifact

BLOB_API_VERSION: Final = "2023-11-03"
STORAGE_SCOPE: Final = "https://storage.azure.com/.default"
ENDPOINT_ENV: Final = "CSPM_AZURE_BLOB_ENDPOINT"
BLOB_READ: Final = "Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read"
# Resource Manager endpoint -> the storage suffix of its national cloud.
NATIONAL_STORAGE: Final = {
    "https://management.azure.com": "core.windows.net",
    "https://management.chinacloudapi.cn": "core.chinacloudapi.cn",
    "https://management.usgovcloudapi.net": "core.usgovcloudapi.net",
}
PAGE_SIZE: Final = 1000  # List Blobs' maxresults (5000 is its own maximum)
MAX_PAGES: Final = 1000  # a prefix of more than a million blobs is not a model folder
MAX_XML_BYTES: Final = 8 * 2**20  # a page of 1000 blobs is well under 2 MiB
MAX_ERROR_BODY: Final = 64 * 1024
_ABSENT: Final = {"BlobNotFound"}
_BLOB_URI: Final = re.compile(
    r"https://(?P<account>[a-z0-9]{3,24})\.blob\.(?P<suffix>[a-z0-9.-]+)/"
    r"(?P<container>\$?[a-z0-9](?:[a-z0-9-]{1,61}[a-z0-9])?)(?:/(?P<path>.*))?"
)


class BlobError(azure_errors.HttpResponseError):
    """A Blob service error answer: its status and ``x-ms-error-code`` / ``<Code>``."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message=message)
        self.status_code = status
        self.error = azure_errors.ODataV4Format({"code": code, "message": message})


class UnsafeXml(azure_errors.DecodeError):
    """A List Blobs answer that is not the documented XML (a DTD, an entity, too large, malformed)."""


def parse_blob_uri(uri: str) -> tuple[str, str, str, str] | None:
    """(account, suffix, container, path) of ``https://<account>.blob.<suffix>/<container>/<path>``."""
    match = _BLOB_URI.fullmatch(uri)
    if match is None:
        return None
    return match["account"], match["suffix"], match["container"], match["path"] or ""


def storage_suffix(arm_endpoint: str) -> str | None:
    """The storage suffix of the national cloud whose Resource Manager is ``arm_endpoint``."""
    return NATIONAL_STORAGE.get(arm_endpoint.rstrip("/").lower())


def collect(ctx: AzureContext, settings: ArtifactSettings, budget: ScanBudget) -> Iterator[ModelArtifact]:
    uris = wanted_uris(ctx.unit.collected, {})
    yield from collect_artifacts(AzureBlobReader(ctx), uris, settings, budget, ctx.subscription, ctx.map)


def blob_pipeline(clients: AzureClients) -> Any:
    """azure-core's pipeline for Blob Storage data-plane reads: the scan's retry policy, the
    read-only guard (data-plane reads only when ``clients.read_blobs``), the bearer token for
    Storage, a bounded transport."""
    from azure.core.pipeline import Pipeline
    from azure.core.pipeline.policies import (
        BearerTokenCredentialPolicy,
        HeadersPolicy,
        RequestIdPolicy,
        SensitiveHeaderCleanupPolicy,
        UserAgentPolicy,
    )

    policies: list[Any] = [
        RequestIdPolicy(),
        HeadersPolicy({"x-ms-version": BLOB_API_VERSION}),
        UserAgentPolicy(user_agent=clients.user_agent),
        clients.retry_policy(),
        ReadOnlyPolicy(read_blobs=clients.read_blobs),  # before the token is added
        BearerTokenCredentialPolicy(clients.credential, STORAGE_SCOPE),
        SensitiveHeaderCleanupPolicy(),
    ]
    return Pipeline(transport=clients.transport(), policies=policies)


class AzureBlobReader:
    """Blobs in Azure Storage, through a read-only data-plane pipeline."""

    artifact_type: type[ModelArtifact] = AzureBlobModelArtifact

    def __init__(self, ctx: AzureContext, pipeline: Any = None) -> None:
        self.ctx = ctx
        self.pipeline = pipeline if pipeline is not None else blob_pipeline(ctx.clients)
        self.override = (os.environ.get(ENDPOINT_ENV) or "").rstrip("/") or None
        self.suffix = storage_suffix(ctx.clients.endpoint)

    # -- naming -------------------------------------------------------------------------------

    def _where(self, uri: str) -> tuple[str, str, str, str] | str:
        parsed = parse_blob_uri(uri)
        if parsed is None:
            return f"{uri!r} is not an Azure Blob Storage URL (https://<account>.blob.<suffix>/<container>/<path>)"
        suffix = parsed[1]
        if self.override is None and self.suffix is None:
            return (
                f"the blob storage of the Resource Manager endpoint {self.ctx.clients.endpoint} is not known: "
                f"set {ENDPOINT_ENV} to read {uri}"
            )
        if suffix not in NATIONAL_STORAGE.values() or (self.override is None and suffix != self.suffix):
            return f"{uri} is not in the storage of this Azure cloud (blob.{self.suffix}): not read"
        return parsed

    def _url(self, account: str, suffix: str, container: str, path: str = "") -> str:
        base = f"{self.override}/{account}" if self.override else f"https://{account}.blob.{suffix}"
        url = f"{base}/{quote(container, safe='$')}"
        return f"{url}/{quote(path, safe='/')}" if path else url

    def _parse(self, uri: str) -> tuple[str, str, str, str]:
        where = self._where(uri)
        assert not isinstance(where, str)  # locate() said so
        return where

    def locate(self, uri: str) -> dict[str, Any] | str:
        where = self._where(uri)
        if isinstance(where, str):
            return where
        if not where[3] and not uri.endswith("/"):
            return f"{uri!r} names a container, not a blob"
        return {"uid": uri, "name": uri, "region": "global"}

    # -- the requests -------------------------------------------------------------------------

    def _send(self, method: str, url: str, headers: dict[str, str] | None = None, *, stream: bool = False) -> Any:
        """The requests.Response of a successful answer (200, 206); raises BlobError otherwise."""
        from azure.core.pipeline.transport import HttpRequest

        request = HttpRequest(method, url, headers=headers or {})
        http = self.pipeline.run(request, stream=stream).http_response
        response: requests.Response = http.internal_response
        if response.status_code in (200, 206):
            return response
        raise _error(response, method, stream)

    def listing(self, prefix: str) -> list[str] | str:
        account, suffix, container, path = self._parse(prefix)
        found = self.ctx.call(self._list_pages, account, suffix, container, path, operation="List Blobs")
        if found is None or found is ABSENT:
            return "List Blobs failed (see errors)"
        assert isinstance(found, list)
        return found

    def _list_pages(self, account: str, suffix: str, container: str, prefix: str) -> list[str]:
        base = self._url(account, suffix, container)
        origin = f"https://{account}.blob.{suffix}/{container}/"
        query: dict[str, Any] = {"restype": "container", "comp": "list", "prefix": prefix, "maxresults": PAGE_SIZE}
        uris: list[str] = []
        for _ in range(MAX_PAGES):
            response = self._send("GET", f"{base}?{urlencode(query)}")
            names, marker = parse_listing(response.content)
            uris.extend(origin + name for name in names)
            if not marker:
                return uris
            query["marker"] = marker
        raise UnsafeXml(f"List Blobs of {container}: more than {MAX_PAGES} pages")

    def head(self, uri: str) -> Head | str | None:
        url = self._url(*self._parse(uri))
        found = self.ctx.call(self._send, "HEAD", url, operation="Get Blob Properties", absent=_ABSENT)
        if found is None:
            return "Get Blob Properties failed (see errors)"
        if found is ABSENT:
            return None
        assert isinstance(found, requests.Response)
        try:
            size = int(found.headers.get("Content-Length") or "")
        except ValueError:
            return f"Get Blob Properties answered no byte count: {str(found.headers.get('Content-Length'))[:40]!r}"
        return Head(tag=found.headers.get("ETag"), size=size)

    def stream(self, uri: str, head: Head) -> Iterator[bytes]:
        url = self._url(*self._parse(uri))
        headers = {"If-Match": head.tag} if head.tag else {}
        response = self.ctx.call(self._send, "GET", url, headers, stream=True, operation="Get Blob", absent=_ABSENT)
        if response is ABSENT:
            raise ReadError("the blob vanished between Get Blob Properties and Get Blob")
        if response is None:
            raise ReadError("Get Blob failed (see errors): changed (412) or denied since Get Blob Properties")
        assert isinstance(response, requests.Response)
        served = response.headers.get("ETag")
        yield from body_chunks(
            response,
            expected=head.tag,
            served=served,
            changed=f"the blob changed between Get Blob Properties and Get Blob (ETag {served})",
            record=lambda exc: self.ctx.error("Get Blob", type(exc).__name__, f"{uri}: reading the blob failed: {exc}"),
            what="blob",
        )

    def first_bytes(self, uri: str, length: int, seconds: float) -> bytes:
        url = self._url(*self._parse(uri))
        headers = {"x-ms-range": f"bytes=0-{length - 1}"}
        response = self.ctx.call(self._send, "GET", url, headers, stream=True, operation="Get Blob")
        return first_bytes_of(response, length, seconds)


# ---------------------------------------------------------------------------------------------
# XML, read defensively
# ---------------------------------------------------------------------------------------------


def safe_xml(body: bytes, what: str) -> ET.Element:
    """The root of ``body``: at most :data:`MAX_XML_BYTES`, no DTD, no entity declaration."""
    if len(body) > MAX_XML_BYTES:
        raise UnsafeXml(f"{what}: the answer is over {MAX_XML_BYTES // 2**20} MiB")
    lowered = body.lower()
    if b"<!doctype" in lowered or b"<!entity" in lowered:
        raise UnsafeXml(f"{what}: the answer carries a DTD or an entity declaration; refused")
    try:
        return ET.fromstring(body)  # bounded, and refused above when it declares anything
    except ET.ParseError as exc:
        raise UnsafeXml(f"{what}: the answer is not well-formed XML ({exc})") from exc


def parse_listing(body: bytes) -> tuple[list[str], str | None]:
    """(blob names, NextMarker) of a List Blobs page (``EnumerationResults``)."""
    root = safe_xml(body, "List Blobs")
    if root.tag != "EnumerationResults":
        raise UnsafeXml(f"List Blobs: the answer is <{root.tag[:40]}>, not <EnumerationResults>")
    blobs = root.find("Blobs")
    names = [] if blobs is None else [b.findtext("Name") or "" for b in blobs.findall("Blob")]
    marker = root.findtext("NextMarker") or None
    return [n for n in names if n], marker


def _error(response: requests.Response, method: str, stream: bool) -> BlobError:
    """The BlobError of an error answer: ``x-ms-error-code`` (a HEAD has no body), else the
    ``<Error><Code>`` of the body (read bounded)."""
    status = response.status_code
    code = response.headers.get("x-ms-error-code") or ""
    message = ""
    if method != "HEAD":
        try:
            raw = (response.raw.read(MAX_ERROR_BODY, decode_content=True) or b"") if stream else response.content
        except (urllib3.exceptions.HTTPError, OSError):
            raw = b""
        finally:
            response.close()
        try:
            root = safe_xml(raw, "the error answer")
        except UnsafeXml:
            root = None
        if root is not None and root.tag == "Error":
            code = code or (root.findtext("Code") or "")
            message = (root.findtext("Message") or "").split("\n", 1)[0]
    code = code or str(status)
    message = message or f"HTTP {status}"
    if code == "AuthorizationPermissionMismatch":
        message += f" (the data action {BLOB_READ} is needed, e.g. the role Storage Blob Data Reader)"
    return BlobError(status, code, message[:400])
