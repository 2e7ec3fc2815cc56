"""Faults on the wire, in front of a moto server: throttling, latency, AccessDenied, and answers
for the few read operations moto does not implement.

:class:`FaultMiddleware` is a WSGI middleware around moto's own WSGI app. It names every request
by service and API operation, as AWS does (``X-Amz-Target`` for the JSON protocols, ``Action``
for the query protocols, method + path + sub-resource for S3's REST protocol), and then, by
operation:

- **throttles** a share of requests with each protocol's real throttling error: JSON protocols
  HTTP 400 ``{"__type": "ThrottlingException"}``; query protocols (IAM, STS) HTTP 400
  ``<ErrorResponse><Error><Code>Throttling</Code>``; EC2 HTTP 400 ``<Response><Errors><Error>
  <Code>RequestLimitExceeded</Code>``; S3 HTTP 503 ``<Error><Code>SlowDown</Code>``.
  Which requests are throttled is reproducible: the decision is a hash of the seed, the request
  (method, path, query, body) and how many times that same request was seen before, so it does
  not depend on the order in which a multi-threaded client's requests arrive; a retry is a new
  occurrence and gets a new draw;
  ``throttle_first`` throttles the first N requests of an operation instead;
- **denies** chosen operations with each protocol's AccessDenied (``AccessDeniedException``,
  ``AccessDenied``, EC2's ``UnauthorizedOperation``), with a message that can be set per test;
- **delays** every request by ``latency`` seconds (the benchmark: real AWS answers in tens of ms);
- **stubs** operations moto lacks (see :data:`MOTO_GAPS`; the Bedrock ones are served behind
  the middleware by :class:`cspm.demo.bedrock_gaps.BedrockGaps`, from ``FaultServer.bedrock``);
- **breaks** chosen operations' answers: ``server_errors`` (HTTP 500 with the protocol's
  ``InternalError``/``InternalFailure``, every time), ``truncated`` (HTTP 200, the real body cut
  in half, with a Content-Length that matches the cut), ``drip`` (the real answer, one byte every
  N seconds), ``huge`` (HTTP 200 and a body of N spaces, produced as it is sent);
- **records** every request: the call, what happened to it, the HTTP status, the access key id.

Faults can be set per access key id (``configure(per_key=...)``), so scans with different faults
share one server. Requests to moto's own control API (``/moto-api/...``) always pass untouched.
moto's IAM-mode AccessDenied answers, which botocore cannot parse for JSON-protocol services and
S3 Control, are re-rendered as each service's own error.

:class:`FaultServer` runs moto's WSGI app behind the middleware on 127.0.0.1 in a thread of this
process (like ``ThreadedMotoServer``, so tests can still reach moto's backends in-process, e.g.
``support.aws.patch_sagemaker``).

This module imports nothing from cspm and only the standard library at import time (moto,
werkzeug and the Bedrock gap layer, ``cspm.demo.bedrock_gaps``, load when a server starts or the
first Bedrock request is named), so the benchmark can load it by path::

    spec = importlib.util.spec_from_file_location("faults", "tests/support/faults.py")
    faults = importlib.util.module_from_spec(spec); spec.loader.exec_module(faults)
"""

from __future__ import annotations

import functools
import hashlib
import io
import json
import logging
import re
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qs

StartResponse = Callable[..., Any]
WsgiApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]

# ---------------------------------------------------------------------------------------------
# Naming a request
# ---------------------------------------------------------------------------------------------

JSON, QUERY, EC2, REST_XML = "json", "query", "ec2", "rest-xml"

# S3 GET sub-resources -> API operation (the reads; anything else is named "<METHOD> <kind>").
S3_GET_SUBRESOURCES = {
    "acl": "GetBucketAcl",
    "encryption": "GetBucketEncryption",
    "location": "GetBucketLocation",
    "logging": "GetBucketLogging",
    "object-lock": "GetObjectLockConfiguration",
    "ownershipControls": "GetBucketOwnershipControls",
    "policy": "GetBucketPolicy",
    "policyStatus": "GetBucketPolicyStatus",
    "publicAccessBlock": "GetPublicAccessBlock",
    "tagging": "GetBucketTagging",
    "versioning": "GetBucketVersioning",
    "lifecycle": "GetBucketLifecycleConfiguration",
    "replication": "GetBucketReplication",
    "cors": "GetBucketCors",
    "website": "GetBucketWebsite",
    "notification": "GetBucketNotificationConfiguration",
}
S3CONTROL_PREFIX = "/v20180820/"


@dataclass(frozen=True)
class Call:
    """One request: the service (signing name, ``s3control`` for S3 Control) and API operation."""

    service: str
    operation: str
    protocol: str
    bucket: str = ""
    region: str = ""

    @property
    def name(self) -> str:
        """``service:Operation``, the key faults are configured with."""
        return f"{self.service}:{self.operation}"


def credential_scope(authorization: str) -> tuple[str, str]:
    """(region, service) of a SigV4 ``Credential=AKID/DATE/REGION/SERVICE/aws4_request``."""
    for part in authorization.replace(",", " ").split():
        if part.startswith("Credential="):
            scope = part.removeprefix("Credential=").split("/")
            if len(scope) >= 4:
                return scope[2], scope[3]
    return "", "unknown"


def decode(method: str, path: str, query: str, headers: Mapping[str, str], body: bytes = b"") -> Call:
    """Service and operation of one request. ``headers`` keys are lower-case."""
    region, service = credential_scope(headers.get("authorization", ""))
    if service in REST_JSON_SERVICES:
        return Call(service, _rest_json_operation(service, method, path), JSON, region=region)
    target = headers.get("x-amz-target", "")
    if target:
        return Call(service, target.rsplit(".", 1)[-1], JSON, region=region)
    params = parse_qs(query, keep_blank_values=True)
    if "x-www-form-urlencoded" in headers.get("content-type", "") and body:
        params = {**params, **parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True)}
    if "Action" in params:
        return Call(service, params["Action"][0], EC2 if service == "ec2" else QUERY, region=region)
    if path.startswith(S3CONTROL_PREFIX):
        if path.startswith(f"{S3CONTROL_PREFIX}configuration/publicAccessBlock"):
            return Call("s3control", f"{method.title()}PublicAccessBlock", REST_XML, region=region)
        return Call("s3control", f"{method} {path}", REST_XML, region=region)
    bucket, _, key = path.lstrip("/").partition("/")
    if not bucket:
        return Call("s3", "ListBuckets" if method == "GET" else f"{method} /", REST_XML, region=region)
    if method == "GET":
        for sub, operation in S3_GET_SUBRESOURCES.items():
            if sub in params:
                return Call("s3", operation, REST_XML, bucket, region)
    return Call("s3", f"{method} {'object' if key else 'bucket'}", REST_XML, bucket, region)


# Signing names of the REST-JSON services the scanner reads (Bedrock, Bedrock Agents and the
# AgentCore control plane, Lambda): their operations are named from the method and path, with the
# botocore models — Bedrock's by cspm.demo.bedrock_gaps (imported when the first such request
# arrives), Lambda's by :func:`lambda_operation`. Their errors are answered like the JSON
# protocols' (botocore reads ``__type`` in both).
REST_JSON_SERVICES = frozenset({"bedrock", "bedrock-agentcore", "lambda"})


def _rest_json_operation(service: str, method: str, path: str) -> str:
    if service == "lambda":
        return lambda_operation(method, path.split("?", maxsplit=1)[0])
    from cspm.demo.bedrock_gaps import operation_of

    named = operation_of(method, path)
    return named[1] if named else f"{method} {path}"


@functools.cache
def _lambda_routes() -> tuple[tuple[str, re.Pattern[str], str], ...]:
    """(HTTP method, anchored path pattern, operation) of every Lambda operation (botocore model)."""
    import botocore.session

    model = botocore.session.get_session().get_service_model("lambda")
    routes = []
    for name in model.operation_names:
        http = model.operation_model(name).http
        uri = re.escape(http["requestUri"].split("?")[0].rstrip("/"))
        routes.append((http["method"], re.compile("^" + re.sub(r"\\\{[A-Za-z]+\+?\\\}", "[^/]+", uri) + "/?$"), name))
    return tuple(routes)


def lambda_operation(method: str, path: str) -> str:
    return next(
        (name for verb, pattern, name in _lambda_routes() if verb == method and pattern.match(path)), f"{method} {path}"
    )


# ---------------------------------------------------------------------------------------------
# Errors in each protocol's wire format
# ---------------------------------------------------------------------------------------------

THROTTLING = {  # protocol -> (HTTP status, error code), as AWS sends them
    JSON: (400, "ThrottlingException"),
    QUERY: (400, "Throttling"),
    EC2: (400, "RequestLimitExceeded"),
    REST_XML: (503, "SlowDown"),
}
DENIED = {
    JSON: (400, "AccessDeniedException"),
    QUERY: (403, "AccessDenied"),
    EC2: (403, "UnauthorizedOperation"),
    REST_XML: (403, "AccessDenied"),
}
THROTTLING_MESSAGE = "Rate exceeded"
DENIED_MESSAGE = "User is not authorized to perform this operation"


def error_response(protocol: str, status: int, code: str, message: str) -> tuple[int, list[tuple[str, str]], bytes]:
    """(status, headers, body) of an AWS error in ``protocol``'s wire format."""
    request_id = "faults-0000"
    if protocol == JSON:
        body = json.dumps({"__type": code, "message": message}).encode()
        return status, [("Content-Type", "application/x-amz-json-1.1"), ("x-amzn-ErrorType", code)], body
    text = _xml_escape(message)
    if protocol == EC2:
        xml = (
            f"<Response><Errors><Error><Code>{code}</Code><Message>{text}</Message></Error></Errors>"
            f"<RequestID>{request_id}</RequestID></Response>"
        )
    elif protocol == QUERY:
        xml = (
            f"<ErrorResponse><Error><Type>Sender</Type><Code>{code}</Code><Message>{text}</Message></Error>"
            f"<RequestId>{request_id}</RequestId></ErrorResponse>"
        )
    else:
        xml = f"<Error><Code>{code}</Code><Message>{text}</Message><RequestId>{request_id}</RequestId></Error>"
    body = ('<?xml version="1.0" encoding="UTF-8"?>\n' + xml).encode()
    return status, [("Content-Type", "text/xml")], body


def _xml_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


# ---------------------------------------------------------------------------------------------
# What moto lacks
# ---------------------------------------------------------------------------------------------

Stub = Mapping[str, Any] | Callable[[Call], Mapping[str, Any]]


def _sagemaker_backends(region: str) -> list[Any]:
    from moto.sagemaker.models import sagemaker_backends

    return [sagemaker_backends[account][region] for account in list(sagemaker_backends) if region]


def lifecycle_configs_from_backend(call: Call) -> dict[str, Any]:
    """ListNotebookInstanceLifecycleConfigs, read from moto's in-process backend (moto stores and
    describes the configurations, but does not list them)."""
    configs = [
        {
            "NotebookInstanceLifecycleConfigName": name,
            "NotebookInstanceLifecycleConfigArn": config.arn,
            "CreationTime": config.creation_time,
            "LastModifiedTime": config.last_modified_time,
        }
        for backend in _sagemaker_backends(call.region)
        for name, config in backend.notebook_instance_lifecycle_configurations.items()
    ]
    return {"NotebookInstanceLifecycleConfigs": configs}


def feature_groups_from_backend(call: Call) -> dict[str, Any]:
    """ListFeatureGroups, read from moto's in-process backend (moto creates and describes feature
    groups, but does not list them)."""
    groups = [
        {
            "FeatureGroupName": group.feature_group_name,
            "FeatureGroupArn": arn,
            "CreationTime": group.creation_time,
            "FeatureGroupStatus": "Created",
        }
        for backend in _sagemaker_backends(call.region)
        for arn, group in backend.feature_groups.items()
    ]
    return {"FeatureGroupSummaries": groups}


# Read operations the scanner calls that moto 5.2 does not implement (its server answers an HTML
# 500 page, which botocore retries as a transient error). Listings of kinds moto stores are read
# from its backend (this needs the in-process FaultServer); kinds moto cannot create at all are
# answered empty, as AWS answers for an account that has none.
MOTO_GAPS: dict[str, Stub] = {
    "sagemaker:ListFeatureGroups": feature_groups_from_backend,
    "sagemaker:ListInferenceExperiments": {"InferenceExperiments": []},
    "sagemaker:ListMonitoringSchedules": {"MonitoringScheduleSummaries": []},
    "sagemaker:ListNotebookInstanceLifecycleConfigs": lifecycle_configs_from_backend,
}


# ---------------------------------------------------------------------------------------------
# The middleware
# ---------------------------------------------------------------------------------------------

FORWARDED, THROTTLED, DENIED_OUTCOME, STUBBED = "forwarded", "throttled", "denied", "stubbed"
SERVER_ERROR, TRUNCATED, DRIPPED, HUGE = "server-error", "truncated", "dripped", "huge"

SERVER_ERROR_MESSAGE = "We encountered an internal error. Please try again."
SERVER_ERRORS = {  # protocol -> error code of an HTTP 500, as AWS sends them
    JSON: "InternalFailure",
    QUERY: "InternalFailure",
    EC2: "InternalError",
    REST_XML: "InternalError",
}


@dataclass(frozen=True)
class Record:
    """One request and what the middleware did with it."""

    call: Call
    outcome: str  # forwarded | throttled | denied | stubbed | server-error | truncated | dripped | huge
    status: int  # the HTTP status sent back
    access_key: str = ""  # the access key id that signed the request
    at: float = 0.0  # time.monotonic() when the answer started


@dataclass(frozen=True)
class Faults:
    """What to inject. ``denied``, ``throttle_only``, ``throttle_first``, ``stubs``: by
    ``service:Operation`` name (``denied`` also takes a bare operation name, or
    ``s3:GET object@bucket`` to deny an S3 operation on one bucket only)."""

    throttle_rate: float = 0.0  # share of requests answered with a throttling error
    throttle_only: frozenset[str] = frozenset()  # when set, only these operations are throttled
    throttle_first: Mapping[str, int] = field(default_factory=dict)  # name -> its first N requests throttled
    latency: float = 0.0  # seconds added to every request
    denied: frozenset[str] = frozenset()
    denied_message: Mapping[str, str] = field(default_factory=dict)  # name -> message; default DENIED_MESSAGE
    stubs: Mapping[str, Stub] = field(default_factory=lambda: dict(MOTO_GAPS))  # name -> JSON answer
    server_errors: frozenset[str] = frozenset()  # answered HTTP 500, every time
    truncated: frozenset[str] = frozenset()  # HTTP 200, half of the real body
    # name (or ``s3:GET object@bucket``) -> seconds between bytes of the answer
    drip: Mapping[str, float] = field(default_factory=dict)
    huge: Mapping[str, int] = field(default_factory=dict)  # name -> bytes of an HTTP 200 body of spaces

    def is_denied(self, call: Call) -> bool:
        return (
            call.name in self.denied
            or call.operation in self.denied
            or bool(call.bucket and f"{call.name}@{call.bucket}" in self.denied)
        )

    def drip_pause(self, call: Call) -> float | None:
        """Seconds between the bytes of ``call``'s answer, by name or by name@bucket; None: not dripped."""
        found = self.drip.get(f"{call.name}@{call.bucket}") if call.bucket else None
        return found if found is not None else self.drip.get(call.name)


class FaultMiddleware:
    """Wraps moto's WSGI app; see the module docstring.

    ``faults`` applies to every request; ``per_key`` to the requests signed with one access key
    id, so that scans with different faults can run against one server at the same time.
    """

    def __init__(self, app: WsgiApp, *, seed: int = 0, faults: Faults | None = None) -> None:
        self.app = app
        self.seed = seed
        self.faults = faults or Faults()
        self.per_key: dict[str, Faults] = {}
        self.records: list[Record] = []
        self.dripped: Counter[str] = Counter()  # call name -> bytes of dripped answers handed to the server
        self._seen: Counter[bytes] = Counter()
        self._lock = threading.Lock()

    def configure(
        self, faults: Faults, *, seed: int | None = None, per_key: Mapping[str, Faults] | None = None
    ) -> None:
        """Replace the faults (and the seed) and forget what was recorded."""
        with self._lock:
            self.faults = faults
            self.per_key = dict(per_key or {})
            if seed is not None:
                self.seed = seed
            self.records.clear()
            self.dripped.clear()
            self._seen.clear()

    def calls(self, outcome: str | None = None, *, access_key: str | None = None) -> list[Record]:
        with self._lock:
            return [
                r
                for r in self.records
                if (outcome is None or r.outcome == outcome) and (access_key is None or r.access_key == access_key)
            ]

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path.startswith("/moto-api/"):
            return self.app(environ, start_response)
        body = _read_body(environ)
        call = decode(
            environ.get("REQUEST_METHOD", "GET"), path, environ.get("QUERY_STRING", ""), _headers(environ), body
        )
        key = _access_key(environ)
        with self._lock:
            faults = self.per_key.get(key, self.faults)
        if faults.latency:
            time.sleep(faults.latency)
        if self._throttle(faults, call, environ, body):
            status, code = THROTTLING[call.protocol]
            error = error_response(call.protocol, status, code, THROTTLING_MESSAGE)
            return self._answer(start_response, Record(call, THROTTLED, status, key), *error[1:])
        if faults.is_denied(call):
            status, code = DENIED[call.protocol]
            error = error_response(call.protocol, status, code, faults.denied_message.get(call.name, DENIED_MESSAGE))
            return self._answer(start_response, Record(call, DENIED_OUTCOME, status, key), *error[1:])
        if call.name in faults.server_errors:
            error = error_response(call.protocol, 500, SERVER_ERRORS[call.protocol], SERVER_ERROR_MESSAGE)
            return self._answer(start_response, Record(call, SERVER_ERROR, 500, key), *error[1:])
        if call.name in faults.huge:
            return self._huge(start_response, Record(call, HUGE, 200, key), faults.huge[call.name])
        stub = faults.stubs.get(call.name)
        if stub is not None and call.protocol == JSON:
            answer = stub(call) if callable(stub) else stub
            payload = json.dumps(answer, default=_json_default).encode()
            headers = [("Content-Type", "application/x-amz-json-1.1")]
            return self._answer(start_response, Record(call, STUBBED, 200, key), headers, payload)
        if call.name in faults.truncated:
            return self._forward(environ, start_response, call, key, TRUNCATED, lambda body: body[: len(body) // 2])
        pause = faults.drip_pause(call)
        if pause is not None:
            return self._drip(environ, start_response, call, key, pause)
        return self._forward(environ, start_response, call, key)

    def _huge(self, start_response: StartResponse, record: Record, size: int) -> Iterable[bytes]:
        with self._lock:
            self.records.append(replace(record, at=time.monotonic()))
        start_response("200 OK", [("Content-Type", "application/x-amz-json-1.1"), ("Content-Length", str(size))])
        chunk = b" " * 2**20

        def body() -> Iterable[bytes]:
            sent = 0
            while sent < size:
                part = chunk[: size - sent]
                sent += len(part)
                yield part

        return body()

    def _drip(
        self, environ: dict[str, Any], start_response: StartResponse, call: Call, key: str, seconds: float
    ) -> Iterable[bytes]:
        """The real answer, one byte every ``seconds`` (the thread ends when the client leaves)."""
        answer: list[bytes] = []

        def keep(body: bytes) -> bytes:
            answer.append(body)
            return body

        whole = self._forward(environ, start_response, call, key, DRIPPED, keep)
        if not answer:  # not a successful answer: sent as it is
            return whole

        def body() -> Iterable[bytes]:
            for i in range(len(answer[0])):
                time.sleep(seconds)
                with self._lock:
                    self.dripped[call.name] += 1
                yield answer[0][i : i + 1]

        return body()

    def _throttle(self, faults: Faults, call: Call, environ: dict[str, Any], body: bytes) -> bool:
        first = faults.throttle_first.get(call.name, 0)
        if faults.throttle_rate <= 0 and not first:
            return False
        if faults.throttle_only and call.name not in faults.throttle_only:
            return False
        request = b"|".join(
            (
                environ.get("REQUEST_METHOD", "").encode(),
                environ.get("PATH_INFO", "").encode(),
                environ.get("QUERY_STRING", "").encode(),
                body,
            )
        )
        with self._lock:
            occurrence = self._seen[request]
            self._seen[request] += 1
        if occurrence < first:
            return True
        digest = hashlib.sha256(f"{self.seed}|{occurrence}|".encode() + request).digest()
        return int.from_bytes(digest[:8], "big") / 2**64 < faults.throttle_rate

    def _answer(
        self, start_response: StartResponse, record: Record, headers: list[tuple[str, str]], body: bytes
    ) -> list[bytes]:
        with self._lock:
            self.records.append(replace(record, at=time.monotonic()))
        status = f"{record.status} {_reason(record.status)}"
        start_response(status, [*headers, ("Content-Length", str(len(body)))])
        return [body]

    def _forward(
        self,
        environ: dict[str, Any],
        start_response: StartResponse,
        call: Call,
        key: str,
        outcome: str = FORWARDED,
        alter: Callable[[bytes], bytes] | None = None,
    ) -> Iterable[bytes]:
        """Hand the request to moto; its AccessDenied answers are put in the call's protocol.
        ``alter`` changes the body of a successful answer (200, or 206 to a ranged GET; the
        Content-Length follows)."""
        answer: dict[str, Any] = {}
        chunks: list[bytes] = []

        def capture(status: str, headers: list[tuple[str, str]], *_: Any) -> Callable[[bytes], Any]:
            answer.update(status=int(status.split(" ", 1)[0]), headers=headers)
            return chunks.append

        result = self.app(environ, capture)
        try:
            chunks.extend(result)
        finally:
            close = getattr(result, "close", None)
            if close is not None:
                close()
        status, headers, body = answer["status"], list(answer["headers"]), b"".join(chunks)
        if status == 403:
            status, headers, body = _repair_moto_error(call, status, headers, body)
        if alter is not None and status in (200, 206):  # a ranged GET answers 206
            body = alter(body)
        else:
            outcome = FORWARDED
        with self._lock:
            self.records.append(Record(call, outcome, status, key, time.monotonic()))
        if environ.get("REQUEST_METHOD") != "HEAD":  # a HEAD answer's Content-Length is the object's
            headers = [(k, v) for k, v in headers if k.lower() != "content-length"]
            headers.append(("Content-Length", str(len(body))))
        start_response(f"{status} {_reason(status)}", headers)
        return [body]


_XML_CODE = re.compile(rb"<Code>([^<]*)</Code>")
_XML_MESSAGE = re.compile(rb"<Message>([^<]*)</Message>")


def _repair_moto_error(
    call: Call, status: int, headers: list[tuple[str, str]], body: bytes
) -> tuple[int, list[tuple[str, str]], bytes]:
    """moto's IAM mode answers JSON-protocol services with an XML error page, and S3 Control with
    ``<ErrorResponse><Errors><Error>``; botocore parses neither (the error code comes out as "403"
    or ""). Re-render them in the call's protocol; an AccessDenied becomes the service's own."""
    xml = body.lstrip().startswith(b"<")
    if not (call.protocol == JSON and xml) and not (call.protocol == REST_XML and b"<Errors>" in body):
        return status, headers, body
    code, message = _XML_CODE.search(body), _XML_MESSAGE.search(body)
    if code is None:
        return status, headers, body
    text = message.group(1).decode("utf-8", "replace") if message else ""
    name = code.group(1).decode("utf-8", "replace")
    if "AccessDenied" in name:
        status, name = DENIED[call.protocol]
    return error_response(call.protocol, status, name, text)


def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Status"


def _json_default(value: Any) -> Any:
    if hasattr(value, "timestamp"):  # datetimes: epoch seconds, as the JSON protocols send them
        return value.timestamp()
    raise TypeError(f"cannot encode {type(value).__name__}")


def _headers(environ: Mapping[str, Any]) -> dict[str, str]:
    headers = {k[5:].replace("_", "-").lower(): str(v) for k, v in environ.items() if k.startswith("HTTP_")}
    headers["content-type"] = str(environ.get("CONTENT_TYPE", ""))
    return headers


def _access_key(environ: Mapping[str, Any]) -> str:
    credential = str(environ.get("HTTP_AUTHORIZATION", "")).partition("Credential=")[2]
    return credential.split("/", 1)[0]


def _read_body(environ: dict[str, Any]) -> bytes:
    """The request body, put back for moto to read again."""
    length = int(environ.get("CONTENT_LENGTH") or 0)
    if not length:
        return b""
    body: bytes = environ["wsgi.input"].read(length)
    environ["wsgi.input"] = io.BytesIO(body)
    return body


# ---------------------------------------------------------------------------------------------
# The server
# ---------------------------------------------------------------------------------------------


def _fix_moto_rest_json_get_signatures() -> None:
    """moto 5.2's IAM mode recomputes a request's SigV4 signature over ``body or data``; for the
    requests of Bedrock's REST-JSON services its ``data`` is the request's own header dict,
    so every correctly signed request without a body fails with SignatureDoesNotMatch (measured:
    GetAgent, ListCustomModels, ListGateways, ListAgentRuntimes ...; those with a JSON body
    pass). Recompute those over the empty body that botocore signed. Test infrastructure only:
    it changes moto, never the scanner."""
    from moto.iam import access_control

    original = access_control.IAMRequestBase._create_aws_request
    if getattr(original, "_cspm_fixed", False):
        return

    def create(self: Any) -> Any:
        if self._service in REST_JSON_SERVICES and not self._body:
            saved, self._data = self._data, {}
            try:
                return original(self)
            finally:
                self._data = saved
        return original(self)

    create._cspm_fixed = True  # type: ignore[attr-defined]
    access_control.IAMRequestBase._create_aws_request = create  # type: ignore[method-assign]


class FaultServer:
    """moto's WSGI app behind :class:`FaultMiddleware`, on 127.0.0.1 and a free port, in a thread."""

    def __init__(self, *, seed: int = 0) -> None:
        self.seed = seed
        self.middleware: FaultMiddleware | None = None
        # The Bedrock resources moto cannot hold (cspm.demo.bedrock_gaps.GapState), served behind
        # the fault middleware: faults apply to them as to moto's answers.
        self.bedrock: Any = None
        self._server: Any = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        assert self._server is not None, "start() first"
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def faults(self) -> FaultMiddleware:
        assert self.middleware is not None, "start() first"
        return self.middleware

    def start(self) -> FaultServer:
        from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
        from werkzeug.serving import make_server

        from cspm.demo.bedrock_gaps import GapState

        _fix_moto_rest_json_get_signatures()
        logging.getLogger("werkzeug").setLevel(logging.CRITICAL)  # moto's 500 pages log tracebacks
        self.bedrock = GapState()
        from cspm.demo.bedrock_gaps import BedrockGaps

        moto = BedrockGaps(DomainDispatcherApplication(create_backend_app), self.bedrock)
        self.middleware = FaultMiddleware(moto, seed=self.seed)
        self._server = make_server("127.0.0.1", 0, self.middleware, threaded=True, request_handler=MotoRequestHandler)
        self._thread = threading.Thread(target=self._server.serve_forever, name="fault-server", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=10)

    def reset(self) -> None:
        """An empty moto account, no faults, nothing recorded, IAM enforcement off."""
        self.set_iam_enforcement(False)
        self._post("/moto-api/reset", b"")
        self.bedrock.reset()
        self.faults.configure(Faults())

    def set_iam_enforcement(self, on: bool) -> None:
        """moto's IAM authorization mode: every request is checked against the caller's policies.

        It is a process-wide moto setting (``INITIAL_NO_AUTH_ACTION_COUNT``): turn it off again
        (``reset()`` does) before anything else in this process uses moto.
        """
        self._post("/moto-api/reset-auth", b"0" if on else b"inf")

    def _post(self, path: str, data: bytes) -> None:
        import urllib.request

        request = urllib.request.Request(
            self.url + path, data=data, method="POST", headers={"Content-Type": "text/plain"}
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            response.read()
