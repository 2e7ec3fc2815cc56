"""Azure Blob Storage's data plane on the fake ARM server: what ``--inspect-artifacts`` reads.

A request carrying ``x-ms-version`` (every Blob service request does; Resource Manager requests
do not) is a blob request, addressed as ``CSPM_AZURE_BLOB_ENDPOINT`` sends it: the account is the
first path segment (``/<account>/<container>[/<blob>]``, as Azurite serves it). Routes of the Blob
service REST API, with the documented shapes:

- List Blobs: ``GET /<acct>/<container>?restype=container&comp=list&prefix=&marker=&maxresults=``,
  XML ``<EnumerationResults>`` with ``<Blobs><Blob><Name>`` and ``<NextMarker>``;
- Get Blob Properties: ``HEAD /<acct>/<container>/<blob>``: ``ETag``, ``Content-Length``,
  ``x-ms-blob-type``; errors have no body, the code is in ``x-ms-error-code``;
- Get Blob: ``GET``; ``If-Match`` answers 412 ``ConditionNotMet`` when the ETag differs;
  ``x-ms-range`` (or ``Range``) ``bytes=0-N`` answers 206 with the first bytes.

Errors are ``<Error><Code>…</Code><Message>…</Message></Error>`` with ``x-ms-error-code``:
``BlobNotFound``/``ContainerNotFound`` 404, ``ConditionNotMet`` 412,
``AuthorizationPermissionMismatch`` 403 (the caller's roles lack the data action
:data:`BLOB_READ`: :attr:`FakeBlobs.data_actions`, None = granted).

Hostile answers for tests: ``truncated`` (the body stops halfway while Content-Length announces
it whole), ``rewrite_before_get`` (another writer replaces the blob between its HEAD and its GET:
a new ETag), ``vanish_before_get`` (deleted in between: 404), ``doctype`` (a listing with a DTD),
``dripping`` (the body arrives one byte at a time, each after the given pause).
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final
from urllib.parse import parse_qs, unquote, urlparse
from xml.sax.saxutils import escape

from cspm.demo.fake_http import Raw, drip

if TYPE_CHECKING:
    from cspm.demo.azure import FakeArm

BLOB_READ: Final = "Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read"
_PATH: Final = re.compile(r"^/(?P<account>[a-z0-9]{3,24})/(?P<container>[^/]+)(?:/(?P<blob>.+))?$")
_MESSAGES: Final = {
    "BlobNotFound": "The specified blob does not exist.",
    "ContainerNotFound": "The specified container does not exist.",
    "ConditionNotMet": "The condition specified using HTTP conditional header(s) is not met.",
    "AuthorizationPermissionMismatch": "This request is not authorized to perform this operation using this "
    "permission.",
    "NoAuthenticationInformation": "Server failed to authenticate the request. Please refer to the information "
    "in the www-authenticate header.",
    "UnsupportedHttpVerb": "The resource doesn't support specified Http Verb.",
}


@dataclass
class StoredBlob:
    data: bytes
    etag: str


@dataclass
class FakeBlobs:
    """Blobs by (account, container) and name, with the faults tests ask for."""

    blobs: dict[tuple[str, str], dict[str, StoredBlob]] = field(default_factory=dict)
    data_actions: set[str] | None = None  # the caller's granted data actions; None: every one
    truncated: set[str] = field(default_factory=set)  # "account/container/blob"
    rewrite_before_get: dict[str, bytes] = field(default_factory=dict)  # "account/container/blob" -> new data
    vanish_before_get: set[str] = field(default_factory=set)  # "account/container/blob"
    dripping: dict[str, float] = field(default_factory=dict)  # "account/container/blob" -> seconds between bytes
    dripped: dict[str, int] = field(default_factory=dict)  # "account/container/blob" -> bytes handed to the server
    doctype: bool = False  # List Blobs answers with a DTD (an XML entity attack)
    page_size: int = 5000
    reads: list[str] = field(default_factory=list)  # "account/container/blob" of each Get Blob answered 200/206
    checked: set[str] = field(default_factory=set)  # the data actions requests needed
    _counter: int = 0x8DC0_0000_0000_000
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def put(self, account: str, container: str, name: str, data: bytes) -> StoredBlob:
        with self._lock:
            self._counter += 1
            stored = StoredBlob(data, f'"0x{self._counter:X}"')
            self.blobs.setdefault((account, container), {})[name] = stored
            return stored

    def url(self, account: str, container: str, name: str = "") -> str:
        """The blob's public URL (what ARM's datastores resolve to)."""
        return f"https://{account}.blob.core.windows.net/{container}/{name}".rstrip("/")


def route(fake: FakeArm, method: str, url: str, headers: dict[str, str]) -> tuple[int, Any] | None:
    """The answer to a Blob service request (one with ``x-ms-version``); None for any other."""
    lowered = {k.lower(): v for k, v in headers.items()}
    if "x-ms-version" not in lowered:
        return None
    parsed = urlparse(url)
    match = _PATH.match(unquote(parsed.path))
    if match is None:
        return _error(400, "InvalidUri", "The requested URI does not represent any resource on the server.", method)
    store = fake.blobs
    if method not in ("GET", "HEAD"):
        with fake._lock:
            fake.violations.append(f"{method} {parsed.path}")
        return _error(405, "UnsupportedHttpVerb", _MESSAGES["UnsupportedHttpVerb"], method)
    if not lowered.get("authorization", "").startswith("Bearer "):
        return _error(401, "NoAuthenticationInformation", _MESSAGES["NoAuthenticationInformation"], method)
    with store._lock:
        store.checked.add(BLOB_READ)
    if store.data_actions is not None and BLOB_READ not in store.data_actions:
        return _error(403, "AuthorizationPermissionMismatch", _MESSAGES["AuthorizationPermissionMismatch"], method)
    key = (match["account"], match["container"])
    query = {k: v[0] for k, v in parse_qs(parsed.query).items()}
    if key not in store.blobs:
        return _error(404, "ContainerNotFound", _MESSAGES["ContainerNotFound"], method)
    if match["blob"] is None:
        if query.get("restype") == "container" and query.get("comp") == "list" and method == "GET":
            return _list(store, key, query)
        return _error(400, "InvalidQueryParameterValue", "Value for one of the query parameters is invalid.", method)
    return _blob(store, key, match["blob"], method, lowered)


def _list(store: FakeBlobs, key: tuple[str, str], query: dict[str, str]) -> tuple[int, Any]:
    prefix = query.get("prefix", "")
    names = sorted(n for n in store.blobs[key] if n.startswith(prefix))
    size = max(1, min(int(query.get("maxresults") or 5000), 5000, store.page_size))
    start = int(query.get("marker") or 0)
    page = names[start : start + size]
    items = "".join(
        f"<Blob><Name>{escape(n)}</Name><Properties><Etag>{store.blobs[key][n].etag.strip(chr(34))}</Etag>"
        f"<Content-Length>{len(store.blobs[key][n].data)}</Content-Length>"
        "<Content-Type>application/octet-stream</Content-Type><BlobType>BlockBlob</BlobType>"
        "<AccessTier>Hot</AccessTier><LeaseStatus>unlocked</LeaseStatus><LeaseState>available</LeaseState>"
        "<ServerEncrypted>true</ServerEncrypted></Properties><OrMetadata /></Blob>"
        for n in page
    )
    following = str(start + size) if start + size < len(names) else ""
    dtd = '<!DOCTYPE r [<!ENTITY e SYSTEM "file:///etc/passwd">]>' if store.doctype else ""
    body = (
        f'<?xml version="1.0" encoding="utf-8"?>{dtd}'
        f'<EnumerationResults ServiceEndpoint="https://{key[0]}.blob.core.windows.net/" ContainerName="{key[1]}">'
        f"<Prefix>{escape(prefix)}</Prefix><MaxResults>{size}</MaxResults><Blobs>{items}</Blobs>"
        f"<NextMarker>{following}</NextMarker></EnumerationResults>"
    ).encode()
    headers = {"Content-Type": "application/xml", "Content-Length": str(len(body)), "x-ms-version": "2023-11-03"}
    return 200, Raw(headers, [body])


def _blob(store: FakeBlobs, key: tuple[str, str], name: str, method: str, headers: dict[str, str]) -> tuple[int, Any]:
    ref = f"{key[0]}/{key[1]}/{name}"
    blobs = store.blobs[key]
    if method == "GET":
        replacement = store.rewrite_before_get.pop(ref, None)
        if replacement is not None:
            store.put(key[0], key[1], name, replacement)
        if ref in store.vanish_before_get:
            blobs.pop(name, None)
    stored = blobs.get(name)
    if stored is None:
        return _error(404, "BlobNotFound", _MESSAGES["BlobNotFound"], method)
    wanted = headers.get("if-match")
    if wanted is not None and wanted not in (stored.etag, "*"):
        return _error(412, "ConditionNotMet", _MESSAGES["ConditionNotMet"], method)
    data, status = stored.data, 200
    answer = {
        "Content-Type": "application/octet-stream",
        "ETag": stored.etag,
        "Last-Modified": "Mon, 02 Nov 2026 09:14:00 GMT",
        "x-ms-blob-type": "BlockBlob",
        "x-ms-server-encrypted": "true",
        "x-ms-version": "2023-11-03",
        "Accept-Ranges": "bytes",
    }
    ranged = re.fullmatch(r"bytes=0-(\d+)", headers.get("x-ms-range", headers.get("range", "")))
    if ranged is not None and method == "GET":
        data, status = data[: int(ranged.group(1)) + 1], 206
        answer["Content-Range"] = f"bytes 0-{len(data) - 1}/{len(stored.data)}"
    answer["Content-Length"] = str(len(data))
    if method == "HEAD":
        return 200, Raw(answer, [])
    with store._lock:
        store.reads.append(ref)
    body: Iterable[bytes] = [data[: len(data) // 2]] if ref in store.truncated else [data]
    if ref in store.dripping:
        body = drip(data, store.dripping[ref], store.dripped, ref, store._lock)
    return status, Raw(answer, body)


def _error(status: int, code: str, message: str, method: str) -> tuple[int, Any]:
    """The Blob service's error answer (a HEAD's has no body)."""
    body = (
        b""
        if method == "HEAD"
        else (
            f'<?xml version="1.0" encoding="utf-8"?><Error><Code>{code}</Code><Message>{escape(message)}\n'
            "RequestId:00000000-0000-0000-0000-000000000000\nTime:2026-12-06T09:14:00.0000000Z</Message></Error>"
        ).encode()
    )
    headers = {"Content-Type": "application/xml", "Content-Length": str(len(body)), "x-ms-error-code": code}
    return status, Raw(headers, [body] if body else [])
