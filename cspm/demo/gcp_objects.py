"""Cloud Storage objects for :class:`cspm.demo.gcp.FakeGcs`: what ``--inspect-artifacts`` reads.

Routes of the JSON API v1, with the documented shapes (``storage#objects``, ``storage#object``,
the ``{"error": {"code", "message", "errors": [{"domain", "reason", "message"}]}}`` body):

- ``GET /storage/v1/b/{bucket}/o?prefix=&maxResults=&pageToken=`` (objects.list);
- ``GET /storage/v1/b/{bucket}/o/{object}`` (objects.get: metadata; ``generation`` and ``size``
  are strings, as Google sends them);
- ``GET /storage/v1/b/{bucket}/o/{object}?alt=media`` (the contents; ``ifGenerationMatch`` answers
  412 ``conditionNotMet`` when the generation differs; a ``Range: bytes=0-N`` header answers 206
  with the first bytes; ``x-goog-generation`` names the generation served).

Hostile answers for tests: ``denied`` (a bucket, or ``bucket/object``: 403 ``forbidden`` naming
the missing permission, as for a bucket of a project the caller cannot read), ``truncated``
(the media body stops halfway while Content-Length announces it whole), ``rewrite_before_media``
(another writer replaces the object between its metadata and its media read: a new generation),
``vanish_before_media`` (it is deleted in between: 404), ``dripping`` (the media body arrives one
byte at a time, each after the given pause: every wait is far shorter than a read timeout).
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import struct
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Final

from cspm.demo.fake_http import Raw, drip

_OBJECTS: Final = re.compile(r"^/storage/v1/b/(?P<bucket>[^/]+)/o(?:/(?P<name>.+))?$")
SCANNER: Final = "cspm-scanner@acme-ml-research.iam.gserviceaccount.com"


def _error(code: int, reason: str, message: str) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "errors": [{"message": message, "domain": "global",
                                                                    "reason": reason}]}}  # fmt: skip


@dataclass
class StoredObject:
    data: bytes
    generation: int
    kms_key: str | None = None


@dataclass
class FakeObjects:
    """Objects by bucket and name, with the faults tests ask for."""

    objects: dict[str, dict[str, StoredObject]] = field(default_factory=dict)
    denied: set[str] = field(default_factory=set)  # "bucket" or "bucket/name"
    truncated: set[str] = field(default_factory=set)  # "bucket/name"
    rewrite_before_media: dict[str, bytes] = field(default_factory=dict)  # "bucket/name" -> new contents
    vanish_before_media: set[str] = field(default_factory=set)  # "bucket/name": deleted before its media read
    dripping: dict[str, float] = field(default_factory=dict)  # "bucket/name" -> seconds between its bytes
    dripped: dict[str, int] = field(default_factory=dict)  # "bucket/name" -> bytes of it handed to the server
    media_reads: list[str] = field(default_factory=list)  # "bucket/name" of each media answer (200/206)
    _generation: int = 1_700_000_000_000_000
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def put(self, bucket: str, name: str, data: bytes, kms_key: str | None = None) -> StoredObject:
        with self._lock:
            self._generation += 1
            stored = StoredObject(data, self._generation, kms_key)
            self.objects.setdefault(bucket, {})[name] = stored
            return stored

    def answer(self, path: str, query: dict[str, str], headers: dict[str, str]) -> tuple[int, Any] | None:
        """The answer to an object route, or None for any other path."""
        match = _OBJECTS.match(path)
        if match is None:
            return None
        bucket, name = match.group("bucket"), match.group("name")
        if name is None:
            return self._list(bucket, query)
        if bucket in self.denied or f"{bucket}/{name}" in self.denied:
            return 403, _error(
                403,
                "forbidden",
                f"{SCANNER} does not have storage.objects.get access to the Google Cloud Storage object. "
                "Permission 'storage.objects.get' denied on resource (or it may not exist).",
            )
        if bucket not in self.objects:
            return 404, _error(404, "notFound", "The specified bucket does not exist.")
        if query.get("alt") == "media":
            return self._media(bucket, name, query, headers)
        stored = self.objects[bucket].get(name)
        if stored is None:
            return 404, _error(404, "notFound", f"No such object: {bucket}/{name}")
        return 200, object_resource(bucket, name, stored)

    def _list(self, bucket: str, query: dict[str, str]) -> tuple[int, Any]:
        if bucket in self.denied:
            return 403, _error(
                403,
                "forbidden",
                f"{SCANNER} does not have storage.objects.list access to the Google Cloud Storage bucket. "
                "Permission 'storage.objects.list' denied on resource (or it may not exist).",
            )
        if bucket not in self.objects:
            return 404, _error(404, "notFound", "The specified bucket does not exist.")
        prefix = query.get("prefix", "")
        names = sorted(n for n in self.objects[bucket] if n.startswith(prefix))
        size = max(1, min(int(query.get("maxResults") or 1000), 1000))
        start = int(query.get("pageToken") or 0)
        page: dict[str, Any] = {"kind": "storage#objects"}
        items = [object_resource(bucket, n, self.objects[bucket][n]) for n in names[start : start + size]]
        if items:
            page["items"] = items  # Google leaves it out of an empty page
        if start + size < len(names):
            page["nextPageToken"] = str(start + size)
        return 200, page

    def _media(self, bucket: str, name: str, query: dict[str, str], headers: dict[str, str]) -> tuple[int, Any]:
        key = f"{bucket}/{name}"
        replacement = self.rewrite_before_media.pop(key, None)
        if replacement is not None:
            self.put(bucket, name, replacement)
        if key in self.vanish_before_media:
            self.objects[bucket].pop(name, None)
        stored = self.objects[bucket].get(name)
        if stored is None:
            return 404, _error(404, "notFound", f"No such object: {bucket}/{name}")
        wanted = query.get("ifGenerationMatch")
        if wanted is not None and wanted != str(stored.generation):
            message = "At least one of the pre-conditions you specified did not hold."
            return 412, {"error": {"code": 412, "message": message, "errors": [
                {"message": message, "domain": "global", "reason": "conditionNotMet", "locationType": "header",
                 "location": "If-Match"}]}}  # fmt: skip
        data, status = stored.data, 200
        ranged = re.fullmatch(r"bytes=0-(\d+)", {k.lower(): v for k, v in headers.items()}.get("range", ""))
        if ranged is not None:
            data, status = data[: int(ranged.group(1)) + 1], 206
        with self._lock:
            self.media_reads.append(key)
        answer = {
            "Content-Type": "application/octet-stream",
            "Content-Length": str(len(data)),
            "x-goog-generation": str(stored.generation),
            "x-goog-metageneration": "1",
            "x-goog-stored-content-length": str(len(stored.data)),
        }
        body: Iterable[bytes] = [data[: len(data) // 2]] if key in self.truncated else [data]
        if key in self.dripping:
            body = drip(data, self.dripping[key], self.dripped, key, self._lock)
        return status, Raw(answer, body)


def object_resource(bucket: str, name: str, stored: StoredObject) -> dict[str, Any]:
    """A ``storage#object`` resource as objects.get and objects.list return it."""
    md5 = base64.b64encode(hashlib.md5(stored.data, usedforsecurity=False).digest()).decode()
    raw: dict[str, Any] = {
        "kind": "storage#object",
        "id": f"{bucket}/{name}/{stored.generation}",
        "selfLink": f"https://www.googleapis.com/storage/v1/b/{bucket}/o/{name.replace('/', '%2F')}",
        "mediaLink": f"https://storage.googleapis.com/download/storage/v1/b/{bucket}/o/"
        f"{name.replace('/', '%2F')}?generation={stored.generation}&alt=media",
        "name": name,
        "bucket": bucket,
        "generation": str(stored.generation),
        "metageneration": "1",
        "contentType": "application/octet-stream",
        "storageClass": "STANDARD",
        "size": str(len(stored.data)),
        "md5Hash": md5,
        "etag": base64.b64encode(struct.pack("<Q", stored.generation)).decode(),
        "timeCreated": "2026-11-02T09:14:00.000Z",
        "updated": "2026-11-02T09:14:00.000Z",
    }
    if stored.kms_key:
        raw["kmsKeyName"] = f"{stored.kms_key}/cryptoKeyVersions/1"
    return raw


# ---------------------------------------------------------------------------------------------
# The demo's model files (built here, never loaded)
# ---------------------------------------------------------------------------------------------

# A pickle (protocol 2) whose loading calls os.system("id"): GLOBAL os.system, a tuple, REDUCE.
MALICIOUS_PICKLE: Final = b"\x80\x02cos\nsystem\nq\x00X\x02\x00\x00\x00idq\x01\x85q\x02Rq\x03."


def safetensors_model() -> bytes:
    """A small safetensors file: one 2x2 float32 tensor."""
    header = json.dumps({"weight": {"dtype": "F32", "shape": [2, 2], "data_offsets": [0, 16]}}).encode()
    return struct.pack("<Q", len(header)) + header + struct.pack("<4f", 0.5, -0.25, 1.0, 0.0)
