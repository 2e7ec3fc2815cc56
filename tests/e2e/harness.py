"""End-to-end harness: the real ``cspm`` process against a moto server on 127.0.0.1.

Imported by the e2e tests as ``e2e.harness`` (``tests`` is on the pytest pythonpath).

- :func:`run_cspm` runs the installed console script (next to ``sys.executable``; falls back to
  ``python -m cspm.cli``) in a subprocess and returns its exit code, output and report.
- :class:`WireProxy` is a small HTTP proxy in front of moto. It records every operation the
  scanner sends (service and operation, decoded from the real wire protocol) and answers chosen
  operations with an AWS error instead of forwarding them, so tests can prove how the real
  process handles a denied or failing API without patching anything inside it.

The subprocesses inherit the fake credentials and ``/dev/null`` config files that
``tests/conftest.py`` puts in this process's environment.
"""

from __future__ import annotations

import http.client
import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from cspm.demo.bedrock_gaps import operation_of
from cspm.demo.server import missing_sagemaker_listings
from support.faults import lambda_operation

# ---------------------------------------------------------------------------------------------
# Running the real process
# ---------------------------------------------------------------------------------------------


def cspm_command() -> list[str]:
    """The console script installed next to this interpreter, else ``python -m cspm.cli``."""
    script = Path(sys.executable).with_name("cspm")
    if script.is_file() and os.access(script, os.X_OK):
        return [str(script)]
    return [sys.executable, "-m", "cspm.cli"]


class Report:
    """A parsed report.json with lookups by check id and resource name."""

    def __init__(self, data: dict[str, Any]) -> None:
        self.data = data
        self.findings: list[dict[str, Any]] = data["findings"]
        self.resources: list[dict[str, Any]] = data["resources"]
        self.errors: list[dict[str, Any]] = data["errors"]
        self.summary: dict[str, Any] = data["summary"]
        self.scan: dict[str, Any] = data["scan"]

    def uids(self, name: str, rtype: str | None = None) -> set[str]:
        return {r["uid"] for r in self.resources if r["name"] == name and (rtype is None or r["type"] == rtype)}

    def finding(self, check_id: str, resource: str) -> dict[str, Any]:
        """The one finding of ``check_id`` on the resource named (or with uid) ``resource``."""
        uids = self.uids(resource) or {resource}
        found = [f for f in self.findings if f["check_id"] == check_id and f["resource_uid"] in uids]
        assert len(found) == 1, f"expected one {check_id} finding on {resource}, got {len(found)}"
        return found[0]

    def status(self, check_id: str, resource: str) -> str:
        status: str = self.finding(check_id, resource)["status"]
        return status

    def of_check(self, check_id: str) -> list[dict[str, Any]]:
        return [f for f in self.findings if f["check_id"] == check_id]


@dataclass
class Run:
    """One finished ``cspm`` process."""

    args: list[str]
    returncode: int
    stdout: str
    stderr: str
    seconds: float
    output_dir: Path | None = None

    @property
    def report(self) -> Report:
        assert self.output_dir is not None, "this run was not given an --output-dir"
        return Report(json.loads((self.output_dir / "report.json").read_text(encoding="utf-8")))

    def explain(self) -> str:
        return f"cspm {' '.join(self.args)} -> {self.returncode} in {self.seconds:.1f}s\nstderr:\n{self.stderr[-3000:]}"


def run_cspm(
    *args: str,
    env: Mapping[str, str | None] | None = None,
    timeout: float = 120,
    output_dir: Path | None = None,
) -> Run:
    """Run ``cspm ARGS`` (plus ``--output-dir`` when given). ``env``: overrides, None removes."""
    full_env = dict(os.environ)
    for name, value in (env or {}).items():
        if value is None:
            full_env.pop(name, None)
        else:
            full_env[name] = value
    argv = list(args) + (["--output-dir", str(output_dir)] if output_dir is not None else [])
    started = time.monotonic()
    proc = subprocess.run(
        [*cspm_command(), *argv],
        capture_output=True,
        text=True,
        env=full_env,
        timeout=timeout,
        check=False,
    )
    return Run(argv, proc.returncode, proc.stdout, proc.stderr, time.monotonic() - started, output_dir)


def scan_aws(endpoint_url: str, output_dir: Path, *args: str, **kwargs: Any) -> Run:
    """``cspm scan aws --endpoint-url URL --region us-east-1 ARGS`` (default region only)."""
    regions = [] if "--region" in args else ["--region", "us-east-1"]
    return run_cspm("scan", "aws", "--endpoint-url", endpoint_url, *regions, *args, output_dir=output_dir, **kwargs)


# ---------------------------------------------------------------------------------------------
# Scores, recomputed independently with the DESIGN formula
# ---------------------------------------------------------------------------------------------

WEIGHTS = {"critical": 8, "high": 4, "medium": 2, "low": 1, "informational": 0}
BASELINES = ("least-privilege", "encryption", "private-endpoint", "integrity", "logging")


def design_score(findings: list[dict[str, Any]]) -> float | None:
    """Weighted share of PASS among PASS+FAIL, 0-100; ERROR and muted left out; None if empty."""
    assessed = [f for f in findings if not f["muted"] and f["status"] in ("PASS", "FAIL")]
    total = sum(WEIGHTS[f["severity"]] for f in assessed)
    if total == 0:
        return None
    return 100.0 * sum(WEIGHTS[f["severity"]] for f in assessed if f["status"] == "PASS") / total


def same_score(reported: float | None, expected: float | None) -> bool:
    if expected is None or reported is None:
        return reported is expected
    return abs(reported - expected) <= 0.05 + 1e-9  # reported values are rounded to 0.1


# ---------------------------------------------------------------------------------------------
# The wire proxy
# ---------------------------------------------------------------------------------------------

# S3 GET sub-resources -> operation names (the ones the scanner reads, and a few more).
_S3_SUBRESOURCES = {
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
}
READ_PREFIXES = ("List", "Get", "Describe", "Head", "BatchGet", "Search", "Lookup")
READ_EXCEPTIONS = ("GenerateCredentialReport",)


@dataclass(frozen=True)
class Call:
    """One request as the scanner sent it."""

    service: str  # the signing name from the credential scope: s3, iam, ec2, sagemaker, sts
    operation: str  # e.g. ListRoles, GetBucketPolicy; "METHOD /path" for unknown REST calls
    method: str
    path: str  # without the query string
    # "json" (X-Amz-Target: SageMaker, ECR, KMS, CloudTrail), "query" (IAM, STS, EC2), "rest" (S3),
    # "rest-json" (Bedrock, Bedrock Agents, AgentCore control, Lambda)
    protocol: str
    target: str = ""  # the bucket for S3 calls

    @property
    def is_read(self) -> bool:
        if self.service == "s3":
            return self.method in ("GET", "HEAD")
        return self.operation.startswith(READ_PREFIXES) or self.operation in READ_EXCEPTIONS


def decode_call(method: str, raw_path: str, headers: Mapping[str, str], body: bytes) -> Call:
    """Service and operation of an AWS request: X-Amz-Target (JSON protocols), Action (query
    protocols) or the REST path and sub-resource (S3)."""
    url = urlsplit(raw_path)
    service = _signing_service(headers.get("Authorization", ""))
    if service in ("bedrock", "bedrock-agentcore"):  # REST-JSON, named from the botocore models
        named = operation_of(method, url.path)
        return Call(service, named[1] if named else f"{method} {url.path}", method, url.path, "rest-json")
    if service == "lambda":  # REST-JSON too
        return Call(service, lambda_operation(method, url.path), method, url.path, "rest-json")
    target = headers.get("X-Amz-Target", "")
    if target:
        return Call(service, target.rsplit(".", 1)[-1], method, url.path, "json")
    params = parse_qs(url.query, keep_blank_values=True)
    if "x-www-form-urlencoded" in headers.get("Content-Type", ""):
        params.update(parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True))
    if "Action" in params:
        return Call(service, params["Action"][0], method, url.path, "query")
    if url.path.startswith("/v20180820/configuration/publicAccessBlock"):
        return Call(service, f"{method.title()}AccountPublicAccessBlock", method, url.path, "rest")
    return _s3_call(service, method, url.path, params)


def _signing_service(authorization: str) -> str:
    # "AWS4-HMAC-SHA256 Credential=AKID/20240101/us-east-1/s3/aws4_request, SignedHeaders=..."
    for part in authorization.replace(",", " ").split():
        if part.startswith("Credential="):
            scope = part.removeprefix("Credential=").split("/")
            if len(scope) >= 4:
                return scope[3]
    return "unknown"


def _s3_call(service: str, method: str, path: str, params: Mapping[str, Any]) -> Call:
    bucket = path.strip("/").split("/", 1)[0]
    if method == "GET" and not bucket:
        return Call(service, "ListBuckets", method, path, "rest")
    for key, operation in _S3_SUBRESOURCES.items():
        if key in params and method == "GET":
            return Call(service, operation, method, path, "rest", bucket)
    return Call(service, f"{method} {path}", method, path, "rest", bucket)


@dataclass(frozen=True)
class Fault:
    """Answer ``operation`` (optionally only for one bucket) with an AWS error."""

    operation: str
    code: str = "AccessDenied"
    status: int = 403
    message: str = "User is not authorized to perform this operation"
    target: str | None = None  # only this S3 bucket

    def matches(self, call: Call) -> bool:
        return call.operation == self.operation and (self.target is None or call.target == self.target)


def error_response(call: Call, fault: Fault) -> tuple[int, dict[str, str], bytes]:
    """The error in the wire format of the call's protocol."""
    if call.protocol == "rest":  # S3's rest-xml
        body = f"<Error><Code>{fault.code}</Code><Message>{fault.message}</Message></Error>"
        return fault.status, {"Content-Type": "application/xml"}, body.encode()
    if call.protocol in ("json", "rest-json"):
        payload = json.dumps({"__type": fault.code, "message": fault.message}).encode()
        return fault.status, {"Content-Type": "application/x-amz-json-1.1", "x-amzn-ErrorType": fault.code}, payload
    if call.service == "ec2":  # ec2 query
        body = (
            f"<Response><Errors><Error><Code>{fault.code}</Code><Message>{fault.message}</Message></Error>"
            "</Errors><RequestID>e2e-proxy</RequestID></Response>"
        )
        return fault.status, {"Content-Type": "text/xml"}, body.encode()
    body = (  # query protocol (iam, sts)
        f"<ErrorResponse><Error><Type>Sender</Type><Code>{fault.code}</Code><Message>{fault.message}</Message>"
        "</Error><RequestId>e2e-proxy</RequestId></ErrorResponse>"
    )
    return fault.status, {"Content-Type": "text/xml"}, body.encode()


_HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length", "proxy-connection"}


@dataclass
class WireProxy:
    """A recording, fault-injecting HTTP proxy on 127.0.0.1 in front of ``upstream``."""

    upstream: str
    faults: list[Fault] = field(default_factory=list)
    # SageMaker listings moto does not implement, answered with an empty page as an account
    # without such resources would (the same shim as the demo's, cspm.demo.server).
    empty_listings: dict[str, dict[str, list[Any]]] = field(default_factory=missing_sagemaker_listings)
    calls: list[Call] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        up = urlsplit(self.upstream)
        self._up_host, self._up_port = up.hostname or "127.0.0.1", up.port or 80
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name="e2e-wire-proxy", daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> WireProxy:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=10)

    def operations(self, service: str | None = None) -> list[str]:
        with self._lock:
            return [c.operation for c in self.calls if service is None or c.service == service]

    def handle(
        self, method: str, path: str, headers: Mapping[str, str], body: bytes
    ) -> tuple[int, list[tuple[str, str]], bytes]:
        call = decode_call(method, path, headers, body)
        with self._lock:
            self.calls.append(call)
        fault = next((f for f in self.faults if f.matches(call)), None)
        if fault is not None:
            status, extra, payload = error_response(call, fault)
            return status, list(extra.items()), payload
        if call.service == "sagemaker" and call.operation in self.empty_listings:
            payload = json.dumps(self.empty_listings[call.operation]).encode()
            return 200, [("Content-Type", "application/x-amz-json-1.1")], payload
        conn = http.client.HTTPConnection(self._up_host, self._up_port, timeout=60)
        try:
            forward = {k: v for k, v in headers.items() if k.lower() not in _HOP_BY_HOP}
            conn.request(method, path, body=body or None, headers=forward)
            response = conn.getresponse()
            payload = response.read()
            kept = [(k, v) for k, v in response.getheaders() if k.lower() not in _HOP_BY_HOP]
            return response.status, kept, payload
        finally:
            conn.close()

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, as botocore expects

            def _relay(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                status, headers, payload = proxy.handle(self.command, self.path, dict(self.headers.items()), body)
                self.send_response(status)
                for name, value in headers:
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(payload)

            do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _relay

            def log_message(self, format: str, *args: Any) -> None:
                return

        return Handler


@contextmanager
def proxies(upstream: str) -> Iterator[Callable[..., WireProxy]]:
    """Start any number of proxies in front of ``upstream``; all stopped on exit.
    ``start(*faults, forward=("ListFeatureGroups",))`` sends those listings on to moto."""
    started: list[WireProxy] = []

    def start(*faults: Fault, forward: Iterable[str] = ()) -> WireProxy:
        empty = {op: body for op, body in missing_sagemaker_listings().items() if op not in set(forward)}
        proxy = WireProxy(upstream, list(faults), empty).start()
        started.append(proxy)
        return proxy

    try:
        yield start
    finally:
        for proxy in started:
            proxy.stop()
