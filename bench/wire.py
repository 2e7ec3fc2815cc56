"""Decode AWS requests from the wire (WSGI environ) and count them.

:func:`decode` names the service and operation of a request the way AWS does: ``X-Amz-Target``
for the JSON protocols (SageMaker), the ``Action`` parameter for the query protocols (IAM, STS,
EC2), the method and path against the botocore models for Bedrock's REST-JSON services
(:func:`cspm.demo.bedrock_gaps.operation_of`), and the method, path and sub-resource for S3's
REST protocol (plus the bucket, so requests
can be counted per bucket). :class:`CountingMiddleware` wraps moto's WSGI app and counts every
request; ``GET /_bench/counts`` returns the counts and ``POST /_bench/reset`` clears them.
"""

from __future__ import annotations

import io
import json
import threading
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs

COUNTS_PATH = "/_bench/counts"
RESET_PATH = "/_bench/reset"

# S3 sub-resources (query keys) -> the operation's noun: GET -> Get<noun>, PUT -> Put<noun>, ...
S3_SUBRESOURCES = {
    "acl": "BucketAcl",
    "cors": "BucketCors",
    "encryption": "BucketEncryption",
    "lifecycle": "BucketLifecycleConfiguration",
    "location": "BucketLocation",
    "logging": "BucketLogging",
    "notification": "BucketNotificationConfiguration",
    "object-lock": "ObjectLockConfiguration",
    "ownershipControls": "BucketOwnershipControls",
    "policy": "BucketPolicy",
    "policyStatus": "BucketPolicyStatus",
    "publicAccessBlock": "PublicAccessBlock",
    "replication": "BucketReplication",
    "tagging": "BucketTagging",
    "versioning": "BucketVersioning",
    "website": "BucketWebsite",
}
_VERBS = {"GET": "Get", "PUT": "Put", "DELETE": "Delete", "HEAD": "Head", "POST": "Post"}
_BUCKET_OPS = {"GET": "ListObjects", "PUT": "CreateBucket", "HEAD": "HeadBucket", "DELETE": "DeleteBucket"}
_OBJECT_OPS = {"GET": "GetObject", "PUT": "PutObject", "HEAD": "HeadObject", "DELETE": "DeleteObject"}


@dataclass(frozen=True)
class Request:
    service: str  # s3, s3control, iam, sts, ec2, sagemaker, kms, ...
    operation: str
    bucket: str = ""  # S3 requests on a bucket

    def key(self) -> str:
        return f"{self.service}|{self.operation}|{self.bucket}"

    @classmethod
    def from_key(cls, key: str) -> Request:
        service, operation, bucket = key.split("|", 2)
        return cls(service, operation, bucket)


def signing_service(authorization: str) -> str:
    """The service of a SigV4 credential scope: ``Credential=AKID/DATE/REGION/SERVICE/aws4_request``."""
    for part in authorization.replace(",", " ").split():
        if part.startswith("Credential="):
            scope = part.removeprefix("Credential=").split("/")
            if len(scope) >= 4:
                return scope[3]
    return "unknown"


def decode(method: str, path: str, query: str, headers: Mapping[str, str], body: bytes = b"") -> Request:
    """Service and operation of one request. ``headers`` keys are lower-case."""
    service = signing_service(headers.get("authorization", ""))
    if service in ("bedrock", "bedrock-agentcore"):  # REST-JSON: named by method and path
        from cspm.demo.bedrock_gaps import operation_of

        named = operation_of(method, path)
        return Request(service, named[1] if named else f"{method} {path}")
    target = headers.get("x-amz-target", "")
    if target:
        return Request(service, target.rsplit(".", 1)[-1])
    params = parse_qs(query, keep_blank_values=True)
    if "x-www-form-urlencoded" in headers.get("content-type", "") and body:
        params = {**params, **parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True)}
    if "Action" in params:
        return Request(service, params["Action"][0])
    if path.startswith("/v20180820/"):
        return _s3control(method, path)
    return _s3(method, path, params)


def _s3control(method: str, path: str) -> Request:
    if path.startswith("/v20180820/configuration/publicAccessBlock"):
        return Request("s3control", f"{_VERBS.get(method, method)}PublicAccessBlock")
    return Request("s3control", f"{method} {path}")


def _s3(method: str, path: str, params: Mapping[str, Any]) -> Request:
    bucket, _, key = path.lstrip("/").partition("/")
    if not bucket:
        return Request("s3", "ListBuckets" if method == "GET" else f"{method} /")
    for sub, noun in S3_SUBRESOURCES.items():
        if sub in params:
            return Request("s3", f"{_VERBS.get(method, method)}{noun}", bucket)
    operations = _OBJECT_OPS if key else _BUCKET_OPS
    return Request("s3", operations.get(method, f"{method} {'object' if key else 'bucket'}"), bucket)


StartResponse = Callable[..., Any]
WsgiApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]


class CountingMiddleware:
    """Counts every request by (service, operation, bucket) before handing it to ``app``."""

    def __init__(self, app: WsgiApp) -> None:
        self.app = app
        self.counts: Counter[str] = Counter()
        self._lock = threading.Lock()

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path == COUNTS_PATH:
            with self._lock:
                payload = json.dumps(dict(self.counts)).encode()
            start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(payload)))])
            return [payload]
        if path == RESET_PATH:
            with self._lock:
                self.counts.clear()
            start_response("204 No Content", [])
            return [b""]
        request = self._decode(environ)
        with self._lock:
            self.counts[request.key()] += 1
        return self.app(environ, start_response)

    def _decode(self, environ: dict[str, Any]) -> Request:
        headers = {k[5:].replace("_", "-").lower(): v for k, v in environ.items() if k.startswith("HTTP_")}
        headers["content-type"] = environ.get("CONTENT_TYPE", "")
        body = b""
        if "x-www-form-urlencoded" in headers["content-type"]:
            length = int(environ.get("CONTENT_LENGTH") or 0)
            body = environ["wsgi.input"].read(length) if length else b""
            environ["wsgi.input"] = io.BytesIO(body)  # moto reads the body again
        return decode(
            environ.get("REQUEST_METHOD", "GET"),
            environ.get("PATH_INFO", ""),
            environ.get("QUERY_STRING", ""),
            headers,
            body,
        )
